import { describe, expect, it } from 'vitest';
import { LlHlsError } from '../../../pipeline/llhls/errors.js';
import { renderMultivariantPlaylist } from '../../../pipeline/llhls/multivariant-playlist.js';
import type { Segment } from '../../../pipeline/llhls/segment.js';
import { renderVodPlaylist } from '../../../pipeline/llhls/vod-playlist.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

const segment = (msn: number, duration: number, extra: Partial<Segment> = {}): Segment => ({
  msn,
  uri: `seg${msn}.m4s`,
  duration,
  programDateTime: T0 + msn * 1000,
  discontinuity: false,
  mapUri: 'init.mp4',
  ...extra,
});

describe('renderVodPlaylist', () => {
  it('lists every segment without parts and ends the list', () => {
    const text = renderVodPlaylist([
      segment(3, 1, { discontinuity: true }),
      segment(4, 1.03333),
      segment(5, 0.5, { discontinuity: true, mapUri: 'init1.mp4' }),
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:2',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        '#EXT-X-MEDIA-SEQUENCE:3',
        '#EXT-X-MAP:URI="init.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:03.000Z',
        '#EXTINF:1.000,',
        'seg3.m4s',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:04.000Z',
        '#EXTINF:1.03333,',
        'seg4.m4s',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init1.mp4"',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T12:00:05.000Z',
        '#EXTINF:0.500,',
        'seg5.m4s',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  it('needs at least one segment', () => {
    expect(() => renderVodPlaylist([])).toThrow(LlHlsError);
  });
});

describe('renderMultivariantPlaylist', () => {
  it('lists each rendition as a variant stream', () => {
    const text = renderMultivariantPlaylist([
      {
        uri: '720p/index.m3u8',
        bandwidth: 2_800_000,
        averageBandwidth: 2_500_000,
        codecs: ['avc1.64001f', 'mp4a.40.2'],
        resolution: { width: 1280, height: 720 },
        frameRate: 30,
      },
      { uri: '360p/index.m3u8', bandwidth: 900_000, codecs: ['avc1.42e01e', 'mp4a.40.2'], resolution: { width: 640, height: 360 }, frameRate: 29.97 },
      { uri: 'audio/index.m3u8', bandwidth: 96_000, codecs: ['mp4a.40.2'] },
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-STREAM-INF:BANDWIDTH=2800000,AVERAGE-BANDWIDTH=2500000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,CLOSED-CAPTIONS=NONE',
        '720p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=900000,CODECS="avc1.42e01e,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=29.970,CLOSED-CAPTIONS=NONE',
        '360p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=96000,CODECS="mp4a.40.2",CLOSED-CAPTIONS=NONE',
        'audio/index.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('refuses variants it cannot describe', () => {
    expect(() => renderMultivariantPlaylist([])).toThrow(LlHlsError);
    expect(() => renderMultivariantPlaylist([{ uri: 'a.m3u8', bandwidth: 0, codecs: ['mp4a.40.2'] }])).toThrow(LlHlsError);
    expect(() => renderMultivariantPlaylist([{ uri: 'a.m3u8', bandwidth: 1000, codecs: [] }])).toThrow(LlHlsError);
    expect(() => renderMultivariantPlaylist([{ uri: 'a\n.m3u8', bandwidth: 1000, codecs: ['mp4a.40.2'] }])).toThrow(LlHlsError);
  });
});
