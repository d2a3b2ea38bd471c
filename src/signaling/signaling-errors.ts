import { TokenError, type TokenErrorCode } from '../auth/room-token.js';
import { QuestionLimitError } from '../rooms/question-store.js';
import { RoomError } from '../rooms/room-service.js';
import type { SignalingErrorBody, SignalingErrorCode } from './protocol.js';

/** A refused request: its `code` is one of the protocol's stable codes. */
export class SignalingError extends Error {
  constructor(
    readonly code: SignalingErrorCode,
    message: string,
    /** Extra fields for the client, e.g. `hls_url` with `webrtc_full`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  body(): SignalingErrorBody {
    return { ...this.details, code: this.code, message: this.message };
  }
}

// The one table from the errors of the layers below to signaling codes. Keyed by the domain's own
// code types, so a new domain code does not type-check until it is mapped here.

const TOKEN_CODES: Record<TokenErrorCode, SignalingErrorCode> = {
  token_malformed: 'token_malformed',
  token_invalid: 'token_invalid',
  token_expired: 'token_expired',
  token_not_yet_valid: 'token_not_yet_valid',
  token_unknown_key: 'token_unknown_key',
};

/** null: no signaling request can meet this refusal, so meeting it is a bug (answered `internal`). */
const ROOM_CODES: Record<RoomError['code'], SignalingErrorCode | null> = {
  room_not_found: 'room_not_found',
  room_archived: 'room_archived',
  room_ended: 'room_ended',
  not_hybrid: 'not_hybrid',
  already_promoted: 'already_promoted',
  not_ended: null,
  room_id_taken: null,
};

/** What a client is told when the failure is ours. */
export const INTERNAL_ERROR: SignalingErrorBody = { code: 'internal', message: 'internal error' };

/** The refusal a thrown error stands for; null when it is unexpected (a bug, or a dependency down). */
export function toSignalingError(err: unknown): SignalingError | null {
  if (err instanceof SignalingError) return err;
  if (err instanceof TokenError) return new SignalingError(TOKEN_CODES[err.code], err.message);
  if (err instanceof QuestionLimitError) return new SignalingError('question_limit', err.message);
  if (err instanceof RoomError) {
    const code = ROOM_CODES[err.code];
    return code ? new SignalingError(code, err.message) : null;
  }
  return null;
}

const MEDIA_MESSAGE_MAX = 300;

/**
 * mediasoup refuses what a client sent (RTP/DTLS parameters, capabilities) by throwing: that is
 * the client's error, `media_error`, with mediasoup's reason.
 */
export function mediaError(err: unknown): SignalingError {
  if (err instanceof SignalingError) return err;
  return new SignalingError('media_error', (err instanceof Error ? err.message : String(err)).slice(0, MEDIA_MESSAGE_MAX));
}

/** Runs a mediasoup call whose failure is the client's: see mediaError. */
export async function mediaCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mediaError(err);
  }
}
