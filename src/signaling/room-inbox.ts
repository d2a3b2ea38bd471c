import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { safeParseJsonWith } from '../../common/json-payload.js';
import type { Logger } from '../../common/logger.js';
import { roomControlChannel, roomEventsChannel } from '../events/event-keys.js';
import {
  roomControlSchema,
  roomEventMessageSchema,
  type KickControl,
  type RoomEnded,
  type RoomEventMessage,
  type RoomPromoted,
  type StageInviteControl,
} from './inbox-messages.js';
import { relayMessageSchema, type RelayMessage } from './relay-messages.js';
import type { RoomRelay } from './room-relay.js';

/** What the inbox hands on, each message parsed and of its one kind. */
export interface InboxHandlers {
  promoted(message: RoomPromoted): void;
  /** Ended by its host (a room that ended because it emptied has nobody here to tell). */
  hostEnded(message: RoomEnded): void;
  kick(message: KickControl): void;
  stageInvite(message: StageInviteControl): void;
  /** A room event that happened on another node. */
  relayed(message: RelayMessage): void;
}

/**
 * A node's inbox of room messages from every node: room events, control commands, and the events
 * relayed by the nodes sharing a room (per room, while it is live here). Each message is parsed at
 * the boundary; one that does not parse is logged at debug and dropped.
 */
export class RoomInbox {
  #subscriber: Redis | null = null;

  constructor(
    private readonly relay: Pick<RoomRelay, 'nodeId' | 'channel' | 'roomOfChannel'>,
    private readonly logger: Logger,
  ) {}

  async listen(subscriber: Redis, handlers: InboxHandlers): Promise<void> {
    this.#subscriber = subscriber;
    const [events, control] = [roomEventsChannel(subscriber), roomControlChannel(subscriber)];
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === events) this.#take(channel, roomEventMessageSchema, text, (event) => this.#onRoomEvent(event, handlers));
      else if (channel === control) this.#take(channel, roomControlSchema, text, (c) => (c.type === 'kick' ? handlers.kick(c) : handlers.stageInvite(c)));
      else if (this.relay.roomOfChannel(channel)) {
        this.#take(channel, relayMessageSchema, text, (m) => {
          // This node's own events come back too: its participants have them already.
          if (m.node !== this.relay.nodeId) handlers.relayed(m);
        });
      }
    });
    await subscriber.subscribe(events, control);
  }

  /** Relayed events of the room from now on. */
  async watch(roomId: string): Promise<void> {
    await this.#subscriber?.subscribe(this.relay.channel(roomId));
  }

  async unwatch(roomId: string): Promise<void> {
    await this.#subscriber?.unsubscribe(this.relay.channel(roomId)).catch(() => {});
  }

  #onRoomEvent(event: RoomEventMessage, handlers: InboxHandlers): void {
    if (event.type === 'room.promoted') handlers.promoted(event);
    else if (event.type === 'room.ended' && event.data.reason === 'host_ended') handlers.hostEnded(event);
  }

  #take<S extends z.ZodType>(channel: string, schema: S, text: string, handle: (message: z.output<S>) => void): void {
    const parsed = safeParseJsonWith(schema, text, `message on ${channel}`);
    if (!parsed.success) {
      this.logger.debug({ err: parsed.error.message }, 'dropped a malformed room message');
      return;
    }
    try {
      handle(parsed.data);
    } catch (err) {
      this.logger.warn({ channel, err: (err as Error).message }, 'could not act on a room message');
    }
  }
}
