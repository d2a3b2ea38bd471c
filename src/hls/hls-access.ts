import { LRUCache } from 'lru-cache';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import { verifyPlaybackToken } from '../auth/playback-token.js';
import { isRevokedBy, type Revocations } from '../auth/revocations.js';
import type { RoomRepository } from '../rooms/room-repository.js';
import { playbackIsSigned } from '../rooms/room-types.js';
import { ProblemError } from '../../common/problem.js';

const ROOM_CACHE_MS = 5000;
// Unknown rooms are cached too (as not gated, no owner): bounded, so requests for made-up ids cost nothing lasting.
const ROOM_CACHE_MAX = 10_000;
// A revoked viewer's playback stops within this time; a busy room asks Redis once per viewer per period.
const REVOCATION_CACHE_MS = 2000;

type RoomAccess = { owner: string | null; gated: boolean };

/**
 * Who may watch a room's LL-HLS: everyone, unless its playback is signed (`config.playback`, or
 * registration: webinars by default); then every playlist and media request carries a playback
 * token (`?token=`), minted over REST, for a registrant, or for a participant sent to LL-HLS.
 */
export interface PlaybackGate {
  check(roomId: string, token: unknown): Promise<{ gated: boolean; token: string | null }>;
}

export class HlsAccess implements PlaybackGate {
  private readonly rooms = new LRUCache<string, RoomAccess>({ max: ROOM_CACHE_MAX, ttl: ROOM_CACHE_MS });
  /** By room and identity: when its tokens were last revoked (null: never). */
  private readonly revocationTimes = new LRUCache<string, { at: number | null }>({ max: ROOM_CACHE_MAX, ttl: REVOCATION_CACHE_MS });

  constructor(
    private readonly repository: RoomRepository,
    private readonly keys: ApiKeyStore,
    private readonly revocations: Pick<Revocations, 'revokedAt'>,
  ) {}

  /**
   * Resolves when the request may be served; throws a 403 problem otherwise, and a 404 for a room that
   * does not exist (before anything follows its stream: made-up ids cost no subscription).
   */
  async check(roomId: string, token: unknown): Promise<{ gated: boolean; token: string | null }> {
    const room = await this.room(roomId);
    if (room.owner === null) throw new ProblemError('stream_not_found', `room ${roomId} is not broadcasting over HLS`);
    if (!room.gated) return { gated: false, token: null };
    if (typeof token !== 'string' || token.length === 0) {
      throw new ProblemError('playback_token_required', 'this room admits registered viewers only: add ?token=<playback token>');
    }
    const grant = await verifyPlaybackToken(token, roomId, room.owner, (kid) => this.keys.signingKey(kid));
    if (!grant) throw new ProblemError('playback_token_invalid', 'the playback token is wrong, expired or for another room');
    // A viewer kicked or a registration rejected: its playback tokens go with its room tokens.
    if (isRevokedBy(await this.revokedAt(roomId, grant.identity), grant.issuedAtMs)) {
      throw new ProblemError('playback_token_invalid', 'the playback token was revoked');
    }
    return { gated: true, token };
  }

  private async revokedAt(roomId: string, identity: string): Promise<number | null> {
    const key = `${roomId}\n${identity}`;
    const cached = this.revocationTimes.get(key);
    if (cached) return cached.at;
    const at = await this.revocations.revokedAt(roomId, identity);
    this.revocationTimes.set(key, { at });
    return at;
  }

  private async room(roomId: string): Promise<RoomAccess> {
    const cached = this.rooms.get(roomId);
    if (cached) return cached;
    const room = await this.repository.get(roomId);
    const entry = { owner: room?.owner ?? null, gated: room ? playbackIsSigned(room.config) : false };
    this.rooms.set(roomId, entry);
    return entry;
  }
}

/** Carries the token to every URI a playlist names, so players that follow them stay authorized. */
export function withToken(playlist: string, token: string): string {
  const q = `token=${encodeURIComponent(token)}`;
  const add = (uri: string) => `${uri}${uri.includes('?') ? '&' : '?'}${q}`;
  return playlist
    .split('\n')
    .map((line) => {
      if (line.length === 0) return line;
      if (!line.startsWith('#')) return add(line.trim());
      return line.replace(/URI="([^"]+)"/g, (_m, uri: string) => `URI="${add(uri)}"`);
    })
    .join('\n');
}
