// RTMP ingest with a real encoder (ffmpeg -f flv): the stream key from the API opens the room, the
// encoder becomes a participant whose H.264 is passed through, LL-HLS plays it; wrong keys and a
// second encoder are refused; the broadcast survives an encoder restart within the reconnect window;
// deleting the ingest cuts the encoder off.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../bench/lib/wait.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { useTestEncoders } from './test-encoders.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';

const run = promisify(execFile);
const { t } = useTestStack({ env: { LEVELCHAT_WORKERS: '1' } });
const encode = useTestEncoders();

async function createIngest(roomId: string, body: Record<string, unknown>) {
  await t.api('/v1/rooms', { method: 'POST', json: { external_id: roomId.slice(2), type: 'broadcast' } });
  const res = await t.api(`/v1/rooms/${roomId}/ingests`, { method: 'POST', json: body });
  expect(res.status).toBe(201);
  return readJson(res);
}

const getIngest = async (roomId: string, id: string) => readJson(await t.api(`/v1/rooms/${roomId}/ingests/${id}`));
const ingestIn = (roomId: string, id: string, state: string) =>
  waitFor(async () => {
    const i = await getIngest(roomId, id);
    return i.state === state ? i : undefined;
  }, { timeoutMs: 20_000, intervalMs: 200, what: `ingest ${state}` });

async function mediaPlaylist(roomId: string): Promise<string> {
  const master = await (await fetch(`${t.url}/hls/${roomId}/master.m3u8`)).text();
  const uri = master.split('\n').find((l) => l && !l.startsWith('#'))!;
  return (await fetch(new URL(uri, `${t.url}/hls/${roomId}/master.m3u8`))).text();
}

describe('RTMP ingest', () => {
  const receiver = startWebhookReceiver();

  it('creates a stream key shown once, documented in OpenAPI', async () => {
    const created = await createIngest('r_rtmp-api', { protocol: 'rtmp', identity: 'studio', name: 'Studio A' });
    expect(created).toMatchObject({ protocol: 'rtmp', identity: 'studio', state: 'idle', srt_passphrase: null, reconnect_window_s: 10 });
    expect(created.url).toMatch(/^rtmp:\/\/127\.0\.0\.1:\d+\/live$/);
    expect(created.publish_url).toBe(`${created.url}/${created.stream_key}`);
    const listed = await readJson(await t.api('/v1/rooms/r_rtmp-api/ingests'));
    expect(listed.ingests).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain(created.stream_key);
    const doc = await readJson(await fetch(`${t.url}/v1/openapi.json`));
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/rooms/{id}/ingests', '/v1/rooms/{id}/ingests/{ingest_id}']));
    // Another key sees nothing.
    const other = await readJson(await t.api('/v1/keys', { method: 'POST', json: { name: 'other' } }));
    expect((await t.api(`/v1/rooms/r_rtmp-api/ingests/${created.id}`, { key: other.key })).status).toBe(404);
  });

  it('refuses a wrong key: the connection is cut and nothing is made', async () => {
    const created = await createIngest('r_rtmp-wrong', { protocol: 'rtmp' });
    const wrong = encode(`${created.url}/sk_${'x'.repeat(32)}`, { seconds: 20 });
    expect(await wrong.exited).not.toBe(0);
    const room = await readJson(await t.api('/v1/rooms/r_rtmp-wrong'));
    expect(room).toMatchObject({ state: 'created', participant_count: 0 });
    expect(t.stack.liveRooms.rooms.has('r_rtmp-wrong')).toBe(false);
  });

  it('makes the encoder a participant, passes H.264 through into LL-HLS, refuses a second encoder, holds across a restart', async () => {
    const hooks = await receiver;
    await t.api('/v1/webhooks', { method: 'POST', json: { url: hooks.url, events: ['ingest.connected', 'ingest.disconnected', 'room.ended', 'participant.joined'] } });
    const roomId = 'r_rtmp-live';
    const created = await createIngest(roomId, { protocol: 'rtmp', identity: 'studio', reconnect_window_s: 8 });
    let encoder = encode(created.publish_url);
    const live = await ingestIn(roomId, created.id, 'live');
    expect(live.media).toEqual({ video: { codec: 'h264', passthrough: true }, audio: { codec: 'aac' }, note: null });
    const room = t.stack.liveRooms.rooms.get(roomId)!;
    const participant = [...room.participants.values()].find((p) => p.identity === 'studio')!;
    expect([...room.tracks.values()].map((x) => x.source).sort()).toEqual(['camera', 'microphone']);

    // LL-HLS: parts listed, and ffprobe reads the stream (H.264 copied, audio AAC).
    await waitFor(async () => (await readJson(await t.api(`/v1/rooms/${roomId}`))).hls?.state === 'live', { timeoutMs: 20_000, what: 'hls live' });
    const playlist = await waitFor(async () => {
      const text = await mediaPlaylist(roomId);
      return (text.match(/#EXT-X-PART:/g) ?? []).length >= 3 ? text : undefined;
    }, { timeoutMs: 15_000, what: 'parts in the playlist' });
    expect(playlist).toContain('#EXT-X-PART:');
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width', '-of', 'json', `${t.url}/hls/${roomId}/master.m3u8`], { timeout: 20_000 });
    const streams = (JSON.parse(stdout) as { streams: { codec_name: string; width?: number }[] }).streams;
    expect(new Set(streams.map((s) => s.codec_name))).toEqual(new Set(['h264', 'aac']));
    expect(streams.find((s) => s.codec_name === 'h264')?.width).toBe(640);

    // A second encoder on the same key is refused while the first is live.
    const second = encode(created.publish_url, { seconds: 20 });
    expect(await second.exited).not.toBe(0);
    expect((await getIngest(roomId, created.id)).last_error).toMatchObject({ code: 'encoder_already_live' });

    // The encoder restarts: the room waits, the same participant goes on, LL-HLS continues with a discontinuity.
    await encoder.stop();
    await ingestIn(roomId, created.id, 'reconnecting');
    encoder = encode(created.publish_url);
    await ingestIn(roomId, created.id, 'live');
    expect(room.participants.get(participant.id)).toBe(participant);
    const after = await waitFor(async () => {
      const text = await mediaPlaylist(roomId);
      return text.includes('#EXT-X-DISCONTINUITY') && /#EXT-X-PART:.*\n(?![\s\S]*#EXT-X-DISCONTINUITY)/.test(text) ? text : undefined;
    }, { timeoutMs: 20_000, what: 'parts after a discontinuity' });
    expect(after).not.toContain('#EXT-X-ENDLIST');
    const types = () => hooks.accepted().filter((e) => e.room_id === roomId).map((e) => e.type);
    await waitFor(async () => types().filter((x) => x === 'ingest.connected').length === 2, { what: 'two ingest.connected' });
    expect(types()).toContain('ingest.disconnected');
    expect(types()).not.toContain('room.ended');
    expect(types().filter((x) => x === 'participant.joined')).toHaveLength(1);

    // Revoking the key cuts the encoder off and its participant leaves.
    expect((await t.api(`/v1/rooms/${roomId}/ingests/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    await encoder.exited;
    await waitFor(async () => !room.participants.has(participant.id), { what: 'participant left' });
    expect((await t.api(`/v1/rooms/${roomId}/ingests/${created.id}`)).status).toBe(404);
  });
});
