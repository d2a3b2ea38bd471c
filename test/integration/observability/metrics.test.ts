import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { MEDIA_CODECS } from '../../../src/sfu/media-codecs.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { Scrape } from '../../helpers/prometheus-scrape.js';
import { startServerProcess } from '../../helpers/server-process.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { onAirJob, startRtpSender } from '../pipeline/rtp-sender.js';

// GET /metrics after real scenarios on a node (a meeting, a broadcast made LL-HLS and watched, a
// webhook whose receiver fails), read with an independent parser: the counters and gauges moved as
// they should, labels stay bounded, and the endpoint refuses without LEVELCHAT_METRICS_TOKEN.
const TOKEN = 'metrics-test-token-0123456789';
const { t } = useTestStack({ env: { LEVELCHAT_METRICS_TOKEN: TOKEN } });
const scrape = () => Scrape.of(t.url, TOKEN);

async function createRoom(external_id: string, type: string): Promise<string> {
  const res = await t.api('/v1/rooms', { method: 'POST', json: { external_id, type } });
  expect(res.status).toBe(201);
  return (await readJson(res)).id;
}

async function join(roomId: string, identity: string, capabilities: string[]): Promise<SignalingTestClient> {
  const res = await t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities } });
  const c = await SignalingTestClient.connect(t.url);
  await c.ok('join', { token: (await readJson(res)).token });
  return c;
}

/** The LL-HLS ingest ffmpegs this test process started (the stack runs in it); the RTP sender's ffmpeg reads lavfi. */
function ingestFfmpegPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        return ppid === process.pid && cmdline.startsWith('ffmpeg') && cmdline.includes('pipe:3') ? [Number(d)] : [];
      } catch {
        return [];
      }
    });
}

