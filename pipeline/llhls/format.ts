import { LlHlsError } from './errors.js';

/** Playlists carry durations to 10 µs; every comparison is made on values rounded the same way. */
const SCALE = 1e5;

export const roundSeconds = (seconds: number): number => Math.round(seconds * SCALE) / SCALE;

/** Rounds up to the next 10 µs (ignoring float noise), for limits that must not undershoot. */
export const ceilSeconds = (seconds: number): number => Math.ceil(seconds * SCALE - 1e-6) / SCALE;

/**
 * decimal-floating-point seconds with 3 to 5 decimals: 0.2 → "0.200", 1/30 → "0.03333".
 * toFixed never switches to exponent notation below 1e21, which the guard keeps us far from.
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 1e9) throw new LlHlsError(`cannot express ${seconds} seconds`);
  return roundSeconds(seconds).toFixed(5).replace(/0{1,2}$/, '');
}

/** EXT-X-PROGRAM-DATE-TIME value: ISO 8601 in UTC with milliseconds. */
export function formatDateTime(epochMs: number): string {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) throw new LlHlsError(`invalid program date time ${epochMs}`);
  return date.toISOString();
}

/** quoted-string attribute value; the syntax has no escapes, so quotes and line breaks are refused. */
export function quoted(value: string): string {
  if (/["\r\n]/.test(value)) throw new LlHlsError(`cannot quote ${JSON.stringify(value)}`);
  return `"${value}"`;
}

/** A URI on a line of its own (segment and variant URIs). */
export function uriLine(uri: string): string {
  if (uri === '' || /[\r\n]/.test(uri)) throw new LlHlsError(`invalid URI line ${JSON.stringify(uri)}`);
  return uri;
}
