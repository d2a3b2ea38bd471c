import { it } from 'vitest';
import { createLogger } from '../../../src/logger.js';
import { MEDIA_CODECS } from '../../../src/sfu/media-codecs.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';
import { RtpIngest } from '../../../pipeline/ingest/rtp-ingest.js';
import { startRtpSender } from './rtp-sender.js';

it('scratch', async () => {
  const logger = createLogger('info');
  const pool = await WorkerPool.create({ count: 1, rtcMinPort: 40000, rtcMaxPort: 40100, logger });
  const router = await pool.all[0]!.createRouter({ mediaCodecs: MEDIA_CODECS });
  const sender = await startRtpSender(router, 6);
  const t0 = Date.now();
  const ingest = await RtpIngest.create({ router, videoProducerId: sender.videoProducer.id, audioProducerId: sender.audioProducer.id, segmentTarget: 1, logger });
  ingest.on('item', (item) => {
    if (item.kind === 'init') console.log(Date.now() - t0, 'init', JSON.stringify(item.tracks.map((t) => [t.handler, t.codec, t.timescale, t.width])));
    else console.log(Date.now() - t0, 'frag', item.bytes.length, JSON.stringify(item.tracks.map((t) => [t.handler, t.baseMediaDecodeTime, t.duration, t.startsWithKeyframe])));
  });
  ingest.on('exit', (e) => console.log('exit', e));
  await ingest.start();
  console.log('started', Date.now() - t0);
  await new Promise((r) => setTimeout(r, 4000));
  await ingest.stop();
  await sender.stop();
  pool.close();
});
