import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { safeParseJsonWith, safeParseWith, type PayloadResult } from '../../common/json-payload.js';
import type { Logger } from '../../common/logger.js';
import { channelFor } from '../../common/pubsub-channel.js';
import type { ParticipantInfo, ServerEvents, TrackInfo } from './protocol.js';
import {
  RELAYED_EVENTS,
  nodeCountSchema,
  remoteParticipantSchema,
  remoteTrackSchema,
  type RelayMessage,
  type RemoteParticipant,
  type RemoteTrack,
} from './relay-messages.js';

/** The state, after an event, of the announced participant or published track the event changed. */
export type PresenceUpdate = { participant: ParticipantInfo } | { track: TrackInfo };

/** A presence entry as read back: which hash field, and whose participant or track. */
type PresenceEntry = { field: string; participant: RemoteParticipant } | { field: string; track: RemoteTrack };

/** Presence entries outlive nothing: a forgotten room's hash expires on its own. */
const PRESENCE_TTL_MS = 24 * 3600 * 1000;

/**
 * One room across nodes: each node publishes the room events that happen on it and keeps who is
 * announced and what is published in a Redis hash, so a node that opens the room later (an edge
 * taking viewers) knows the room as it is, and consumes tracks from the node that holds them.
 */
export class RoomRelay {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    readonly nodeId: string,
    private readonly logger: Logger,
  ) {
    this.prefix = channelFor(redis, 'room-relay:');
  }

  channel(roomId: string): string {
    return `${this.prefix}${roomId}`;
  }

  /** The room id of a relay channel, or null for another channel. */
  roomOfChannel(channel: string): string | null {
    return channel.startsWith(this.prefix) ? channel.slice(this.prefix.length) : null;
  }

  /** Records what the event changes in the room's presence (`update`: the entry as it now is), then tells the other nodes. */
  async publish<E extends keyof ServerEvents>(roomId: string, event: E, data: ServerEvents[E], routerId: string, update?: PresenceUpdate): Promise<void> {
    if (!RELAYED_EVENTS.has(event)) return;
    const tx = this.redis.multi();
    this.recordPresence(tx, roomId, event, data);
    if (update) this.writePresence(tx, roomId, update, routerId);
    tx.publish(this.channel(roomId), JSON.stringify({ node: this.nodeId, room_id: roomId, event, data }));
    await tx.exec();
  }

  /** Who is announced and what is published on nodes other than this one. */
  async presence(roomId: string): Promise<{ participants: RemoteParticipant[]; tracks: RemoteTrack[] }> {
    const participants: RemoteParticipant[] = [];
    const tracks: RemoteTrack[] = [];
    for (const entry of await this.readPresence(roomId)) {
      if ('track' in entry) {
        if (entry.track.node !== this.nodeId) tracks.push(entry.track);
      } else if (entry.participant.node !== this.nodeId) participants.push(entry.participant);
    }
    return { participants, tracks };
  }

  /** Rewrites an entry of this node's presence in the room whose change no event announces (a publisher pausing its own track). */
  async updatePresence(roomId: string, update: PresenceUpdate, routerId: string): Promise<void> {
    const tx = this.redis.multi();
    this.writePresence(tx, roomId, update, routerId);
    await tx.exec();
  }

  /** A track published on another node, or null. */
  async remoteTrack(roomId: string, producerId: string): Promise<RemoteTrack | null> {
    const field = `t:${producerId}`;
    const json = await this.redis.hget(presenceKey(roomId), field);
    const track = json === null ? null : this.readJson(remoteTrackSchema, json, `presence entry ${field} of room ${roomId}`);
    return track && track.node !== this.nodeId ? track : null;
  }

  /** Records this node's audience of the room; answers the audience on every node. */
  async reportViewers(roomId: string, count: number): Promise<number> {
    const key = viewersKey(roomId);
    const results = await this.redis.multi().hset(key, this.nodeId, count).pexpire(key, PRESENCE_TTL_MS).hvals(key).sadd(nodeRoomsKey(this.nodeId), roomId).exec();
    const counts = results?.[2]?.[1];
    let total = 0;
    for (const raw of Array.isArray(counts) ? counts : []) total += this.readCount(raw, `viewer count of room ${roomId}`) ?? 0;
    return total;
  }

  /**
   * Counts the room's participants on this node, so that if the node dies another node can take
   * them out of the room's lifecycle (the room still ends when the last one is gone).
   */
  async memberJoined(roomId: string): Promise<void> {
    await this.redis.multi().hincrby(membersKey(roomId), this.nodeId, 1).pexpire(membersKey(roomId), PRESENCE_TTL_MS).sadd(nodeRoomsKey(this.nodeId), roomId).exec();
  }

  async memberLeft(roomId: string): Promise<void> {
    await this.redis.hincrby(membersKey(roomId), this.nodeId, -1);
  }

  /** The room's audience per node, as each last reported it. */
  async viewersByNode(roomId: string): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const [node, raw] of Object.entries(await this.redis.hgetall(viewersKey(roomId)))) {
      const n = this.readCount(raw, `viewer count of node ${node} in room ${roomId}`);
      if (n !== null) counts.set(node, n);
    }
    return counts;
  }

  /** The room closed on this node. */
  async roomClosed(roomId: string): Promise<void> {
    await this.redis.multi().hdel(viewersKey(roomId), this.nodeId).hdel(membersKey(roomId), this.nodeId).srem(nodeRoomsKey(this.nodeId), roomId).exec();
  }

  /**
   * `nodeId` died: its participants and tracks leave every room it was in, announced to the
   * other nodes as if it had said so. Any node may run this; each entry is removed (and
   * announced) by exactly one of them, which also learns how many participants the dead node
   * held per room (for the room's lifecycle).
   */
  async forgetNode(nodeId: string): Promise<{ roomId: string; members: number }[]> {
    const rooms = await this.redis.smembers(nodeRoomsKey(nodeId));
    const orphaned: { roomId: string; members: number }[] = [];
    for (const roomId of rooms) {
      // HGETDEL in effect: whoever deletes the count owns the dead node's members of the room.
      const results = await this.redis.multi().hget(membersKey(roomId), nodeId).hdel(membersKey(roomId), nodeId).exec();
      const raw = results?.[0]?.[1];
      const members = typeof raw === 'string' ? this.readCount(raw, `member count of node ${nodeId} in room ${roomId}`) : null;
      if (members !== null && members > 0) orphaned.push({ roomId, members });
      const gone = (await this.readPresence(roomId))
        .filter((entry) => ('track' in entry ? entry.track.node : entry.participant.node) === nodeId)
        // Tracks first: clients drop a participant's tracks before the participant.
        .sort((a, b) => Number('track' in b) - Number('track' in a));
      for (const entry of gone) {
        if ((await this.redis.hdel(presenceKey(roomId), entry.field)) !== 1) continue;
        const message: RelayMessage =
          'track' in entry
            ? { node: nodeId, room_id: roomId, event: 'track-unpublished', data: { producer_id: entry.track.info.producer_id, participant_id: entry.track.info.participant_id } }
            : { node: nodeId, room_id: roomId, event: 'participant-left', data: { id: entry.participant.info.id, identity: entry.participant.info.identity } };
        await this.redis.publish(this.channel(roomId), JSON.stringify(message));
      }
      await this.redis.hdel(viewersKey(roomId), nodeId);
    }
    await this.redis.del(nodeRoomsKey(nodeId));
    if (rooms.length) this.logger.info({ node_id: nodeId, rooms: rooms.length }, 'forgot a lost node in its rooms');
    return orphaned;
  }

  /** Every well-formed entry of the room's presence, on any node. */
  private async readPresence(roomId: string): Promise<PresenceEntry[]> {
    const entries: PresenceEntry[] = [];
    for (const [field, json] of Object.entries(await this.redis.hgetall(presenceKey(roomId)))) {
      if (field.startsWith('t:')) {
        const track = this.readJson(remoteTrackSchema, json, `presence entry ${field} of room ${roomId}`);
        if (track) entries.push({ field, track });
      } else {
        const participant = this.readJson(remoteParticipantSchema, json, `presence entry ${field} of room ${roomId}`);
        if (participant) entries.push({ field, participant });
      }
    }
    return entries;
  }

  // What this relay reads back from Redis, or null (logged) when it is not what a relay writes.

  private readJson<S extends z.ZodType>(schema: S, json: string, what: string): z.output<S> | null {
    return this.kept(safeParseJsonWith(schema, json, what));
  }

  private readCount(raw: unknown, what: string): number | null {
    return this.kept(safeParseWith(nodeCountSchema, raw, what));
  }

  private kept<T>(result: PayloadResult<T>): T | null {
    if (result.success) return result.data;
    this.logger.debug({ err: result.error.message }, 'dropped a malformed room relay entry');
    return null;
  }

  /** The entries an event removes; entries it adds or changes come as a PresenceUpdate. */
  private recordPresence(tx: ReturnType<Redis['multi']>, roomId: string, event: keyof ServerEvents, data: unknown): void {
    if (event === 'participant-left') tx.hdel(presenceKey(roomId), `p:${(data as ServerEvents['participant-left']).id}`);
    if (event === 'track-unpublished') tx.hdel(presenceKey(roomId), `t:${(data as ServerEvents['track-unpublished']).producer_id}`);
  }

  private writePresence(tx: ReturnType<Redis['multi']>, roomId: string, update: PresenceUpdate, routerId: string): void {
    const key = presenceKey(roomId);
    const [field, entry]: [string, RemoteParticipant | RemoteTrack] =
      'participant' in update
        ? [`p:${update.participant.id}`, { node: this.nodeId, info: update.participant }]
        : [`t:${update.track.producer_id}`, { node: this.nodeId, router_id: routerId, info: update.track }];
    tx.hset(key, field, JSON.stringify(entry)).pexpire(key, PRESENCE_TTL_MS).sadd(nodeRoomsKey(this.nodeId), roomId);
  }
}

const presenceKey = (roomId: string) => `lc:room:${roomId}:presence`;
/** Per node, the viewers it serves of the room (exported for tests that watch a node report). */
export const viewersKey = (roomId: string) => `lc:room:${roomId}:viewers`;
const membersKey = (roomId: string) => `lc:room:${roomId}:members`;
const nodeRoomsKey = (nodeId: string) => `lc:node:${nodeId}:rooms`;
