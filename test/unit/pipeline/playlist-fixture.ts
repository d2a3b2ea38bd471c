// A MediaPlaylist filled the way a steady run fills it: closed segments of five 0.2 s parts (each
// segment's first part independent), then the parts of a segment still open; part n is dated
// PLAYLIST_T0 + n x 0.2 s. And the state an origin keeps for a playlist.
import { MediaPlaylist, type MediaPlaylistOptions, type RenditionReport } from '../../../pipeline/llhls/media-playlist.js';
import { partUri, segmentUri } from '../../../pipeline/llhls/names.js';
import { stateOf, updateOf, type RenditionState } from '../../../pipeline/publish/playlist-state.js';

export const PLAYLIST_T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

export function filledPlaylist(options: MediaPlaylistOptions, segments: number, openParts = 0): MediaPlaylist {
  const playlist = new MediaPlaylist(options);
  const add = (index: number) => {
    const number = playlist.nextPartNumber;
    playlist.addPart({ duration: 0.2, independent: index === 0, uri: partUri(number), programDateTime: PLAYLIST_T0 + number * 200, number });
  };
  for (let msn = 0; msn < segments; msn++) {
    for (let index = 0; index < 5; index++) add(index);
    playlist.closeSegment(segmentUri(msn));
  }
  for (let index = 0; index < openParts; index++) add(index);
  return playlist;
}

/** The state an origin keeps for `playlist` now (what publishing it and composing the pieces gives). */
export function snapshotOf(roomId: string, rendition: string, seq: number, playlist: MediaPlaylist, renditionReports: readonly RenditionReport[] = []): RenditionState {
  return stateOf(updateOf(roomId, rendition, seq, playlist, { id: seq }, renditionReports), playlist.renderHead());
}
