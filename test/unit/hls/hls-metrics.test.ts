import { describe, expect, it } from 'vitest';
import { hlsRequestKind } from '../../../src/hls/hls-metrics.js';
import { ViewerSessions } from '../../../src/hls/viewer-sessions.js';

describe('hlsRequestKind', () => {
  it.each([
    ['/hls/r_a/master.m3u8', 'playlist'],
    ['/hls/r_a/vabc/index.m3u8', 'playlist'],
    ['/hls/r_a/vabc/index.m3u8?_HLS_skip=YES', 'playlist'],
    ['/hls/r_a/vabc/index.m3u8?_HLS_msn=12&_HLS_part=3', 'blocking'],
    ['/hls/r_a/vabc/index.m3u8?token=t&_HLS_msn=12', 'blocking'],
    ['/hls/r_a/vabc/part17.m4s', 'part'],
    ['/hls/r_a/vabc/part17.m4s?token=x', 'part'],
    ['/hls/r_a/vabc/seg4.m4s', 'segment'],
    ['/hls/r_a/vabc/init.mp4', 'init'],
    ['/hls/r_a/vabc/init2.mp4', 'init'],
    ['/hls/r_a/vabc/other.txt', 'other'],
    ['/hls/', 'other'],
  ])('%s is %s', (url, kind) => {
    expect(hlsRequestKind(url)).toBe(kind);
  });
});

describe('ViewerSessions', () => {
  it('counts distinct sessions seen within the window', () => {
    const sessions = new ViewerSessions(30_000);
    sessions.seen('a', 0);
    sessions.seen('b', 1000);
    sessions.seen('a', 2000);
    expect(sessions.count(2000)).toBe(2);
    expect(sessions.count(31_500)).toBe(1);
    expect(sessions.count(40_000)).toBe(0);
  });

  it('stays within its bound: past it new sessions are not counted until old ones expire', () => {
    const sessions = new ViewerSessions(1000, 100);
    for (let i = 0; i < 500; i += 1) sessions.seen(`viewer ${i}`, 0);
    expect(sessions.count(0)).toBe(100);
    sessions.seen('late', 2000);
    expect(sessions.count(2000)).toBe(1);
  });
});
