import type { TokenMinter } from '../auth/token-minter.js';
import type { HlsStatusStore } from '../hls/hls-status.js';
import type { Room } from '../rooms/room.js';
import { playbackIsSigned } from '../rooms/room-types.js';

/** A playback token for this node's own reads of a signed room's stream lasts this long. */
const TOKEN_TTL_S = 3600;

export interface ProgramInputDeps {
  status: Pick<HlsStatusStore, 'get'>;
  minter: Pick<TokenMinter, 'mintPlayback'>;
  /** This node's HTTP origin as it reaches itself (http://127.0.0.1:<port>). */
  localOrigin: () => string;
}

/** How ffmpeg reads a room's on-air program. */
export interface ProgramInput {
  url: string;
  /** Start at the live edge (the last segment), not at the start of the playlist's window. */
  inputOptions: string[];
}

/**
 * The on-air program of a room, as restreams and thumbnails read it: the room's LL-HLS, which shows
 * who is on air by the director's rule (src/hls/broadcast-director.ts), read from this node's own
 * origin like any player would (with a playback token when the room's playback is signed). Null
 * while nobody is on air.
 */
export class ProgramInputs {
  constructor(private readonly deps: ProgramInputDeps) {}

  async of(room: Room): Promise<ProgramInput | null> {
    const status = await this.deps.status.get(room.id);
    if (status?.state !== 'live') return null;
    let url = `${this.deps.localOrigin()}${status.url}`;
    if (playbackIsSigned(room.config)) url += `?token=${encodeURIComponent(await this.deps.minter.mintPlayback(room.owner, room.id, 'levelchat-program', TOKEN_TTL_S))}`;
    return { url, inputOptions: ['-live_start_index', '-1'] };
  }
}
