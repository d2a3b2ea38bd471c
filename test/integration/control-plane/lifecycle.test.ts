import { describe, expect, it } from 'vitest';
import { RoomError } from '../../../src/rooms/room-service.js';
import { roomKey } from '../../../src/rooms/room-repository.js';
import { roomEventStream } from '../../../src/events/event-keys.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t, redis } = useTestStack({ env: { LEVELCHAT_ARCHIVE_AFTER_S: '1' } });

const states = (room: { transitions: { state: string }[] }) => room.transitions.map((x) => x.state);

async function eventTypes(roomId: string): Promise<string[]> {
  const entries = await redis.xrange(roomEventStream(roomId), '-', '+');
  return entries.map(([, fields]) => fields[1]!);
}

describe('room lifecycle: created → active → ended → archived', () => {
  it('goes active on the first join, ended on the last leave, archived after LEVELCHAT_ARCHIVE_AFTER_S', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'life-1' } });
    const rooms = t.stack.control.rooms;
    expect((await rooms.join('r_life-1')).state).toBe('active');
    expect((await rooms.join('r_life-1')).participants).toBe(2);
    expect((await rooms.leave('r_life-1')).state).toBe('active');
    const ended = await rooms.leave('r_life-1');
    expect(ended.state).toBe('ended');
    expect(ended.ended_reason).toBe('empty');

    const archived = await waitFor(async () => {
      const room = await readJson(await t.api('/v1/rooms/r_life-1'));
      return room.state === 'archived' ? room : undefined;
    }, { timeoutMs: 8000, what: 'archived' });
    expect(states(archived)).toEqual(['created', 'active', 'ended', 'archived']);
    for (const tr of archived.transitions) expect(Number.isNaN(Date.parse(tr.at))).toBe(false);
    expect(await eventTypes('r_life-1')).toEqual(['room.created', 'room.started', 'room.ended', 'room.archived']);

    // Archived rooms are read-only.
    const token = await t.api('/v1/rooms/r_life-1/tokens', { method: 'POST', json: { identity: 'late', capabilities: ['subscribe:all'] } });
    expect(token.status).toBe(409);
    expect((await readJson(token)).code).toBe('room_archived');
    await expect(rooms.join('r_life-1')).rejects.toMatchObject({ code: 'room_archived' });
    expect((await t.api('/v1/rooms/r_life-1', { method: 'DELETE' })).status).toBe(409);
    expect((await t.api('/v1/rooms/r_life-1')).status).toBe(200);
  });

  it('a room emptied then rejoined becomes active again and is not archived', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'life-2' } });
    const rooms = t.stack.control.rooms;
    await rooms.join('r_life-2');
    await rooms.leave('r_life-2');
    const again = await rooms.join('r_life-2');
    expect(again.state).toBe('active');
    await new Promise((r) => setTimeout(r, 1800));
    const room = await readJson(await t.api('/v1/rooms/r_life-2'));
    expect(room.state).toBe('active');
    expect(states(room)).toEqual(['created', 'active', 'ended', 'active']);
  });

  it('a host-ended room refuses joins and new tokens', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'life-3' } });
    await t.stack.control.rooms.join('r_life-3');
    const ended = await readJson(await t.api('/v1/rooms/r_life-3', { method: 'DELETE' }));
    expect(ended).toMatchObject({ state: 'ended', ended_reason: 'host_ended', participant_count: 0 });
    const err = await t.stack.control.rooms.join('r_life-3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RoomError);
    expect((err as RoomError).code).toBe('room_ended');
    const token = await t.api('/v1/rooms/r_life-3/tokens', { method: 'POST', json: { identity: 'x', capabilities: [] } });
    expect(token.status).toBe(409);
    expect((await readJson(token)).code).toBe('room_ended');
  });

  it('keeps transitions consistent under concurrent joins and leaves', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'life-4' } });
    const rooms = t.stack.control.rooms;
    await Promise.all(Array.from({ length: 40 }, () => rooms.join('r_life-4')));
    expect((await rooms.join('r_life-4')).participants).toBe(41);
    await Promise.all(Array.from({ length: 41 }, () => rooms.leave('r_life-4')));
    const room = await readJson(await t.api('/v1/rooms/r_life-4'));
    expect(room.participant_count).toBe(0);
    expect(states(room)).toEqual(['created', 'active', 'ended']);
    expect(await eventTypes('r_life-4')).toEqual(['room.created', 'room.started', 'room.ended']);
  });

  it('an idle created room holds no timer or job: only its document, index entry and event stream', async () => {
    const { id } = await readJson(await t.api('/v1/rooms', { method: 'POST', json: { type: 'meeting' } }));
    const keys = (await redis.keys(`*${id}*`)).sort();
    expect(keys).toEqual([roomKey(id), roomEventStream(id)]);
    const delayed = await redis.zcard('bull:room-archive:delayed');
    const jobs = await redis.keys(`bull:room-archive:archive-${id}`);
    expect(jobs).toEqual([]);
    expect(delayed).toBeGreaterThanOrEqual(0);
  });
});
