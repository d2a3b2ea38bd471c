import { describe, expect, it } from 'vitest';
import { canonicalHlsRoute } from '../../../src/hls/hls-request.js';

describe('canonicalHlsRoute (the fast path takes these, express the rest)', () => {
  it('recognises the three canonical paths with valid names', () => {
    expect(canonicalHlsRoute('/hls/r_a.b-c/master.m3u8')).toEqual({ kind: 'master', roomId: 'r_a.b-c' });
    expect(canonicalHlsRoute('/hls/r_a/v1/index.m3u8')).toEqual({ kind: 'playlist', roomId: 'r_a', rendition: 'v1' });
    expect(canonicalHlsRoute('/hls/r_a/v1/part32.m4s')).toEqual({ kind: 'media', roomId: 'r_a', rendition: 'v1', file: { kind: 'part', name: 'part32.m4s', number: 32 } });
    expect(canonicalHlsRoute('/hls/r_a/v1/seg3.m4s')).toMatchObject({ kind: 'media', file: { kind: 'segment', msn: 3 } });
    expect(canonicalHlsRoute('/hls/r_a/v1/init.mp4')).toMatchObject({ kind: 'media', file: { kind: 'init' } });
  });

  it('leaves every other form to express', () => {
    for (const path of [
      '/hls/r_a/master.m3u8/',
      '/hls/r_a/v1/index.m3u8/',
      '/HLS/r_a/master.m3u8',
      '/hls/r_a/MASTER.M3U8',
      '/hls/r_a/v1/INDEX.M3U8',
      '/hls/r_a/v1/part32.m4s/x',
      '/hls/r_a/v1/part3.2.m4s',
      '/hls/r_a%2Fb/master.m3u8',
      '/hls/r_a/v1/%70art3.2.m4s',
      '/hls//master.m3u8',
      '/hls/r_a//index.m3u8',
      '/hls/bad room/master.m3u8',
      '/hls/r_a..b/master.m3u8',
      '/hls/r_a/V1/index.m3u8',
      '/hls/r_a/v1/seg1.m4s.bak',
      '/hls/r_a/v1/../master.m3u8',
      '/hls/r_a',
      '/hlsx/r_a/master.m3u8',
      '/v1/rooms',
    ]) {
      expect(canonicalHlsRoute(path), path).toBeUndefined();
    }
  });
});
