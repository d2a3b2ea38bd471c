// A DVR window (config.hls_dvr_window_s): how many segments the live playlist keeps, and that a window
// of hours stays a valid LL-HLS playlist whose per-part pieces stay small (the head is per segment).
import { describe, expect, it } from 'vitest';
import { cadenceOf } from '../../../pipeline/llhls/cadence.js';
import { MAX_DVR_WINDOW_S, windowSegmentsFor } from '../../../pipeline/llhls/dvr-window.js';
import { DEFAULT_WINDOW_SEGMENTS, MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { partUri, segmentUri } from '../../../pipeline/llhls/names.js';
import { llhlsViolations } from '../../helpers/llhls-conformance.js';
import { parsePlaylist } from './m3u8.js';
import { filledPlaylist, PLAYLIST_T0 } from './playlist-fixture.js';

const cadence = cadenceOf(0.2, 1);

/** A playlist on `cadence` after `segments` closed segments of five 0.2 s parts and `openParts` more. */
const stream = (windowSegments: number, segments: number, openParts = 0): MediaPlaylist =>
  filledPlaylist({ targetDuration: cadence.targetDuration, partTarget: cadence.partTarget, windowSegments }, segments, openParts);

describe('DVR window', () => {
  it('keeps the window in segments of the cadence, the live edge only below it', () => {
    expect(windowSegmentsFor(0, cadence)).toBe(DEFAULT_WINDOW_SEGMENTS);
    expect(windowSegmentsFor(5, cadence)).toBe(DEFAULT_WINDOW_SEGMENTS);
    expect(windowSegmentsFor(90, cadence)).toBe(90);
    expect(windowSegmentsFor(7200, cadenceOf(0.22, 2))).toBe(3600);
    expect(MAX_DVR_WINDOW_S).toBeGreaterThanOrEqual(2 * 3600);
  });

  it('lists the whole window, parts only near the live edge, and conforms', () => {
    const playlist = stream(windowSegmentsFor(120, cadence), 300, 3);
    const full = playlist.render();
    const parsed = parsePlaylist(full);
    expect(parsed.tags.get('EXT-X-MEDIA-SEQUENCE')).toBe('180');
    expect(parsed.segments).toHaveLength(120);
    expect(parsed.segments.filter((s) => s.parts.length > 0)).toHaveLength(2);
    const declared = { targetDuration: cadence.targetDuration, partTarget: cadence.partTarget, keyedSegments: true };
    expect(llhlsViolations(full, declared)).toEqual([]);
    const delta = playlist.render({ skip: true });
    expect(llhlsViolations(delta, declared)).toEqual([]);
    expect(parsePlaylist(delta).skipped).toBe(108); // all but the segments of the last CAN-SKIP-UNTIL (12 s)
  });

  it('changes the head only when a segment closes, so a two-hour window costs per part what a short one does', () => {
    const playlist = stream(windowSegmentsFor(2 * 3600, cadence), 2 * 3600, 1);
    const head = playlist.renderHead();
    const version = playlist.headVersion;
    expect(head.length).toBeGreaterThan(2 * 3600 * 60);
    for (let i = 1; i < 5; i++) {
      const number = playlist.nextPartNumber;
      playlist.addPart({ duration: 0.2, independent: false, uri: partUri(number), programDateTime: PLAYLIST_T0 + number * 200, number });
      expect(playlist.headVersion).toBe(version);
      expect(playlist.renderHead()).toBe(head);
      expect(playlist.render()).toBe(head + playlist.renderTail());
      // The pieces published with every part: the tail and the delta update.
      expect(playlist.renderTail().length).toBeLessThan(2000);
      expect(playlist.render({ skip: true }).length).toBeLessThan(4000);
    }
    playlist.closeSegment(segmentUri(2 * 3600));
    expect(playlist.headVersion).not.toBe(version);
    expect(playlist.render()).toBe(playlist.renderHead() + playlist.renderTail());
    expect(parsePlaylist(playlist.render()).segments).toHaveLength(2 * 3600);
  });

  it('a restored playlist renders the same head', () => {
    const playlist = stream(60, 80);
    expect(MediaPlaylist.restore(playlist.snapshot(), 60).renderHead()).toBe(playlist.renderHead());
  });
});
