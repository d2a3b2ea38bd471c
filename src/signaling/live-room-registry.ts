import type { Logger } from '../../common/logger.js';
import type { Config } from '../config.js';
import type { RoomEventEmitter } from '../events/room-event-emitter.js';
import type { BroadcastDirector } from '../hls/broadcast-director.js';
import type { AttendanceLog } from '../rooms/attendance.js';
import type { Room } from '../rooms/room.js';
import { MediaRoom } from '../sfu/media-room.js';
import type { MediaPipes } from '../sfu/producer-pipe.js';
import type { WorkerPool } from '../sfu/worker-pool.js';
import { LiveRoom, type LiveRoomDeps } from './live-room.js';
import type { RoomInbox } from './room-inbox.js';
import type { RoomRelay } from './room-relay.js';

export interface LiveRoomRegistryDeps {
  pool: WorkerPool;
  pipes: MediaPipes;
  rtc: Pick<Config['rtc'], 'consumersPerRouter'>;
  events: RoomEventEmitter;
  attendance: AttendanceLog;
  relay: RoomRelay;
  /** Where a live room's relayed events arrive, while it is live. */
  inbox: Pick<RoomInbox, 'watch' | 'unwatch'>;
  directorFor: (room: LiveRoom) => BroadcastDirector;
  logger: Logger;
}

/**
 * The live rooms of this node by id. A room is opened once however many join it at the same time,
 * and forgotten when it closes; a room whose media was on a worker that died gets new media.
 */
export class LiveRoomRegistry {
  readonly #live = new Map<string, LiveRoom>();
  readonly #opening = new Map<string, Promise<LiveRoom>>();
  readonly #roomDeps: LiveRoomDeps;

  constructor(private readonly deps: LiveRoomRegistryDeps) {
    const { pool, pipes, rtc, events, attendance, relay, directorFor, logger } = deps;
    this.#roomDeps = {
      openMedia: (room: Room) => MediaRoom.open({ roomId: room.id, preferredCodec: room.config.preferred_codec, consumersPerRouter: rtc.consumersPerRouter }, pool, pipes, logger),
      directorFor,
      events,
      attendance,
      relay,
      logger,
    };
  }

  get rooms(): ReadonlyMap<string, LiveRoom> {
    return this.#live;
  }

  get(roomId: string): LiveRoom | undefined {
    return this.#live.get(roomId);
  }

  /** The live room of `stored`: the one open here, or a new one. */
  open(stored: Room): Promise<LiveRoom> {
    const existing = this.#live.get(stored.id);
    if (existing) return Promise.resolve(existing);
    let pending = this.#opening.get(stored.id);
    if (!pending) {
      pending = this.#create(stored).finally(() => this.#opening.delete(stored.id));
      this.#opening.set(stored.id, pending);
    }
    return pending;
  }

  /** Rebuilds the media of every room that had a router on a worker that died. */
  watchWorkers(): void {
    this.deps.pool.on('worker-died', (worker) => {
      for (const room of this.#live.values()) {
        if (!room.media.allTiers.some((t) => t.worker === worker)) continue;
        void room
          .rebuildMedia()
          .then(() => this.deps.logger.warn({ room_id: room.id, participants: room.participants.size }, 'room media rebuilt after a worker died'))
          .catch((err: Error) => this.deps.logger.error({ room_id: room.id, err: err.message }, 'could not rebuild the room media'));
      }
    });
  }

  async #create(stored: Room): Promise<LiveRoom> {
    const room = await LiveRoom.open(stored, this.#roomDeps);
    room.observer.once('close', () => {
      if (this.#live.get(room.id) !== room) return;
      this.#live.delete(room.id);
      void this.deps.inbox.unwatch(room.id);
    });
    // Relayed events from now on, before anyone reads the room's presence on other nodes.
    await this.deps.inbox.watch(stored.id);
    this.#live.set(stored.id, room);
    return room;
  }
}
