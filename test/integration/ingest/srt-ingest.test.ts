// SRT ingest with a real encoder (ffmpeg -f mpegts to srt://): one listener per SRT ingest on a port
// of the node's range, the passphrase checked by libsrt; H.264 passed through into the room and its
// LL-HLS; HEVC refused with a reason; deleting the ingest closes its listener.
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../../bench/lib/wait.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { useTestEncoders } from './test-encoders.js';

// A window of ports of its own: test files run side by side.
const SRT_MIN = 30000 + randomInt(0, 300) * 50;
const { t } = useTestStack({ env: { LEVELCHAT_SRT_MIN_PORT: String(SRT_MIN), LEVELCHAT_SRT_MAX_PORT: String(SRT_MIN + 9) } });
const encode = useTestEncoders();

async function createSrtIngest(roomId: string) {
  await t.api('/v1/rooms', { method: 'POST', json: { external_id: roomId.slice(2), type: 'broadcast' } });
  const res = await t.api(`/v1/rooms/${roomId}/ingests`, { method: 'POST', json: { protocol: 'srt', identity: 'field-unit' } });
  expect(res.status).toBe(201);
  return readJson(res);
}

const ingestWith = (roomId: string, id: string, check: (i: any) => boolean, what: string) =>
  waitFor(async () => {
    const i = await readJson(await t.api(`/v1/rooms/${roomId}/ingests/${id}`));
    return check(i) ? i : undefined;
  }, { timeoutMs: 20_000, intervalMs: 200, what });

describe('SRT ingest', () => {
  it('takes an encoder with the passphrase into the room and its LL-HLS; refuses a wrong passphrase', async () => {
    const roomId = 'r_srt-live';
    const created = await createSrtIngest(roomId);
    expect(created.url).toMatch(/^srt:\/\/127\.0\.0\.1:\d+$/);
    const port = Number(created.url.split(':').pop());
    expect(port).toBeGreaterThanOrEqual(SRT_MIN);
    expect(port).toBeLessThanOrEqual(SRT_MIN + 9);
    expect(created.srt_passphrase).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(created.publish_url).toBe(`${created.url}?streamid=${created.stream_key}&passphrase=${created.srt_passphrase}`);

    const wrong = encode(`${created.url}?streamid=${created.stream_key}&passphrase=${'w'.repeat(32)}`, { seconds: 10 });
    expect(await wrong.exited).not.toBe(0);
    expect((await readJson(await t.api(`/v1/rooms/${roomId}`))).participant_count).toBe(0);

    encode(created.publish_url);
    const live = await ingestWith(roomId, created.id, (i) => i.state === 'live', 'ingest live');
    expect(live.media).toEqual({ video: { codec: 'h264', passthrough: true }, audio: { codec: 'aac' }, note: null });
    const room = t.stack.liveRooms.rooms.get(roomId)!;
    expect([...room.participants.values()].map((p) => p.identity)).toEqual(['field-unit']);
    await waitFor(async () => (await readJson(await t.api(`/v1/rooms/${roomId}`))).hls?.state === 'live', { timeoutMs: 20_000, what: 'hls live' });

    // Revoked: the encoder is cut off and the port no longer answers.
    expect((await t.api(`/v1/rooms/${roomId}/ingests/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    await waitFor(async () => room.participants.size === 0, { what: 'the encoder left' });
    const late = encode(created.publish_url, { seconds: 10 });
    expect(await late.exited).not.toBe(0);
  });

  it('refuses HEVC with a reason in the ingest state', async () => {
    const roomId = 'r_srt-hevc';
    const created = await createSrtIngest(roomId);
    encode(created.publish_url, { video: 'hevc', seconds: 15 });
    const refused = await ingestWith(roomId, created.id, (i) => i.last_error !== null, 'a refusal');
    expect(refused).toMatchObject({ state: 'idle', last_error: { code: 'unsupported_media', message: expect.stringMatching(/hevc.*send H\.264/) } });
    expect((await readJson(await t.api(`/v1/rooms/${roomId}`))).participant_count).toBe(0);
  });
});
