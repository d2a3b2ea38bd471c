import { ProblemError, type ProblemCode } from '../../common/problem.js';
import type { SignalingErrorCode } from '../signaling/protocol.js';
import { SignalingError } from '../signaling/signaling-errors.js';
import { SessionRefusal, type SessionRefusalCode } from '../signaling/webrtc-http/session-refusal.js';

// How the refusals of a WHIP/WHEP request read over HTTP. `wrong_node` is not here: the route
// answers it with a 307 to the right node (WHIP allows redirects), and `webrtc_full` gets its
// Retry-After and LL-HLS Link from the route.

const SESSION_PROBLEMS: Record<SessionRefusalCode, ProblemCode> = {
  sdp_malformed: 'sdp_malformed',
  sdp_unsupported: 'sdp_unsupported',
  token_room_mismatch: 'token_room_mismatch',
  identity_in_use: 'identity_in_use',
  session_not_found: 'session_not_found',
  etag_mismatch: 'etag_mismatch',
};

/** Signaling refusals an HTTP session can meet; any other is a bug (500). */
const SIGNALING_PROBLEMS: Partial<Record<SignalingErrorCode, ProblemCode>> = {
  token_malformed: 'token_malformed',
  token_invalid: 'token_invalid',
  token_expired: 'token_expired',
  token_not_yet_valid: 'token_not_yet_valid',
  token_unknown_key: 'token_unknown_key',
  token_revoked: 'token_revoked',
  room_not_found: 'room_not_found',
  room_ended: 'room_ended',
  room_archived: 'room_archived',
  room_full: 'room_full',
  webrtc_full: 'webrtc_full',
  publishers_full: 'publishers_full',
  capability_required: 'capability_required',
  media_error: 'media_error',
  media_limit: 'media_error',
};

/** The problem a WHIP/WHEP refusal is; undefined when it is none of theirs (the app's handler decides). */
export function webrtcProblem(err: unknown, headers: Record<string, string> = {}): ProblemError | undefined {
  if (err instanceof SessionRefusal) return new ProblemError(SESSION_PROBLEMS[err.code], err.message, { headers });
  if (err instanceof SignalingError) {
    const code = SIGNALING_PROBLEMS[err.code];
    return code ? new ProblemError(code, err.message, { headers }) : new ProblemError('internal', undefined, { cause: err });
  }
  return undefined;
}
