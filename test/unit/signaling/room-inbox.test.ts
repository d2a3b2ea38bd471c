import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { Logger } from '../../../common/logger.js';
import { roomControlChannel, roomEventsChannel } from '../../../src/events/event-keys.js';
import { buildEvent } from '../../../src/events/room-event.js';
import { RoomInbox, type InboxHandlers } from '../../../src/signaling/room-inbox.js';

/** A subscriber connection: the inbox subscribes channels and hears 'message' on it. */
class FakeSubscriber extends EventEmitter {
  readonly options = { db: 3 };
  readonly channels = new Set<string>();
  async subscribe(...channels: string[]): Promise<void> {
    for (const c of channels) this.channels.add(c);
  }
  async unsubscribe(...channels: string[]): Promise<void> {
    for (const c of channels) this.channels.delete(c);
  }
  deliver(channel: string, message: unknown): void {
    this.emit('message', channel, typeof message === 'string' ? message : JSON.stringify(message));
  }
}

const PREFIX = 'relay:';
const relay = { nodeId: 'node-a', channel: (roomId: string) => `${PREFIX}${roomId}`, roomOfChannel: (c: string) => (c.startsWith(PREFIX) ? c.slice(PREFIX.length) : null) };

let sub: FakeSubscriber;
let handlers: { [K in keyof InboxHandlers]: Mock<InboxHandlers[K]> };
let logger: { debug: Mock<(fields: { err?: string }, msg: string) => void>; warn: Mock<(fields: object, msg: string) => void> };
let inbox: RoomInbox;
let events: string;
let control: string;

beforeEach(async () => {
  sub = new FakeSubscriber();
  handlers = { promoted: vi.fn(), hostEnded: vi.fn(), kick: vi.fn(), stageInvite: vi.fn(), relayed: vi.fn() };
  logger = { debug: vi.fn(), warn: vi.fn() };
  inbox = new RoomInbox(relay, logger as unknown as Logger);
  await inbox.listen(sub as unknown as Redis, handlers);
  events = roomEventsChannel(sub as unknown as Redis);
  control = roomControlChannel(sub as unknown as Redis);
});

const called = () => Object.fromEntries(Object.entries(handlers).map(([k, fn]) => [k, fn.mock.calls.length]));

describe('RoomInbox', () => {
  it('listens on the room events and control channels, and on a room relay channel while the room is watched', async () => {
    expect([...sub.channels].sort()).toEqual([control, events].sort());
    await inbox.watch('r_a');
    expect(sub.channels.has('relay:r_a')).toBe(true);
    await inbox.unwatch('r_a');
    expect(sub.channels.has('relay:r_a')).toBe(false);
  });

  it('hands each room event it acts on to its handler, and ignores the others', () => {
    sub.deliver(events, buildEvent('room.promoted', 'r_a', { type: 'broadcast' }));
    sub.deliver(events, buildEvent('room.ended', 'r_a', { state: 'ended', reason: 'host_ended' }));
    sub.deliver(events, buildEvent('room.ended', 'r_a', { state: 'ended', reason: 'empty' }));
    sub.deliver(events, buildEvent('participant.joined', 'r_a', { participant_id: 'p_1' }));
    expect(called()).toEqual({ promoted: 1, hostEnded: 1, kick: 0, stageInvite: 0, relayed: 0 });
    expect(handlers.promoted.mock.calls[0]![0]).toMatchObject({ type: 'room.promoted', room_id: 'r_a' });
    expect(logger.debug).not.toHaveBeenCalled();
  });

  it('hands kicks and stage invitations to their handlers', () => {
    sub.deliver(control, { type: 'kick', room_id: 'r_a', identity: 'bob', reason: 'revoked' });
    sub.deliver(control, { type: 'stage-invite', room_id: 'r_a', participant_id: 'p_1', signaling_url: 'ws://b/v1/rtc' });
    expect(handlers.kick).toHaveBeenCalledWith({ type: 'kick', room_id: 'r_a', identity: 'bob', reason: 'revoked' });
    expect(handlers.stageInvite).toHaveBeenCalledWith({ type: 'stage-invite', room_id: 'r_a', participant_id: 'p_1', signaling_url: 'ws://b/v1/rtc' });
  });

  it("hands on events relayed by other nodes, not this node's own", () => {
    const chat = { id: '1-0', participant_id: 'p_1', identity: 'ann', text: 'hi', at: '2024-01-01T00:00:00.000Z' };
    sub.deliver('relay:r_a', { node: 'node-b', room_id: 'r_a', event: 'chat', data: chat });
    sub.deliver('relay:r_a', { node: 'node-a', room_id: 'r_a', event: 'chat', data: chat });
    expect(handlers.relayed).toHaveBeenCalledTimes(1);
    expect(handlers.relayed).toHaveBeenCalledWith({ node: 'node-b', room_id: 'r_a', event: 'chat', data: chat });
  });

  it('drops malformed and unknown messages with a debug log, and keeps serving', () => {
    sub.deliver(events, 'not json {');
    sub.deliver(events, { ...buildEvent('room.ended', 'r_a', {}), data: { reason: 'bored' } });
    sub.deliver(events, { ...buildEvent('room.started', 'r_a', {}), type: 'room.exploded' });
    sub.deliver(control, { type: 'kick', room_id: 'r_a', identity: 'bob', reason: 'because' });
    sub.deliver(control, { type: 'reboot', room_id: 'r_a' });
    sub.deliver(control, null);
    sub.deliver('relay:r_a', { node: 'node-b', room_id: 'r_a', event: 'room-ended', data: { reason: 'host_ended' } });
    sub.deliver('relay:r_a', { node: 'node-b', room_id: 'r_a', event: 'chat', data: { text: 'no sender' } });
    expect(called()).toEqual({ promoted: 0, hostEnded: 0, kick: 0, stageInvite: 0, relayed: 0 });
    expect(logger.debug).toHaveBeenCalledTimes(8);
    expect(String(logger.debug.mock.calls[0]![0].err)).toContain('not JSON');
    sub.deliver(control, { type: 'kick', room_id: 'r_a', identity: 'bob', reason: 'kicked' });
    expect(handlers.kick).toHaveBeenCalledTimes(1);
  });

  it('does not crash when a handler throws: it logs a warning', () => {
    handlers.kick.mockImplementation(() => {
      throw new Error('handler failed');
    });
    expect(() => sub.deliver(control, { type: 'kick', room_id: 'r_a', identity: 'bob', reason: 'kicked' })).not.toThrow();
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('ignores channels it does not own', () => {
    sub.deliver('lc:3:something-else', { type: 'kick' });
    expect(logger.debug).not.toHaveBeenCalled();
    expect(called()).toEqual({ promoted: 0, hostEnded: 0, kick: 0, stageInvite: 0, relayed: 0 });
  });
});
