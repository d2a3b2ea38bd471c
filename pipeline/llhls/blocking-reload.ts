import type { MediaPlaylist } from './media-playlist.js';

/**
 * How an origin should treat a blocking playlist request (RFC 8216bis 6.2.5.2):
 * answer it now, hold it until the playlist has the requested segment/part, or refuse it (HTTP 400).
 */
export type BlockingReloadState = 'ready' | 'wait' | 'too-far';

/** What the classifier reads: a live MediaPlaylist, or a snapshot of one published to other origins. */
export type BlockingReloadView = Pick<MediaPlaylist, 'ended' | 'has' | 'lastSegmentMsn' | 'mediaSequence' | 'lastMsn' | 'lastPart' | 'partTarget' | 'nextPartNumber'>;

/** Advance Part Limit: 3 / PART-TARGET parts when PART-TARGET is under a second, else 3 parts. */
export function advancePartLimit(partTarget: number): number {
  const limit = partTarget < 1 ? 3 / partTarget : 3;
  return Math.round(limit * 1e6) / 1e6; // 3 / 0.3 must be 10, not 10.000000000000002
}

/**
 * Classifies `_HLS_msn=msn[&_HLS_part=part]`. Requests more than two segments past the last closed
 * one, or more parts ahead of the newest part than the Advance Part Limit, are too far; once the
 * stream has ended every request is answered at once.
 */
export function classifyBlockingReload(playlist: BlockingReloadView, msn: number, part?: number): BlockingReloadState {
  if (playlist.ended || playlist.has(msn, part)) return 'ready';
  const lastSegment = playlist.lastSegmentMsn ?? playlist.mediaSequence - 1;
  if (msn > lastSegment + 2) return 'too-far';
  if (part !== undefined) {
    const lastMsn = playlist.lastMsn ?? playlist.mediaSequence;
    const lastPart = playlist.lastPart ?? -1;
    // Parts still to come in the newest part's segment are unknown, so a later segment counts only its own.
    const partsAhead = msn === lastMsn ? part - lastPart : part + 1;
    if (partsAhead > advancePartLimit(playlist.partTarget)) return 'too-far';
  }
  return 'wait';
}

/**
 * Classifies a request for part `number` (names.ts): there is (or was) such a part, it is close
 * enough ahead to hold the request until it exists (the preload hint names the next one), or too far.
 */
export function classifyPartRequest(playlist: BlockingReloadView, number: number): BlockingReloadState {
  if (playlist.ended || number < playlist.nextPartNumber) return 'ready';
  return number - playlist.nextPartNumber < advancePartLimit(playlist.partTarget) ? 'wait' : 'too-far';
}
