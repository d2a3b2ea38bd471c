// A broadcast's WebRTC seats are taken (`webrtc_full`): the session watches its LL-HLS stream instead,
// with no signaling and no WebRTC. All it knows of the room is what the token says and where the
// stream is.
import { toParticipant, type LocalParticipant } from './room-data.js';

/** You, watching over LL-HLS: the room and identity your token names, and the stream. */
export interface HlsViewer {
  roomId: string;
  roomType: string;
  local: LocalParticipant;
  hlsUrl: string;
}

/** The (unverified) claims of a room token: who you are, in which room, with what. */
interface TokenClaims {
  sub?: string;
  room?: string;
  caps?: string[];
  name?: string;
}

/** `roomType`: the type the app says it created (the server never told us). */
export function hlsViewer(token: string, hlsUrl: string, roomType = 'broadcast'): HlsViewer {
  const claims = tokenClaims(token);
  const participant = toParticipant({ id: '', identity: claims.sub ?? '', name: claims.name ?? null, metadata: null, hand_raised: false, on_stage: false });
  return {
    roomId: claims.room ?? /\/hls\/([^/]+)\//.exec(hlsUrl)?.[1] ?? '',
    roomType,
    local: { ...participant, capabilities: claims.caps ?? [] },
    hlsUrl,
  };
}

function tokenClaims(token: string): TokenClaims {
  try {
    const payload = token.split('.')[1] ?? '';
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as TokenClaims;
  } catch {
    return {};
  }
}
