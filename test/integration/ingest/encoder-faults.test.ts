// What an RTMP encoder may get wrong: video that cannot be passed through (Sorenson H.263, H.264 with
// B-frames) is encoded to H.264 and the ingest says why; an encoder that stops sending is cut off;
// garbage on the RTMP port is hung up on; nothing of it outlives the node.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../bench/lib/wait.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { useTestEncoders } from './test-encoders.js';

const { t } = useTestStack();
const encode = useTestEncoders();

async function createIngest(roomId: string, body: Record<string, unknown> = {}) {
  await t.api('/v1/rooms', { method: 'POST', json: { external_id: roomId.slice(2), type: 'broadcast' } });
  return readJson(await t.api(`/v1/rooms/${roomId}/ingests`, { method: 'POST', json: { protocol: 'rtmp', ...body } }));
}

const ingestWith = (roomId: string, id: string, check: (i: any) => boolean, what: string, timeoutMs = 20_000) =>
  waitFor(async () => {
    const i = await readJson(await t.api(`/v1/rooms/${roomId}/ingests/${id}`));
    return check(i) ? i : undefined;
  }, { timeoutMs, intervalMs: 200, what });

describe('encoder faults', () => {
  it('encodes Sorenson H.263 to H.264 and says so', async () => {
    const created = await createIngest('r_flv1');
    const e = encode(created.publish_url, { video: 'flv1', seconds: 15 });
    const live = await ingestWith('r_flv1', created.id, (i) => i.state === 'live', 'live');
    expect(live.media).toMatchObject({ video: { codec: 'h263', passthrough: false }, note: 'h263 is encoded to H.264' });
    await waitFor(async () => (await readJson(await t.api('/v1/rooms/r_flv1'))).hls?.state === 'live', { timeoutMs: 20_000, what: 'hls live' });
    await e.stop();
  });

  it('encodes H.264 with B-frames again, without them', async () => {
    const created = await createIngest('r_bframes');
    const e = encode(created.publish_url, { bframes: 2, seconds: 15 });
    const live = await ingestWith('r_bframes', created.id, (i) => i.state === 'live', 'live');
    expect(live.media).toMatchObject({ video: { codec: 'h264', passthrough: false }, note: expect.stringMatching(/B-frames/) });
    await e.stop();
  });

  it('cuts off an encoder that stops sending, then ends its participant after the reconnect window', async () => {
    const created = await createIngest('r_stall', { reconnect_window_s: 2 });
    // A real FLV fed to ffmpeg -re through a pipe that goes quiet: the connection stays, the media stops.
    const file = path.join(os.tmpdir(), `levelchat-stall-${randomBytes(4).toString('hex')}.flv`);
    const made = spawn('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-f', 'lavfi', '-i', 'sine', '-t', '4', '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-bf', '0', '-c:a', 'aac', '-y', file]);
    await new Promise((r) => made.once('exit', r));
    const flv = await readFile(file);
    await rm(file, { force: true });
    const relay = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'flv', '-i', 'pipe:0', '-c', 'copy', '-f', 'flv', created.publish_url], { stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((r) => relay.once('exit', r));
    relay.stdin.on('error', () => {});
    relay.stdin.write(flv.subarray(0, Math.floor(flv.length / 2)));
    try {
      await ingestWith('r_stall', created.id, (i) => i.state === 'live', 'live');
      const dropped = await ingestWith('r_stall', created.id, (i) => i.state === 'reconnecting', 'cut off for silence', 15_000);
      expect(dropped.last_error).toMatchObject({ code: 'encoder_dropped', message: 'no media for 5 s' });
      await ingestWith('r_stall', created.id, (i) => i.state === 'idle', 'window over');
      expect((await readJson(await t.api('/v1/rooms/r_stall'))).participant_count).toBe(0);
    } finally {
      relay.kill('SIGKILL');
      await exited;
    }
  });

  it('hangs up on garbage', async () => {
    const { url } = await createIngest('r_garbage');
    const port = Number(new URL(url.replace(/^rtmp:/, 'http:')).port);
    const socket = net.connect(port, '127.0.0.1');
    // Read what the server answers (its handshake), or the end never comes.
    socket.resume();
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.on('error', () => {});
    const started = Date.now();
    socket.write(randomBytes(8192));
    expect((await closed) - started).toBeLessThan(12_000);
  }, 20_000);
});
