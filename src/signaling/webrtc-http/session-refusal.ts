/**
 * Why a WHIP/WHEP request was refused, beyond the refusals a WebSocket join shares with it (those
 * stay SignalingErrors). The API maps every code to a problem+json code (src/api/routes/webrtc-problems.ts).
 */
export type SessionRefusalCode =
  /** The body is not an SDP offer we can read. */
  | 'sdp_malformed'
  /** A readable offer we cannot accept (no codec in common, no BUNDLE, no DTLS...). */
  | 'sdp_unsupported'
  /** The token is for another room than the URL's. */
  | 'token_room_mismatch'
  /** The identity holds a session already and the room type allows one per identity. */
  | 'identity_in_use'
  /** No such WHIP/WHEP session on this node (ended, kicked, or never made). */
  | 'session_not_found'
  /** PATCH with an If-Match that is not the session's entity tag. */
  | 'etag_mismatch';

export class SessionRefusal extends Error {
  constructor(
    readonly code: SessionRefusalCode,
    message: string,
  ) {
    super(message);
  }
}
