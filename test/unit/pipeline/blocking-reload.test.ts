import { describe, expect, it } from 'vitest';
import { advancePartLimit, classifyBlockingReload } from '../../../pipeline/llhls/blocking-reload.js';
import { MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { partUri, segmentUri } from '../../../pipeline/llhls/names.js';

const T0 = Date.UTC(2024, 0, 1);

/** Segments 0 (5 parts) closed, segment 1 open with 2 parts; PART-TARGET 0.2 s. */
function live(): MediaPlaylist {
  const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
  for (let i = 0; i < 5; i++) playlist.addPart({ duration: 0.2, independent: i === 0, uri: partUri(playlist.nextPartNumber), programDateTime: T0, number: playlist.nextPartNumber });
  playlist.closeSegment(segmentUri(0));
  for (let i = 0; i < 2; i++) playlist.addPart({ duration: 0.2, independent: i === 0, uri: partUri(playlist.nextPartNumber), programDateTime: T0, number: playlist.nextPartNumber });
  return playlist;
}

describe('MediaPlaylist.has and the last part', () => {
  it('knows nothing before the first part', () => {
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2, firstMsn: 7 });
    expect(playlist.lastMsn).toBeUndefined();
    expect(playlist.renditionReport('a.m3u8')).toBeUndefined();
    expect(playlist.has(7)).toBe(false);
    expect(playlist.has(7, 0)).toBe(false);
    expect(classifyBlockingReload(playlist, 7, 0)).toBe('wait');
    expect(classifyBlockingReload(playlist, 8)).toBe('wait');
    expect(classifyBlockingReload(playlist, 9)).toBe('too-far');
  });

  it('reports the newest part as LAST-MSN / LAST-PART', () => {
    const playlist = live();
    expect([playlist.lastMsn, playlist.lastPart]).toEqual([1, 1]);
    expect(playlist.renditionReport('../720p/index.m3u8')).toEqual({ uri: '../720p/index.m3u8', lastMsn: 1, lastPart: 1 });
  });

  it('answers _HLS_msn once the segment is closed and _HLS_part once the part is listed', () => {
    const playlist = live();
    expect(playlist.has(0)).toBe(true);
    expect(playlist.has(1)).toBe(false);
    expect(playlist.has(0, 4)).toBe(true);
    expect(playlist.has(1, 1)).toBe(true);
    expect(playlist.has(1, 2)).toBe(false);
    expect(playlist.has(2, 0)).toBe(false);
  });

  it('treats a part index past a closed segment as part 0 of the next one (6.2.5.2)', () => {
    const playlist = live();
    expect(playlist.has(0, 5)).toBe(true); // = 1.0, listed
    const fresh = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
    fresh.addPart({ duration: 0.2, independent: true, uri: partUri(fresh.nextPartNumber), programDateTime: T0, number: fresh.nextPartNumber });
    fresh.closeSegment(segmentUri(0));
    expect(fresh.has(0, 1)).toBe(false); // = 1.0, not yet
    expect([fresh.lastMsn, fresh.lastPart]).toEqual([0, 0]);
  });
});

describe('classifyBlockingReload', () => {
  it('computes the Advance Part Limit', () => {
    expect(advancePartLimit(0.2)).toBe(15);
    expect(advancePartLimit(0.3)).toBe(10);
    expect(advancePartLimit(0.5)).toBe(6);
    expect(advancePartLimit(1)).toBe(3);
    expect(advancePartLimit(2)).toBe(3);
  });

  it('classifies requests against a live playlist', () => {
    const playlist = live();
    expect(classifyBlockingReload(playlist, 0)).toBe('ready');
    expect(classifyBlockingReload(playlist, 1, 1)).toBe('ready');
    expect(classifyBlockingReload(playlist, 1, 2)).toBe('wait');
    expect(classifyBlockingReload(playlist, 1)).toBe('wait');
    expect(classifyBlockingReload(playlist, 2)).toBe('wait');
    // More than two segments past the last closed one (0) is refused on count alone.
    expect(classifyBlockingReload(playlist, 3)).toBe('too-far');
    expect(classifyBlockingReload(playlist, 3, 0)).toBe('too-far');
    // Newest part is 1.1; 15 parts ahead is the limit at PART-TARGET 0.2.
    expect(classifyBlockingReload(playlist, 1, 16)).toBe('wait');
    expect(classifyBlockingReload(playlist, 1, 17)).toBe('too-far');
    expect(classifyBlockingReload(playlist, 2, 14)).toBe('wait');
    expect(classifyBlockingReload(playlist, 2, 15)).toBe('too-far');
  });

  it('answers everything at once after the end of the stream (6.2.5.2: directives ignored with ENDLIST)', () => {
    const playlist = live();
    playlist.closeSegment(segmentUri(1));
    playlist.end();
    expect(classifyBlockingReload(playlist, 100, 3)).toBe('ready');
  });
});
