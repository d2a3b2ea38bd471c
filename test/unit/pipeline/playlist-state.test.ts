import { describe, expect, it } from 'vitest';
import { classifyBlockingReload, classifyPartRequest } from '../../../pipeline/llhls/blocking-reload.js';
import { MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { partUri } from '../../../pipeline/llhls/names.js';
import { reloadView } from '../../../pipeline/publish/playlist-state.js';
import { snapshotOf } from './playlist-fixture.js';

/** Every position a client could ask about around the live edge. */
function assertSameAnswers(playlist: MediaPlaylist): void {
  const view = reloadView(JSON.parse(JSON.stringify(snapshotOf('r_x', 'v1', 1, playlist))));
  for (let msn = 0; msn <= (playlist.lastMsn ?? 0) + 4; msn++) {
    for (const part of [undefined, 0, 1, 2, 3, 4, 5, 9, 12, 20]) {
      expect(view.has(msn, part), `has(${msn}, ${part})`).toBe(playlist.has(msn, part));
      expect(classifyBlockingReload(view, msn, part), `classify(${msn}, ${part})`).toBe(classifyBlockingReload(playlist, msn, part));
      if (part !== undefined) expect(classifyPartRequest(view, msn * 5 + part), `part ${msn * 5 + part}`).toBe(classifyPartRequest(playlist, msn * 5 + part));
    }
  }
}

describe('published playlist state', () => {
  it('answers blocking reloads exactly as the MediaPlaylist it was taken from, at every step', () => {
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2, windowSegments: 3 });
    assertSameAnswers(playlist);
    for (let msn = 0; msn < 6; msn++) {
      for (let index = 0; index < 5; index++) {
        playlist.addPart({ duration: 0.2, independent: index === 0, uri: partUri(playlist.nextPartNumber), programDateTime: 0, number: playlist.nextPartNumber });
        assertSameAnswers(playlist);
      }
      playlist.closeSegment(`seg${msn}.m4s`);
      assertSameAnswers(playlist);
    }
    playlist.end();
    assertSameAnswers(playlist);
  });

  it('carries the full and the delta rendering', () => {
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2 });
    for (let msn = 0; msn < 10; msn++) {
      playlist.addPart({ duration: 1, independent: true, uri: partUri(playlist.nextPartNumber), programDateTime: 0, number: playlist.nextPartNumber });
      playlist.closeSegment(`seg${msn}.m4s`);
    }
    const state = snapshotOf('r_x', 'v1', 7, playlist);
    expect(state.full).toBe(playlist.render());
    expect(state.delta).toBe(playlist.render({ skip: true }));
    expect(state.delta).toContain('#EXT-X-SKIP:SKIPPED-SEGMENTS=');
    expect(state).toMatchObject({ seq: 7, lastSegmentMsn: 9, lastMsn: 9, lastPart: 0, targetDuration: 1, ended: false });
  });
});
