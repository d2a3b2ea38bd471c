import { describe, expect, inject, it } from 'vitest';
import { MEDIA_CODECS } from '../../../src/sfu/media-codecs.js';
import { startServerProcess, type ServerProcess } from '../../helpers/server-process.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { onAirJob, startRtpSender } from '../pipeline/rtp-sender.js';

// A room's LL-HLS made by a pipeline worker process (LEVELCHAT_ROLE=pipeline) while the producers
// live on a node that runs no pipeline jobs: the worker pulls their RTP over the cluster (a feed
// negotiated on the bus), packages it into the shared bucket, and the node's origin serves it.
// The worker is then killed: another one takes the stalled job up again, and ends the killed run's playlist.
const a = useTestStack({ env: { LEVELCHAT_NODE_ID: 'sfu-a', LEVELCHAT_PIPELINE_CONCURRENCY: '0' } });

function pipelineWorker(id: string): ServerProcess {
  const s3 = inject('s3');
  return startServerProcess({
    LEVELCHAT_ROLE: 'pipeline',
    LEVELCHAT_NODE_ID: id,
    PORT: '0',
    LEVELCHAT_DATA_DIR: tempDir(`levelchat-${id}-`),
    REDIS_URL: a.t.redisUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY: s3.accessKey,
    S3_SECRET_KEY: s3.secretKey,
    S3_BUCKET: `test-db${a.t.redisUrl.split('/').pop()}`,
  });
}

async function masterRendition(roomId: string): Promise<string | null> {
  const res = await a.t.api(`/hls/${roomId}/master.m3u8`, { key: null });
  if (res.status !== 200) return null;
  return /^(\S+)\/index\.m3u8/m.exec(await res.text())?.[1] ?? null;
}

/** Resolves once the run's media playlist (as the node's origin serves it) has parts. */
function hasParts(roomId: string, run: string): Promise<true> {
  return waitFor(async () => (await (await a.t.api(`/hls/${roomId}/${run}/index.m3u8`, { key: null })).text()).includes('#EXT-X-PART:') || null, { timeoutMs: 10_000, what: `parts of ${run}` });
}

describe('a pipeline worker process', () => {
  it('runs a room\'s LL-HLS from producers on another node, and a second worker takes over when it is killed', { timeout: 90_000 }, async () => {
    const first = pipelineWorker('pipeline-1');
    const url = await first.ready;
    expect(first.stderr()).toContain('role     : pipeline worker');
    const ready = await readJson(await fetch(`${url}/readyz`));
    expect(ready).toEqual({ ok: true, redis: { ok: true }, storage: { ok: true } });

    const room = await readJson(await a.t.api('/v1/rooms', { method: 'POST', json: { external_id: 'pipeline-worker', type: 'broadcast' } }));
    const router = await a.t.stack.workers.all[0]!.createRouter({ mediaCodecs: MEDIA_CODECS });
    const sender = await startRtpSender(router, 80);
    try {
      const { jobId } = await a.t.stack.ingest.start(onAirJob(room.id, router.id, sender));
      expect(await a.t.stack.ingest.onAir(jobId, 20_000)).toMatchObject({ onAir: true, passthrough: true });
      expect(await a.t.stack.ingest.describe(jobId)).toMatchObject({ state: 'active', processedBy: 'pipeline-1' });
      const firstRun = await waitFor(() => masterRendition(room.id), { timeoutMs: 10_000, what: 'the master playlist on the node' });
      await hasParts(room.id, firstRun);

      // The worker dies; a second one finds the job stalled and runs it again: a new run on air.
      first.proc.kill('SIGKILL');
      await first.exited;
      const killedAt = Date.now();
      const second = pipelineWorker('pipeline-2');
      await second.ready;
      const nextRun = await waitFor(async () => {
        const run = await masterRendition(room.id);
        return run && run !== firstRun ? run : null;
      }, { timeoutMs: 40_000, what: 'a new run in the master playlist' });
      console.log(`[pipeline-worker] killed worker's run replaced by another worker's ${Date.now() - killedAt} ms later`);
      expect(await a.t.stack.ingest.describe(jobId)).toMatchObject({ state: 'active', processedBy: 'pipeline-2' });
      await hasParts(room.id, nextRun);
      // The killed worker's playlist does not keep a hint nothing resolves until its state expires: the
      // worker that took the job over ended it where it was, and held requests get it at once.
      const killedRun = await (await a.t.api(`/hls/${room.id}/${firstRun}/index.m3u8?_HLS_msn=100000`, { key: null })).text();
      expect(killedRun).toContain('#EXT-X-ENDLIST');
      expect(killedRun).not.toContain('#EXT-X-PRELOAD-HINT');
      expect(killedRun).toContain('#EXT-X-PART:');

      // Stopping the run ends its playlist (ENDLIST) and frees the worker.
      await a.t.stack.ingest.stop(room.id);
      await a.t.stack.ingest.finished(jobId);
      expect(await a.t.stack.ingest.describe(jobId)).toMatchObject({ state: 'completed' });
      await waitFor(async () => (await (await a.t.api(`/hls/${room.id}/${nextRun}/index.m3u8`, { key: null })).text()).includes('#EXT-X-ENDLIST'), { what: 'ENDLIST' });
    } finally {
      await sender.stop();
      router.close();
    }
  });
});