describe('GET /metrics', () => {
  it('refuses a scrape without the token (401 problem+json) and answers one with it', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }] as Record<string, string>[]) {
      const res = await fetch(`${t.url}/metrics`, { headers });
      expect(res.status).toBe(401);
      expect((await readJson(res)).code).toBe('metrics_unauthorized');
    }
    expect((await scrape()).value('levelchat_sfu_workers')).toBe(1);
  });

  it('after a meeting: rooms by state and type, participants by role, sockets, SFU objects, signaling errors, HTTP routes', async () => {
    const roomId = await createRoom('metrics-meeting', 'meeting');
    expect((await t.api('/v1/rooms/r_metrics-nothing')).status).toBe(404);
    expect((await t.api('/no/such/path')).status).toBe(404);
    const before = await scrape();
    expect(before.value('levelchat_rooms', { state: 'created', type: 'meeting' })).toBe(1);
    expect(before.value('levelchat_participants')).toBe(0);

    const caps = ['publish:camera', 'subscribe:all', 'chat:send'];
    const alice = await join(roomId, 'alice', caps);
    const bob = await join(roomId, 'bob', caps);
    await alice.ok('create_transport', { direction: 'send' });
    await bob.ok('create_transport', { direction: 'recv' });
    expect(await bob.errorCode('no_such_method')).toBe('unknown_method');
    expect(await bob.errorCode('chat', { text: '' })).toBe('invalid_request');
    const stranger = await SignalingTestClient.connect(t.url);
    expect(await stranger.errorCode('join', { token: 'not-a-token' })).toBe('token_malformed');

    const during = await scrape();
    expect(during.value('levelchat_rooms', { state: 'active', type: 'meeting' })).toBe(1);
    expect(during.value('levelchat_rooms', { state: 'created', type: 'meeting' })).toBe(0);
    expect(during.value('levelchat_participants', { role: 'publisher' })).toBe(2);
    expect(during.value('levelchat_participants', { role: 'viewer' })).toBe(0);
    expect(during.value('levelchat_signaling_connections')).toBe(3);
    expect(during.value('levelchat_sfu_routers')).toBe(1);
    expect(during.value('levelchat_sfu_transports')).toBe(2);
    for (const code of ['unknown_method', 'invalid_request', 'token_malformed']) {
      expect(during.value('levelchat_signaling_errors_total', { code }) - before.value('levelchat_signaling_errors_total', { code }), code).toBe(1);
    }
    const http = 'levelchat_http_request_duration_seconds';
    expect(during.histogram(http, { method: 'POST', route: '/v1/rooms', status_class: '2xx' }).count).toBeGreaterThanOrEqual(1);
    expect(during.histogram(http, { method: 'POST', route: '/v1/rooms/:id/tokens', status_class: '2xx' }).count).toBe(2);
    expect(during.histogram(http, { method: 'GET', route: '/v1/rooms/:id', status_class: '4xx' }).count).toBe(1);
    expect(during.histogram(http, { method: 'GET', route: 'unmatched', status_class: '4xx' }).count).toBeGreaterThanOrEqual(1);
    expect(during.histogram(http, { method: 'GET', route: '/metrics', status_class: '2xx' }).count).toBeGreaterThanOrEqual(1);

    for (const c of [alice, bob]) await c.ok('leave');
    stranger.close();
    await waitFor(async () => ((await scrape()).value('levelchat_sfu_routers') === 0 ? true : null), { what: 'the meeting router closed' });
    const after = await scrape();
    expect(after.value('levelchat_rooms', { state: 'active', type: 'meeting' })).toBe(0);
    expect(after.value('levelchat_rooms', { state: 'ended', type: 'meeting' })).toBe(1);
    expect(after.value('levelchat_participants')).toBe(0);
    expect(after.value('levelchat_sfu_transports')).toBe(0);
    // Bounded labels: no room id, identity or raw path anywhere in the exposition.
    for (const word of [roomId, 'alice', 'r_metrics-nothing', '/no/such/path']) expect(after.text).not.toContain(word);
  });

  it('after a broadcast made LL-HLS and watched: runs on air, part lag, requests by kind, viewers, producers/consumers, packets, worker CPU, ffmpeg restarts', { timeout: 90_000 }, async () => {
    const roomId = await createRoom('metrics-broadcast', 'broadcast');
    const viewer = await join(roomId, 'viewer-1', ['subscribe:all']);
    const router = await t.stack.workers.all[0]!.createRouter({ mediaCodecs: MEDIA_CODECS });
    const sender = await startRtpSender(router, 80);
    try {
      const { jobId } = await t.stack.ingest.start(onAirJob(roomId, router.id, sender));
      expect(await t.stack.ingest.onAir(jobId, 20_000)).toMatchObject({ onAir: true });

      // An LL-HLS viewer, as hls.js goes: master, media playlist, blocking reloads, parts, a segment.
      const ua = { 'user-agent': 'metrics-test-player/1' };
      const get = (path: string) => fetch(`${t.url}${path}`, { headers: ua });
      const master = await (await get(`/hls/${roomId}/master.m3u8`)).text();
      const run = /^(\S+)\/index\.m3u8/m.exec(master)![1]!;
      const playlist = await waitFor(async () => {
        const text = await (await get(`/hls/${roomId}/${run}/index.m3u8`)).text();
        return /#EXT-X-PART:.*\n(?:.*\n)*#EXTINF/.test(text) && text.includes('seg') ? text : null;
      }, { timeoutMs: 20_000, what: 'a playlist with a segment and parts' });
      const msn = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(playlist)![1]);
      const segments = [...playlist.matchAll(/^(seg\d+\.m4s)/gm)].map((m) => m[1]!);
      const part = /URI="(part\d+\.m4s)"/.exec(playlist)![1]!;
      expect((await get(`/hls/${roomId}/${run}/${segments[0]}`)).status).toBe(200);
      expect((await get(`/hls/${roomId}/${run}/${part}`)).status).toBe(200);
      expect((await get(`/hls/${roomId}/${run}/index.m3u8?_HLS_msn=${msn + segments.length}&_HLS_part=0`)).status).toBe(200);
      expect((await get(`/hls/${roomId}/${run}/seg999999.m4s`)).status).toBe(404);

      await scrape(); // starts the first round of consumer stats reads
      const live = await scrape();
      expect(live.value('levelchat_hls_rooms_on_air')).toBe(1);
      expect(live.value('levelchat_participants', { role: 'viewer' })).toBe(1);
      const lag = live.histogram('levelchat_hls_part_publish_lag_seconds');
      expect(lag.count).toBeGreaterThan(3);
      expect(lag.sum / lag.count).toBeLessThan(1);
      const hls = (kind: string, status = '200') => live.value('levelchat_hls_requests_total', { kind, status });
      expect(hls('playlist')).toBeGreaterThanOrEqual(2);
      expect(hls('blocking')).toBe(1);
      expect(hls('part')).toBe(1);
      expect(hls('segment')).toBe(1);
      expect(hls('segment', '404')).toBe(1);
      expect(live.value('levelchat_hls_viewers')).toBe(1);
      // The sender's two producers, the ingest's two consumers on the room's router (plus the meeting's none).
      expect(live.value('levelchat_sfu_producers')).toBeGreaterThanOrEqual(2);
      expect(live.value('levelchat_sfu_consumers')).toBeGreaterThanOrEqual(2);
      expect(live.value('levelchat_sfu_forwarded_packets_total')).toBeGreaterThan(0);
      expect(live.value('levelchat_sfu_worker_cpu_seconds_total', { worker: '0' })).toBeGreaterThan(0);
      expect(live.value('levelchat_storage_spool_bytes')).toBeGreaterThanOrEqual(0);
      expect(live.text).not.toContain(roomId);

      // ffmpeg dies: the run restarts it, and the restart is counted.
      const [pid] = ingestFfmpegPids();
      expect(pid).toBeDefined();
      process.kill(pid!, 'SIGKILL');
      await waitFor(async () => ((await scrape()).value('levelchat_pipeline_ffmpeg_restarts_total') === 1 ? true : null), { timeoutMs: 10_000, what: 'the restart counted' });

      await t.stack.ingest.stop(roomId);
      await t.stack.ingest.finished(jobId);
      await waitFor(async () => ((await scrape()).value('levelchat_hls_rooms_on_air') === 0 ? true : null), { what: 'the run off air' });
    } finally {
      viewer.close();
      await sender.stop();
      router.close();
    }
  });

  it('after a webhook whose receiver fails: attempts counted as retrying with their duration, the delivery waits in the queue', async () => {
    const receiver = await startWebhookReceiver({ failFirst: 1_000_000 });
    try {
      const hook = await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url } });
      expect(hook.status).toBe(201);
      const before = await scrape();
      await createRoom('metrics-webhook', 'meeting');
      await waitFor(() => (receiver.all.length >= 3 ? true : null), { timeoutMs: 10_000, what: 'three failed attempts' });
      // An attempt is counted once its answer is handled, a moment after the receiver saw it.
      const counted = (s: Awaited<ReturnType<typeof scrape>>, outcome: string) => s.value('levelchat_webhook_deliveries_total', { outcome }) - before.value('levelchat_webhook_deliveries_total', { outcome });
      const after = await waitFor(async () => {
        const s = await scrape();
        return counted(s, 'retrying') >= 3 ? s : null;
      }, { timeoutMs: 10_000, what: 'three failed attempts counted' });
      const attempts = (outcome: string) => counted(after, outcome);
      expect(attempts('retrying')).toBeGreaterThanOrEqual(3);
      expect(attempts('delivered')).toBe(0);
      const latency = after.histogram('levelchat_webhook_delivery_latency_seconds');
      expect(latency.count - before.histogram('levelchat_webhook_delivery_latency_seconds').count).toBeGreaterThanOrEqual(3);
      const depth = ['waiting', 'delayed', 'active'].reduce((n, state) => n + after.value('levelchat_webhook_queue_depth', { state }), 0);
      expect(depth).toBeGreaterThanOrEqual(1);
      await t.api(`/v1/webhooks/${(await readJson(hook)).id}`, { method: 'DELETE' });
    } finally {
      await receiver.close();
    }
  });

  it('is served by a pipeline worker process too, behind the same token', { timeout: 60_000 }, async () => {
    const s3 = inject('s3');
    const worker = startServerProcess({
      LEVELCHAT_ROLE: 'pipeline',
      LEVELCHAT_NODE_ID: 'metrics-pipeline',
      LEVELCHAT_METRICS_TOKEN: TOKEN,
      LEVELCHAT_PIPELINE_CONCURRENCY: '0',
      PORT: '0',
      LEVELCHAT_DATA_DIR: tempDir('levelchat-metrics-pipeline-'),
      REDIS_URL: t.redisUrl,
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      S3_BUCKET: `test-db${t.redisUrl.split('/').pop()}`,
    });
    const url = await worker.ready;
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const s = await Scrape.of(url, TOKEN);
    expect(s.value('levelchat_hls_rooms_on_air')).toBe(0);
    expect(s.histogram('levelchat_http_request_duration_seconds', { route: '/healthz', status_class: '2xx' }).count).toBe(1);
    expect(s.family('nodejs_eventloop_lag_seconds').type).toBe('GAUGE');
    worker.proc.kill('SIGTERM');
    await worker.exited;
  });
});
