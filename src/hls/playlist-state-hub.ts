import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import { safeParseJsonWith } from '../../common/json-payload.js';
import {
  hlsChannel,
  hlsStateMessageSchema,
  masterStateKey,
  readRenditionState,
  readState,
  stateOf,
  type MasterState,
  type PlaylistHead,
  type RenditionState,
  type RenditionUpdate,
} from '../../pipeline/publish/playlist-state.js';

interface Waiter {
  rendition: string;
  ready: (state: RenditionState) => boolean;
  resolve: (state: RenditionState | undefined) => void;
}

/** A held request's response: its 'close' (the client went away) ends the wait. */
export type HeldClient = Pick<NodeJS.EventEmitter, 'once' | 'off'> & { readonly closed: boolean };

interface RoomEntry {
  subscribed: Promise<unknown>;
  /** `subscribed` resolved: the states below are kept current. */
  live: boolean;
  master: MasterState | undefined;
  renditions: Map<string, RenditionState>;
  /** The newest head of each rendition's full playlist (RenditionUpdate): updates name it, few carry it. */
  heads: Map<string, PlaylistHead>;
  waiters: Set<Waiter>;
  lastUsed: number;
}

/** A room nobody asked about for this long is unsubscribed (its state stays in Redis). */
const IDLE_MS = 60_000;

/**
 * This process' view of every watched room's playlists, kept current from Redis: the first request
 * for a room subscribes to its channel and then reads the stored state, so any origin process can
 * answer, and blocking requests wake on the message that brings their part.
 */
export class PlaylistStateHub {
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly sweeper: NodeJS.Timeout;
  /** The rooms' channels: this prefix and the room id. */
  private readonly channelPrefix: string;

  /**
   * @param redis a regular connection, for GETs
   * @param subscriber a connection of its own, put in subscriber mode
   * @param logger where dropped messages are noted (at debug)
   */
  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly logger?: Logger,
  ) {
    this.channelPrefix = hlsChannel(subscriber, '');
    subscriber.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    this.sweeper = setInterval(() => this.sweep(), IDLE_MS / 2).unref();
  }

  /** A hub with its own subscriber connection (a duplicate of `redis`), closed by close(). */
  static connect(redis: Redis, logger?: Logger): PlaylistStateHub {
    return new PlaylistStateHub(redis, redis.duplicate(), logger);
  }

  async master(roomId: string): Promise<MasterState | undefined> {
    const room = await this.room(roomId);
    if (!room.master) {
      const message = await readState(this.redis, masterStateKey(roomId));
      if (message?.type === 'master') this.keepMaster(room, message.state);
    }
    return room.master;
  }

  async rendition(roomId: string, rendition: string): Promise<RenditionState | undefined> {
    const current = this.current(roomId, rendition);
    if (current) return current;
    const room = await this.room(roomId);
    if (!room.renditions.has(rendition)) this.keep(room, await readRenditionState(this.redis, roomId, rendition));
    return room.renditions.get(rendition);
  }

  /** The rendition's state if this process already follows it: the hot path of every request, without a promise. */
  current(roomId: string, rendition: string): RenditionState | undefined {
    const room = this.rooms.get(roomId);
    if (!room?.live) return undefined;
    room.lastUsed = Date.now();
    return room.renditions.get(rendition);
  }

  /**
   * The rendition's state once `ready` holds for it; undefined if it does not within `timeoutMs`,
   * 'gone' if `client` closes first.
   */
  async waitFor(roomId: string, rendition: string, ready: (s: RenditionState) => boolean, timeoutMs: number, client?: HeldClient): Promise<RenditionState | undefined | 'gone'> {
    const current = await this.rendition(roomId, rendition);
    if (current && ready(current)) return current;
    const room = await this.room(roomId);
    if (client?.closed) return 'gone';
    return new Promise((resolve) => {
      const done = (state: RenditionState | undefined | 'gone') => {
        clearTimeout(timer);
        client?.off('close', gone);
        room.waiters.delete(waiter);
        resolve(state);
      };
      const waiter: Waiter = { rendition, ready, resolve: done };
      const gone = () => done('gone');
      const timer = setTimeout(() => done(undefined), timeoutMs);
      client?.once('close', gone);
      room.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const room of this.rooms.values()) for (const waiter of room.waiters) waiter.resolve(undefined);
    this.rooms.clear();
    this.subscriber.disconnect();
  }

  private async room(roomId: string): Promise<RoomEntry> {
    let room = this.rooms.get(roomId);
    if (!room) {
      const subscribed = this.subscriber.subscribe(hlsChannel(this.subscriber, roomId)).catch((err: unknown) => {
        this.rooms.delete(roomId); // the next request tries again
        throw err;
      });
      room = { subscribed, live: false, master: undefined, renditions: new Map(), heads: new Map(), waiters: new Set(), lastUsed: 0 };
      this.rooms.set(roomId, room);
    }
    room.lastUsed = Date.now();
    // Subscribed before any GET, so an update is either in what we read or in a message after it.
    await room.subscribed;
    room.live = true;
    return room;
  }

  /** Anyone on Redis can publish: a message that does not parse is dropped, never thrown into ioredis. */
  private onMessage(channel: string, message: string): void {
    const room = this.rooms.get(channel.slice(this.channelPrefix.length));
    if (!room) return;
    const parsed = safeParseJsonWith(hlsStateMessageSchema, message, `LL-HLS state message on ${channel}`);
    if (!parsed.success) return this.logger?.debug({ err: parsed.error.message }, 'dropped an LL-HLS state message');
    if (parsed.data.type === 'master') return this.keepMaster(room, parsed.data.state);
    const update = parsed.data.state;
    const { text } = update.head;
    // Messages come in order: one naming a head brings it or follows the one that did, unless this
    // process was not following the room yet (its first read then brings a head at least as new).
    const head = text === undefined ? room.heads.get(update.rendition) : { id: update.head.id, text };
    if (head?.id === update.head.id) this.keep(room, { update, head });
    else this.logger?.debug({ rendition: update.rendition }, 'dropped an LL-HLS state whose playlist head is unknown here');
  }

  private keepMaster(room: RoomEntry, master: MasterState | undefined): void {
    if (master && (!room.master || master.seq > room.master.seq)) room.master = master;
  }

  /** Keeps the newer of what we have and `update` (a read and a message can race), then wakes waiters. */
  private keep(room: RoomEntry, read: { update: RenditionUpdate; head: PlaylistHead } | undefined): void {
    if (!read) return;
    const { update, head } = read;
    const knownHead = room.heads.get(update.rendition);
    if (!knownHead || head.id > knownHead.id) room.heads.set(update.rendition, head);
    const known = room.renditions.get(update.rendition);
    if (known && known.seq >= update.seq) return;
    const state = stateOf(update, head.text);
    room.renditions.set(state.rendition, state);
    for (const waiter of room.waiters) if (waiter.rendition === state.rendition && waiter.ready(state)) waiter.resolve(state);
  }

  private sweep(): void {
    const idleSince = Date.now() - IDLE_MS;
    for (const [roomId, room] of this.rooms) {
      if (room.lastUsed > idleSince || room.waiters.size > 0) continue;
      this.rooms.delete(roomId);
      void this.subscriber.unsubscribe(hlsChannel(this.subscriber, roomId)).catch(() => {});
    }
  }
}
