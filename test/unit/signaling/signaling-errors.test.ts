import { describe, expect, it } from 'vitest';
import { TokenError, type TokenErrorCode } from '../../../src/auth/room-token.js';
import { RoomError } from '../../../src/rooms/room-service.js';
import { SIGNALING_ERROR_CODES } from '../../../src/signaling/protocol.js';
import { INTERNAL_ERROR, SignalingError, mediaCall, mediaError, toSignalingError } from '../../../src/signaling/signaling-errors.js';

const TOKEN_CODES: TokenErrorCode[] = ['token_malformed', 'token_invalid', 'token_expired', 'token_not_yet_valid', 'token_unknown_key'];

describe('domain errors to signaling codes', () => {
  it('keeps a SignalingError as it is', () => {
    const err = new SignalingError('room_full', 'full');
    expect(toSignalingError(err)).toBe(err);
  });

  it('refuses a token with the code of its reason', () => {
    for (const code of TOKEN_CODES) {
      const refusal = toSignalingError(new TokenError(code, 'no'));
      expect(refusal?.code).toBe(code);
      expect(refusal?.message).toBe('no');
    }
  });

  it('maps the room refusals a join or a promotion can meet to the codes of the same name', () => {
    for (const code of ['room_not_found', 'room_archived', 'room_ended', 'not_hybrid', 'already_promoted'] as const) {
      expect(toSignalingError(new RoomError(code, 'refused'))?.code).toBe(code);
    }
  });

  it('treats room refusals no signaling request can meet, and anything else, as unexpected', () => {
    expect(toSignalingError(new RoomError('not_ended', 'x'))).toBeNull();
    expect(toSignalingError(new RoomError('room_id_taken', 'x'))).toBeNull();
    expect(toSignalingError(new Error('boom'))).toBeNull();
    expect(toSignalingError('a string')).toBeNull();
    expect(INTERNAL_ERROR).toEqual({ code: 'internal', message: 'internal error' });
  });

  it('only ever answers codes of the protocol', () => {
    const known = new Set<string>(SIGNALING_ERROR_CODES);
    const errors = [...TOKEN_CODES.map((c) => new TokenError(c, '')), ...(['room_not_found', 'room_archived', 'room_ended', 'not_hybrid', 'already_promoted'] as const).map((c) => new RoomError(c, ''))];
    for (const err of errors) expect(known.has(toSignalingError(err)!.code)).toBe(true);
  });

  it('puts the details next to code and message, which they cannot override', () => {
    const err = new SignalingError('webrtc_full', 'watch over LL-HLS', { hls_url: '/hls/r_a/index.m3u8', code: 'spoofed' });
    expect(err.body()).toEqual({ hls_url: '/hls/r_a/index.m3u8', code: 'webrtc_full', message: 'watch over LL-HLS' });
  });
});

describe('mediasoup refusals', () => {
  it('become media_error with a bounded message', async () => {
    const long = 'x'.repeat(1000);
    expect(mediaError(new TypeError(long))).toMatchObject({ code: 'media_error', message: 'x'.repeat(300) });
    await expect(mediaCall(() => Promise.reject(new TypeError('invalid RTP parameters')))).rejects.toMatchObject({ code: 'media_error', message: 'invalid RTP parameters' });
  });

  it('leave a SignalingError raised inside the call as it is', async () => {
    const err = new SignalingError('not_found', 'gone');
    await expect(mediaCall(() => Promise.reject(err))).rejects.toBe(err);
    await expect(mediaCall(() => Promise.resolve(7))).resolves.toBe(7);
  });
});
