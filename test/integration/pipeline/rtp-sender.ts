// A publisher made of ffmpeg: a live test pattern (H.264 with in-band parameter sets, or VP8) and a tone
// (Opus) sent over RTP to PlainTransport producers, as the mediasoup-worker-build notes describe.
import { spawn, type ChildProcess } from 'node:child_process';
import type { types } from 'mediasoup';
import type { Logger } from '../../../common/logger.js';
import type { IngestJobData } from '../../../pipeline/jobs/ingest-jobs.js';
import { MEDIA_CODECS } from '../../../src/sfu/media-codecs.js';
import { WorkerPool } from '../../../src/sfu/worker-pool.js';

export interface RtpSender {
  videoProducer: types.Producer;
  audioProducer: types.Producer;
  stop(): Promise<void>;
}

const VIDEO_SSRC = 11111111;
const AUDIO_SSRC = 22222222;

async function producerTransport(router: types.Router): Promise<types.PlainTransport> {
  // comedia: mediasoup learns ffmpeg's address from its first packet.
  return router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: true });
}

const rtpUrl = (t: types.PlainTransport) => `rtp://127.0.0.1:${t.tuple.localPort}?rtcpport=${t.rtcpTuple!.localPort}&pkt_size=1200`;

const VIDEO = {
  h264: {
    codec: { mimeType: 'video/H264', payloadType: 102, clockRate: 90000, parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f' } },
    args: ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-bsf:v', 'dump_extra'],
  },
  vp8: {
    codec: { mimeType: 'video/VP8', payloadType: 96, clockRate: 90000 },
    args: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M'],
  },
};

/** `size`: the test pattern's WIDTHxHEIGHT. */
export async function startRtpSender(router: types.Router, seconds: number, videoCodec: keyof typeof VIDEO = 'h264', size = '640x360'): Promise<RtpSender> {
  const video = VIDEO[videoCodec];
  const videoTransport = await producerTransport(router);
  const audioTransport = await producerTransport(router);
  const videoProducer = await videoTransport.produce({
    kind: 'video',
    rtpParameters: {
      codecs: [video.codec],
      encodings: [{ ssrc: VIDEO_SSRC }],
    },
  });
  const audioProducer = await audioTransport.produce({
    kind: 'audio',
    rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: 101, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: AUDIO_SSRC }] },
  });
  const ffmpeg: ChildProcess = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin'],
      ...['-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`, '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
      ...['-map', '0:v', '-t', String(seconds), ...video.args],
      ...['-pix_fmt', 'yuv420p', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0'],
      ...['-payload_type', String(video.codec.payloadType), '-ssrc', String(VIDEO_SSRC), '-f', 'rtp', rtpUrl(videoTransport)],
      ...['-map', '1:a', '-t', String(seconds), '-c:a', 'libopus', '-b:a', '64k', '-ac', '2'],
      ...['-payload_type', '101', '-ssrc', String(AUDIO_SSRC), '-f', 'rtp', rtpUrl(audioTransport)],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => ffmpeg.once('exit', () => resolve()));
  return {
    videoProducer,
    audioProducer,
    async stop() {
      if (ffmpeg.exitCode === null && ffmpeg.signalCode === null) ffmpeg.kill('SIGTERM');
      await exited;
      videoTransport.close();
      audioTransport.close();
    },
  };
}

/**
 * The LL-HLS job (stack.ingest.start) that puts the sender on air in `roomId`, its router being
 * `routerId`: the source rendition only, no recording, on air as participant p_test "anchor".
 */
export function onAirJob(roomId: string, routerId: string, sender: RtpSender): Omit<IngestJobData, 'generation'> {
  return {
    roomId,
    routerId,
    videoProducerId: sender.videoProducer.id,
    audioProducerId: sender.audioProducer.id,
    renditions: ['source'],
    record: false,
    onAir: { participant_id: 'p_test', identity: 'anchor' },
  };
}

/**
 * A live source for pipeline tests: one mediasoup worker (on a random port slice, so test files
 * running in parallel do not collide), a router with LevelChat's codecs, and an ffmpeg publisher.
 */
export async function startLiveSource(
  logger: Logger,
  seconds: number,
  videoCodec: keyof typeof VIDEO = 'h264',
  size = '640x360',
): Promise<{ pool: WorkerPool; router: types.Router; sender: RtpSender }> {
  const rtcMinPort = 20000 + Math.floor(Math.random() * 200) * 100;
  const pool = await WorkerPool.create({ count: 1, rtcMinPort, rtcMaxPort: rtcMinPort + 99, logger });
  const router = await pool.all[0]!.createRouter({ mediaCodecs: MEDIA_CODECS });
  return { pool, router, sender: await startRtpSender(router, seconds, videoCodec, size) };
}
