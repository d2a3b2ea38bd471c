import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../../common/json-payload.js';
import { RegistrationStore } from '../../../src/rooms/registrations.js';
import type { Room } from '../../../src/rooms/room.js';
import { RoomRepository } from '../../../src/rooms/room-repository.js';
import { resolveRoomConfig } from '../../../src/rooms/room-types.js';

/** Just the Redis calls the stores make on a read: a string per key, a hash per key. */
function fakeRedis(strings: Record<string, string>, hashes: Record<string, Record<string, string>> = {}): Redis {
  const fake = {
    options: { db: 0 },
    defineCommand: () => {},
    get: async (key: string) => strings[key] ?? null,
    hget: async (key: string, field: string) => hashes[key]?.[field] ?? null,
    hgetall: async (key: string) => hashes[key] ?? {},
  };
  return fake as unknown as Redis;
}

const noKick = { queuesFilled: async () => {} };

const room: Room = {
  id: 'r_demo',
  external_id: 'demo',
  type: 'broadcast',
  config: resolveRoomConfig('broadcast'),
  state: 'ended',
  created_at: '2024-01-01T00:00:00.000Z',
  transitions: [
    { state: 'created', at: '2024-01-01T00:00:00.000Z' },
    { state: 'ended', at: '2024-01-01T00:01:00.000Z' },
  ],
  ended_reason: 'host_ended',
  participants: 0,
  parent_id: 'r_parent',
  owner: 'key1',
};

describe('stored rooms', () => {
  it('read back as they were written', async () => {
    const repo = new RoomRepository(fakeRedis({ 'lc:room:r_demo': JSON.stringify(room) }), noKick);
    expect(await repo.get('r_demo')).toEqual(room);
    expect(await repo.get('r_none')).toBeUndefined();
  });

  it('that do not fit their schema are a payload_invalid error naming the room', async () => {
    const { state: _state, ...stateless } = room;
    for (const doc of [JSON.stringify(stateless), JSON.stringify({ ...room, config: { ...room.config, hls_renditions: ['4k'] } }), '{"id":']) {
      const repo = new RoomRepository(fakeRedis({ 'lc:room:r_demo': doc }), noKick);
      await expect(repo.get('r_demo')).rejects.toThrow(PayloadError);
      await expect(repo.get('r_demo')).rejects.toThrow(/^invalid room r_demo: /);
    }
  });
});

describe('stored registrations', () => {
  const registration = { id: 'reg_1', identity: 'ada', name: null, email: 'ada@example.com', metadata: null, state: 'approved', created_at: '2024-01-01T00:00:00.000Z' };

  it('read back as they were written; a bad one is an error naming it', async () => {
    const good = new RegistrationStore(fakeRedis({}, { 'lc:room:r_demo:registrations': { reg_1: JSON.stringify(registration) } }));
    expect(await good.get('r_demo', 'reg_1')).toEqual(registration);
    expect(await good.list('r_demo')).toEqual([registration]);
    const bad = new RegistrationStore(fakeRedis({}, { 'lc:room:r_demo:registrations': { reg_1: JSON.stringify({ ...registration, state: 'maybe' }) } }));
    await expect(bad.get('r_demo', 'reg_1')).rejects.toThrow('invalid registration reg_1 of room r_demo: state: ');
  });
});
