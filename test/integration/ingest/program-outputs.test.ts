// What leaves a broadcast besides its viewers: a thumbnail of the on-air video (a JPEG of the width
// asked), and a restream of the program to a local RTMP receiver (ffmpeg -listen 1) that receives
// decodable media, tried again with backoff once that receiver drops.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../../common/free-port.js';
import { waitFor } from '../../../bench/lib/wait.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { useTestEncoders } from './test-encoders.js';

const run = promisify(execFile);
const { t } = useTestStack();
const encode = useTestEncoders();

const ROOM = 'r_program-out';

async function probeStreams(file: string): Promise<{ codec_name: string; width?: number; height?: number }[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height', '-of', 'json', file], { timeout: 20_000 });
  return (JSON.parse(stdout) as { streams: { codec_name: string; width?: number; height?: number }[] }).streams;
}

describe('program outputs', () => {
  it('serves a thumbnail of the on-air video and restreams the program to an RTMP receiver', async () => {
    const hooks = await startWebhookReceiver();
    await t.api('/v1/webhooks', { method: 'POST', json: { url: hooks.url, events: ['restream.started', 'restream.failed'] } });
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: ROOM.slice(2), type: 'broadcast' } });
    expect((await t.api(`/v1/rooms/${ROOM}/thumbnail.jpg`)).status).toBe(404);

    // The receiver listens before the restream exists: the first push reaches it.
    const port = await freePort();
    const received = path.join(os.tmpdir(), `levelchat-restream-${randomBytes(4).toString('hex')}.flv`);
    const receiver = spawn('ffmpeg', ['-v', 'error', '-listen', '1', '-i', `rtmp://127.0.0.1:${port}/live/remote-key`, '-t', '4', '-c', 'copy', '-y', received], { stdio: 'ignore' });
    const receiverDone = new Promise((r) => receiver.once('exit', r));
    const restream = await readJson(await t.api(`/v1/rooms/${ROOM}/restreams`, { method: 'POST', json: { url: `rtmp://127.0.0.1:${port}/live/remote-key` } }));
    expect(restream).toMatchObject({ state: 'waiting', failures: 0, url: `rtmp://127.0.0.1:${port}/live/remote-key` });

    const ingest = await readJson(await t.api(`/v1/rooms/${ROOM}/ingests`, { method: 'POST', json: { protocol: 'rtmp' } }));
    encode(ingest.publish_url, { size: '1280x720' });
    await waitFor(async () => (await readJson(await t.api(`/v1/rooms/${ROOM}`))).hls?.state === 'live', { timeoutMs: 30_000, what: 'hls live' });

    // Thumbnail: a JPEG 320 wide, 16:9 like the video.
    const thumb = await waitFor(async () => {
      const res = await t.api(`/v1/rooms/${ROOM}/thumbnail.jpg?width=320`);
      return res.status === 200 ? res : undefined;
    }, { timeoutMs: 15_000, intervalMs: 500, what: 'a thumbnail' });
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    const jpeg = path.join(os.tmpdir(), `levelchat-thumb-${randomBytes(4).toString('hex')}.jpg`);
    await writeFile(jpeg, Buffer.from(await thumb.arrayBuffer()));
    expect(await probeStreams(jpeg)).toEqual([{ codec_name: 'mjpeg', width: 320, height: 180 }]);
    await rm(jpeg, { force: true });
    expect((await t.api(`/v1/rooms/${ROOM}/thumbnail.jpg?width=5`)).status).toBe(400);

    // Restream: live, then the receiver (4 s of media) hangs up and the push is retried.
    await waitFor(async () => (await readJson(await t.api(`/v1/rooms/${ROOM}/restreams/${restream.id}`))).state === 'live', { timeoutMs: 30_000, what: 'restream live' });
    await receiverDone;
    const streams = await probeStreams(received);
    expect(new Set(streams.map((s) => s.codec_name))).toEqual(new Set(['h264', 'aac']));
    expect(streams.find((s) => s.codec_name === 'h264')?.width).toBe(1280);
    await rm(received, { force: true });
    const retrying = await waitFor(async () => {
      const r = await readJson(await t.api(`/v1/rooms/${ROOM}/restreams/${restream.id}`));
      return r.failures >= 1 ? r : undefined;
    }, { timeoutMs: 30_000, what: 'a failed attempt' });
    expect(retrying.last_error.message).not.toContain('remote-key');
    const types = hooks.accepted().filter((e) => e.room_id === ROOM).map((e) => e.type);
    expect(types).toContain('restream.started');
    await waitFor(async () => hooks.accepted().some((e) => e.type === 'restream.failed'), { what: 'restream.failed' });

    expect((await t.api(`/v1/rooms/${ROOM}/restreams/${restream.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await readJson(await t.api(`/v1/rooms/${ROOM}/restreams`))).restreams).toEqual([]);
  }, 90_000);
});
