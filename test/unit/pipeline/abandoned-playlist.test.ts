// A playlist whose publisher failed for good ends where it is: what it listed stays, the preload hint
// goes, EXT-X-ENDLIST comes, every blocking request is answered at once; from the MediaPlaylist
// (the run that failed) or from the published text alone (a node that takes over a dead one's job).
import { describe, expect, it } from 'vitest';
import { classifyBlockingReload, classifyPartRequest } from '../../../pipeline/llhls/blocking-reload.js';
import { endedPlaylistText, MediaPlaylist, type RenditionReport } from '../../../pipeline/llhls/media-playlist.js';
import { partUri } from '../../../pipeline/llhls/names.js';
import { endedUpdateOf, reloadView, stateOf, updateOf } from '../../../pipeline/publish/playlist-state.js';
import { assertConforming, llhlsViolations } from '../../helpers/llhls-conformance.js';
import { parsePlaylist, urisOf } from './m3u8.js';
import { filledPlaylist, PLAYLIST_T0, snapshotOf } from './playlist-fixture.js';

const CADENCE = { targetDuration: 1, partTarget: 0.2 };
const REPORTS: RenditionReport[] = [{ uri: '../v2/index.m3u8', lastMsn: 7, lastPart: 1 }];

/** `segments` closed segments, then `open` parts of a segment never closed (its run failed). */
const livePlaylist = (segments: number, open: number, windowSegments?: number): MediaPlaylist =>
  filledPlaylist({ ...CADENCE, ...(windowSegments ? { windowSegments } : {}) }, segments, open);

describe('a playlist whose run failed for good', () => {
  for (const open of [0, 3]) {
    it(`ends where it is, with ${open} parts of a segment it could not close (strict hls-parser, full and delta)`, () => {
      const playlist = livePlaylist(12, open, 20);
      const listed = urisOf(parsePlaylist(playlist.render()));
      playlist.abandon();
      const full = playlist.render({ renditionReports: REPORTS });
      const delta = playlist.render({ skip: true, renditionReports: REPORTS });
      for (const text of [full, delta]) {
        assertConforming(text, CADENCE);
        const parsed = parsePlaylist(text);
        expect(parsed.ended).toBe(true);
        expect(parsed.preloadHint).toBeUndefined();
        // Everything it listed stays listed, the parts of the unclosed segment included; nothing more.
        expect(urisOf(parsed)).toEqual(listed);
        expect(parsed.open?.parts.length ?? 0).toBe(open);
      }
      // An ended playlist answers a delta request with itself, whole.
      expect(delta).toBe(full);
    });
  }

  it('answers every blocking request at once, past its end included', () => {
    const playlist = livePlaylist(4, 2);
    const lastMsn = playlist.lastMsn!;
    expect(classifyBlockingReload(playlist, lastMsn, 3)).toBe('wait');
    expect(classifyPartRequest(playlist, playlist.nextPartNumber)).toBe('wait');
    playlist.abandon();
    const view = reloadView(snapshotOf('r_x', 'v1', 1, playlist));
    for (const target of [playlist, view]) {
      expect(classifyBlockingReload(target, lastMsn, 3)).toBe('ready');
      expect(classifyBlockingReload(target, lastMsn + 1)).toBe('ready');
      expect(classifyBlockingReload(target, lastMsn + 1, 0)).toBe('ready');
      expect(classifyPartRequest(target, playlist.nextPartNumber)).toBe('ready');
    }
  });

  it('takes nothing more once ended', () => {
    const playlist = livePlaylist(2, 1);
    playlist.abandon();
    const number = playlist.nextPartNumber;
    expect(() => playlist.addPart({ duration: 0.2, independent: false, uri: partUri(number), programDateTime: PLAYLIST_T0, number })).toThrow(/after the end/);
    expect(() => playlist.snapshot()).toThrow();
  });
});

describe('ending a published playlist from its text (endedPlaylistText, endedUpdateOf)', () => {
  for (const open of [0, 2]) {
    it(`gives what the abandoned MediaPlaylist renders (${open} open parts)`, () => {
      const playlist = livePlaylist(14, open, 16);
      const live = updateOf('r_x', 'v1', 41, playlist, { id: 40 }, REPORTS);
      const headText = playlist.renderHead();
      expect(llhlsViolations(headText + live.tail, CADENCE)).toEqual([]);

      const ended = endedUpdateOf(live, headText, 42);
      playlist.abandon();
      const expected = snapshotOf('r_x', 'v1', 42, playlist, REPORTS);
      const state = stateOf(ended, headText);
      expect(state).toEqual(expected);
      expect(ended.head).toEqual({ id: 40 });
      for (const text of [state.full, state.delta]) assertConforming(text, CADENCE);
      expect(endedPlaylistText(playlist.render())).toBe(playlist.render());
    });
  }

  it('leaves an ended playlist as it is, and ends a text without a hint too', () => {
    const playlist = livePlaylist(3, 0);
    playlist.end();
    expect(endedPlaylistText(playlist.render())).toBe(playlist.render());
    const withoutHint = '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1.000,\nseg0.m4s\n';
    expect(endedPlaylistText(withoutHint)).toBe(`${withoutHint}#EXT-X-ENDLIST\n`);
  });
});
