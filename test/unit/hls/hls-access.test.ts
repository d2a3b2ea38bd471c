import { describe, expect, it } from 'vitest';
import { withToken } from '../../../src/hls/hls-access.js';

describe('withToken', () => {
  it('adds the token to every URI line and URI attribute, keeping existing queries', () => {
    const text = ['#EXTM3U', '#EXT-X-MAP:URI="init.mp4"', '#EXT-X-PART:DURATION=0.2,URI="part1.0.m4s",INDEPENDENT=YES', '#EXTINF:1.0,', 'seg1.m4s', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part2.0.m4s?x=1"', 'v1/index.m3u8', ''].join('\n');
    expect(withToken(text, 'a b')).toBe(
      ['#EXTM3U', '#EXT-X-MAP:URI="init.mp4?token=a%20b"', '#EXT-X-PART:DURATION=0.2,URI="part1.0.m4s?token=a%20b",INDEPENDENT=YES', '#EXTINF:1.0,', 'seg1.m4s?token=a%20b', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part2.0.m4s?x=1&token=a%20b"', 'v1/index.m3u8?token=a%20b', ''].join('\n'),
    );
  });
});
