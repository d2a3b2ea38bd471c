// The text an ABR ladder adds: variants highest first, and each media playlist reporting its siblings.
import { describe, expect, it } from 'vitest';
import { MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { renderMultivariantPlaylist } from '../../../pipeline/llhls/multivariant-playlist.js';
import { partUri, segmentUri } from '../../../pipeline/llhls/names.js';
import { renditionName } from '../../../pipeline/publish/hls-objects.js';
import { snapshotOf } from './playlist-fixture.js';
import { parseRendition } from '../../../src/hls/hls-request.js';
import { parsePlaylist } from './m3u8.js';

const codecs = ['avc1.42e01f', 'mp4a.40.2'];

/** `parts` parts of 0.2 s in each of `segments` segments, then `open` parts of the next one. */
function livePlaylist(segments: number, parts: number, open: number): MediaPlaylist {
  const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
  for (let msn = 0; msn <= segments; msn++) {
    const count = msn < segments ? parts : open;
    for (let i = 0; i < count; i++) playlist.addPart({ duration: 0.2, independent: i === 0, uri: partUri(playlist.nextPartNumber), programDateTime: 0, number: playlist.nextPartNumber });
    if (msn < segments) playlist.closeSegment(segmentUri(msn));
  }
  return playlist;
}

describe('multivariant playlist of a ladder', () => {
  it('lists three variants highest first, whatever order they come in', () => {
    const text = renderMultivariantPlaylist([
      { uri: 'vabc360p/index.m3u8', bandwidth: 950_000, averageBandwidth: 870_000, codecs, resolution: { width: 640, height: 360 }, frameRate: 30 },
      { uri: 'vabc/index.m3u8', bandwidth: 4_100_000, averageBandwidth: 3_500_000, codecs: ['avc1.640028', 'mp4a.40.2'], resolution: { width: 1920, height: 1080 }, frameRate: 29.97 },
      { uri: 'vabc720p/index.m3u8', bandwidth: 2_700_000, codecs, resolution: { width: 1280, height: 720 } },
    ]);
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-STREAM-INF:BANDWIDTH=4100000,AVERAGE-BANDWIDTH=3500000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080,FRAME-RATE=29.970,CLOSED-CAPTIONS=NONE',
        'vabc/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=2700000,CODECS="avc1.42e01f,mp4a.40.2",RESOLUTION=1280x720,CLOSED-CAPTIONS=NONE',
        'vabc720p/index.m3u8',
        '#EXT-X-STREAM-INF:BANDWIDTH=950000,AVERAGE-BANDWIDTH=870000,CODECS="avc1.42e01f,mp4a.40.2",RESOLUTION=640x360,FRAME-RATE=30.000,CLOSED-CAPTIONS=NONE',
        'vabc360p/index.m3u8',
        '',
      ].join('\n'),
    );
  });

  it('orders two variants of the same size by bandwidth (a 720p rung of a 360p source is not upscaled)', () => {
    const text = renderMultivariantPlaylist([
      { uri: 'v1360p/index.m3u8', bandwidth: 950_000, codecs, resolution: { width: 640, height: 360 } },
      { uri: 'v1720p/index.m3u8', bandwidth: 2_600_000, codecs, resolution: { width: 640, height: 360 } },
    ]);
    expect(text.split('\n').filter((l) => !l.startsWith('#'))).toEqual(['v1720p/index.m3u8', 'v1360p/index.m3u8', '']);
  });
});

describe('rendition names', () => {
  it('keeps the run name for source, appends the rung otherwise, and the origin accepts them all', () => {
    const run = `v${Date.now().toString(36)}`;
    const names = (['source', '720p', '360p'] as const).map((r) => renditionName(run, r));
    expect(names).toEqual([run, `${run}720p`, `${run}360p`]);
    for (const name of names) expect(parseRendition(name)).toBe(name);
  });
});

describe('EXT-X-RENDITION-REPORT in published playlist state', () => {
  it('reports every sibling with its LAST-MSN and LAST-PART, in the full and the delta playlist', () => {
    const source = livePlaylist(10, 5, 2);
    const sd = livePlaylist(10, 5, 1);
    const hd = livePlaylist(9, 5, 5);
    const reports = [sd.renditionReport('../v1360p/index.m3u8')!, hd.renditionReport('../v1720p/index.m3u8')!];
    const state = snapshotOf('r_x', 'v1', 1, source, reports);
    for (const text of [state.full, state.delta]) {
      const parsed = parsePlaylist(text);
      expect(parsed.renditionReports).toEqual([
        { URI: '../v1360p/index.m3u8', 'LAST-MSN': '10', 'LAST-PART': '0' },
        { URI: '../v1720p/index.m3u8', 'LAST-MSN': '9', 'LAST-PART': '4' },
      ]);
      // After the preload hint, at the end of the playlist.
      expect(text.trimEnd().split('\n').slice(-3)[0]).toBe('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part52.m4s"');
    }
    expect(parsePlaylist(state.delta).skipped).toBeGreaterThan(0);
    expect(state).toMatchObject({ lastMsn: 10, lastPart: 1 });
  });

  it('leaves out a sibling before its first part, and reports none without siblings', () => {
    const empty = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
    expect(empty.renditionReport('../v1360p/index.m3u8')).toBeUndefined();
    expect(snapshotOf('r_x', 'v1', 1, livePlaylist(2, 5, 1)).full).not.toContain('EXT-X-RENDITION-REPORT');
  });
});
