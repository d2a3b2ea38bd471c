import type { Redis, Result } from 'ioredis';
import type { DeliveryKick } from './delivery-kick.js';
import { emitEventLua } from './emit-script.js';
import { roomEventsChannel } from './event-keys.js';
import { buildEvent, type RoomEvent, type RoomEventType } from './room-event.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcEmitEvent(owner: string, roomId: string, type: string, event: string): Result<string[], Context>;
  }
}

/** Emits events that are not state transitions (participants, tracks, HLS...) into a room's stream. */
export class RoomEventEmitter {
  constructor(
    private readonly redis: Redis,
    private readonly kick: DeliveryKick,
  ) {
    redis.defineCommand('lcEmitEvent', {
      numberOfKeys: 0,
      lua: `${emitEventLua(roomEventsChannel(redis))}
local needs_job = {}
emit_event(ARGV[1], ARGV[2], ARGV[3], ARGV[4], needs_job)
return needs_job`,
    });
  }

  async emit(room: { id: string; owner: string }, type: RoomEventType, data: Record<string, unknown>): Promise<RoomEvent> {
    const event = buildEvent(type, room.id, data);
    const queues = await this.redis.lcEmitEvent(room.owner, room.id, type, JSON.stringify(event));
    await this.kick.queuesFilled(queues);
    return event;
  }
}
