import { describe, expect, it } from 'vitest';
import { resolveRoomConfig, roomConfigSchema, ROOM_TYPES } from '../../../src/rooms/room-types.js';

const parse = (hls_renditions: unknown) => roomConfigSchema.safeParse({ hls_renditions });

describe('config.hls_renditions', () => {
  it('defaults to the source alone for every room type', () => {
    for (const type of ROOM_TYPES) expect(resolveRoomConfig(type).hls_renditions, type).toEqual(['source']);
  });

  it('accepts any subset of the ladder and keeps it highest first', () => {
    expect(parse(['360p']).success).toBe(true);
    const input = roomConfigSchema.parse({ hls_renditions: ['360p', 'source', '720p'] });
    expect(resolveRoomConfig('broadcast', input).hls_renditions).toEqual(['source', '720p', '360p']);
    expect(resolveRoomConfig('webinar', { hls_renditions: ['360p', '720p'] }).hls_renditions).toEqual(['720p', '360p']);
  });

  it.each([
    ['an unknown rendition', ['source', '1080p']],
    ['a repeated rendition', ['360p', '360p']],
    ['no rendition', []],
    ['more renditions than the ladder has', ['source', '720p', '360p', 'source']],
    ['a string', 'source'],
  ])('refuses %s', (_name, value) => {
    const result = parse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe('hls_renditions');
  });
});
