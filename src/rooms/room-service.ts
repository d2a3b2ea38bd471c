import type { Logger } from '../../common/logger.js';
import type { RoomArchiver } from './room-archiver.js';
import type { RoomAction, RoomActionError, RoomRepository } from './room-repository.js';
import { externalIdOf, generateRoomId, roomIdFor } from '../../common/room-id.js';
import type { Room } from './room.js';
import { resolveRoomConfig, type RoomConfigInput, type RoomType } from './room-types.js';
import { DomainError } from '../../common/problem.js';

/** A refusal with a stable code; the API maps it to an HTTP status. */
export class RoomError extends DomainError<RoomActionError | 'room_id_taken'> {}

const MESSAGES: Record<RoomError['code'], string> = {
  room_not_found: 'no such room',
  room_archived: 'the room is archived and read-only',
  room_ended: 'the room was ended by its host',
  not_ended: 'the room has not ended',
  room_id_taken: 'this room id belongs to another API key',
  not_hybrid: 'only hybrid rooms can be promoted to a broadcast',
  already_promoted: 'the room was promoted already',
};

function refuse(code: RoomError['code']): never {
  throw new RoomError(code, MESSAGES[code]);
}

/**
 * The room lifecycle: `created → active → ended → archived`. Active on the first join, ended on the
 * last leave (it may become active again) or when the host ends it, archived later by a job.
 */
export class RoomService {
  constructor(
    private readonly rooms: RoomRepository,
    private readonly archiver: RoomArchiver,
    private readonly logger: Logger,
  ) {}

  /** Creates a room; the same external id from the same key returns the existing room. */
  async create(owner: string, input: { external_id?: string; type: RoomType; config?: RoomConfigInput; parent_id?: string }): Promise<{ room: Room; created: boolean }> {
    const config = resolveRoomConfig(input.type, input.config);
    const id = input.external_id ? roomIdFor(input.external_id) : generateRoomId();
    const now = new Date().toISOString();
    const { room, created } = await this.rooms.create({
      id,
      external_id: input.external_id ?? null,
      type: input.type,
      config,
      state: 'created',
      created_at: now,
      transitions: [{ state: 'created', at: now }],
      ended_reason: null,
      participants: 0,
      owner,
      ...(input.parent_id ? { parent_id: input.parent_id } : {}),
    });
    if (room.owner !== owner) refuse('room_id_taken');
    if (created) this.logger.info({ room_id: id, type: input.type }, 'room created');
    return { room, created };
  }

  /** The room if this key owns it; another key's room is reported as not found. */
  async get(owner: string, id: string): Promise<Room> {
    const room = await this.rooms.get(id);
    if (!room || room.owner !== owner) refuse('room_not_found');
    return room;
  }

  /** For minting tokens: the room, created on the fly with the type's defaults when missing. */
  async getOrCreate(owner: string, id: string, type: RoomType): Promise<Room> {
    const existing = await this.rooms.get(id);
    if (existing) {
      if (existing.owner !== owner) refuse('room_not_found');
      return existing;
    }
    return (await this.create(owner, { external_id: externalIdOf(id), type })).room;
  }

  /** A hybrid meeting becomes a broadcast: nobody is dropped, new joiners may be viewers, LL-HLS starts. */
  async promote(owner: string, id: string): Promise<Room> {
    await this.get(owner, id);
    const room = await this.act(id, 'promote');
    this.logger.info({ room_id: id }, 'room promoted to broadcast');
    return room;
  }

  /** New tokens and registrations only for rooms that still take participants (the join script's rule too). */
  assertJoinable(room: Room): void {
    if (room.state === 'archived') refuse('room_archived');
    if (room.state === 'ended' && room.ended_reason === 'host_ended') refuse('room_ended');
  }

  async end(owner: string, id: string): Promise<Room> {
    await this.get(owner, id);
    return this.act(id, 'end');
  }

  /**
   * Ends every room of `owner` (a key being deleted) that is not over: the participants on it are sent
   * away (`host_ended`), as nobody can join it again with tokens of a deleted key.
   */
  async endAllOf(owner: string): Promise<void> {
    for (const state of ['active', 'created'] as const) {
      let cursor: string | undefined;
      do {
        const page = await this.rooms.list(owner, { state, limit: 100, cursor });
        for (const room of page.rooms) {
          try {
            await this.act(room.id, 'end');
          } catch (err) {
            // Ended (or archived) meanwhile: nothing left to do.
            if (!(err instanceof RoomError)) throw err;
          }
        }
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    }
  }

  /** A participant joined (signaling calls this); refused for archived or host-ended rooms. */
  async join(id: string): Promise<Room> {
    return this.act(id, 'join');
  }

  async leave(id: string): Promise<Room> {
    return this.act(id, 'leave');
  }

  private async act(id: string, action: RoomAction): Promise<Room> {
    const result = await this.rooms.act(id, action);
    if ('error' in result) refuse(result.error);
    const { room, changed } = result;
    if (changed && room.state === 'ended') {
      await this.archiver.schedule(id);
      this.logger.info({ room_id: id, reason: room.ended_reason }, 'room ended');
    } else if (changed && room.state === 'active' && room.transitions.length > 2) {
      await this.archiver.cancel(id);
    }
    return room;
  }
}
