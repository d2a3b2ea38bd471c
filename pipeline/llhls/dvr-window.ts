import type { Cadence } from './cadence.js';
import { DEFAULT_WINDOW_SEGMENTS } from './media-playlist.js';

/** The longest DVR window a room may ask for (config.hls_dvr_window_s), seconds: 4 hours. */
export const MAX_DVR_WINDOW_S = 4 * 3600;

/**
 * Closed segments a live playlist keeps so that the last `dvrWindowS` seconds of the stream stay
 * seekable in it; 0 keeps the live edge only (DEFAULT_WINDOW_SEGMENTS, a few seconds more than a
 * delta update leaves out). Segments start every segment target (the Segmenter's cadence).
 */
export function windowSegmentsFor(dvrWindowS: number, cadence: Pick<Cadence, 'segmentTarget'>): number {
  return Math.max(DEFAULT_WINDOW_SEGMENTS, Math.ceil(dvrWindowS / cadence.segmentTarget));
}
