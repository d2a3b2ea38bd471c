import type { SignalingErrorCode } from '../../src/signaling/protocol.js';

/** Codes the SDK adds to the server's stable signaling codes. */
export type ClientErrorCode =
  | 'timeout' // no answer within the request timeout
  | 'disconnected' // the connection closed before the answer arrived
  | 'connection_failed' // the signaling socket could not be opened
  | 'device_error' // camera, microphone or screen could not be captured or sent
  | 'invalid_state'; // the session has ended (or the SDK was used in the wrong order)

export type LevelChatErrorCode = SignalingErrorCode | ClientErrorCode;

/** What an `error` event carries. */
export interface ErrorInfo {
  code: LevelChatErrorCode;
  message: string;
}

/** Every part of a session reports refusals and background failures as `error`. */
export interface ErrorEventMap {
  error: [error: ErrorInfo];
}

/** Every rejected SDK promise and every `error` event carries one of these: `{ code, message }`. */
export class LevelChatError extends Error {
  override readonly name = 'LevelChatError';

  constructor(
    readonly code: LevelChatErrorCode,
    message: string,
    /** Extra fields the server sent with the refusal, e.g. `hls_url` with `webrtc_full`. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  toJSON(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

/** Any thrown value as a LevelChatError (browser/device failures become `device_error`). */
export function asLevelChatError(err: unknown, fallback: LevelChatErrorCode = 'device_error'): LevelChatError {
  if (err instanceof LevelChatError) return err;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new LevelChatError(fallback, message);
}
