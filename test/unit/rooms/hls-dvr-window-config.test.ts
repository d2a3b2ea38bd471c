import { describe, expect, it } from 'vitest';
import { MAX_DVR_WINDOW_S } from '../../../pipeline/llhls/dvr-window.js';
import { resolvedRoomConfigSchema, resolveRoomConfig, roomConfigSchema, ROOM_TYPES } from '../../../src/rooms/room-types.js';

const parse = (hls_dvr_window_s: unknown) => roomConfigSchema.safeParse({ hls_dvr_window_s });

describe('config.hls_dvr_window_s', () => {
  it('defaults to the live edge only (0) for every room type', () => {
    for (const type of ROOM_TYPES) expect(resolveRoomConfig(type).hls_dvr_window_s, type).toBe(0);
  });

  it('accepts whole seconds up to the maximum, at least two hours', () => {
    expect(MAX_DVR_WINDOW_S).toBeGreaterThanOrEqual(7200);
    for (const seconds of [0, 30, 7200, MAX_DVR_WINDOW_S]) expect(parse(seconds).success, String(seconds)).toBe(true);
    expect(resolveRoomConfig('broadcast', { hls_dvr_window_s: 7200 }).hls_dvr_window_s).toBe(7200);
  });

  it.each([
    ['a negative window', -1],
    ['a fraction', 1.5],
    ['more than the maximum', MAX_DVR_WINDOW_S + 1],
    ['a string', '60'],
  ])('refuses %s', (_name, value) => {
    const result = parse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe('hls_dvr_window_s');
  });

  it('reads rooms stored before the option existed as live edge only', () => {
    const { hls_dvr_window_s: _window, ...stored } = resolveRoomConfig('broadcast');
    expect(resolvedRoomConfigSchema.parse(stored).hls_dvr_window_s).toBe(0);
  });
});
