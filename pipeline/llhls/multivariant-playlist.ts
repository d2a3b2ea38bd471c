import { LlHlsError } from './errors.js';
import { quoted, uriLine } from './format.js';

export interface VariantStream {
  /** Media playlist URI, relative to the multivariant playlist. */
  uri: string;
  /** Peak bits per second (BANDWIDTH). */
  bandwidth: number;
  /** Average bits per second (AVERAGE-BANDWIDTH). */
  averageBandwidth?: number;
  /** RFC 6381 codec strings of every track, e.g. ['avc1.42e01f', 'mp4a.40.2']. */
  codecs: readonly string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
}

const positiveInteger = (name: string, value: number): number => {
  if (!Number.isInteger(value) || value <= 0) throw new LlHlsError(`${name} must be a positive integer, got ${value}`);
  return value;
};

function streamInf(variant: VariantStream): string {
  const attributes = [`BANDWIDTH=${positiveInteger('BANDWIDTH', variant.bandwidth)}`];
  if (variant.averageBandwidth !== undefined) {
    attributes.push(`AVERAGE-BANDWIDTH=${positiveInteger('AVERAGE-BANDWIDTH', variant.averageBandwidth)}`);
  }
  if (variant.codecs.length === 0) throw new LlHlsError(`variant ${variant.uri} lists no codecs`);
  attributes.push(`CODECS=${quoted(variant.codecs.join(','))}`);
  if (variant.resolution) {
    const { width, height } = variant.resolution;
    attributes.push(`RESOLUTION=${positiveInteger('width', width)}x${positiveInteger('height', height)}`);
  }
  if (variant.frameRate !== undefined) {
    if (!(variant.frameRate > 0) || !Number.isFinite(variant.frameRate)) throw new LlHlsError(`invalid FRAME-RATE ${variant.frameRate}`);
    attributes.push(`FRAME-RATE=${variant.frameRate.toFixed(3)}`);
  }
  // We carry no CEA-608/708 captions; saying so spares players probing segments for them (Shaka does,
  // and may pick the open segment of a live playlist, which has no URI yet).
  attributes.push('CLOSED-CAPTIONS=NONE');
  return `#EXT-X-STREAM-INF:${attributes.join(',')}`;
}

/** Taller first, then by BANDWIDTH: the first variant listed is the one a player starts with. */
const highestFirst = (a: VariantStream, b: VariantStream): number =>
  (b.resolution?.height ?? 0) - (a.resolution?.height ?? 0) || b.bandwidth - a.bandwidth;

/**
 * The multivariant playlist listing each rendition as a variant stream, highest first. Version 9
 * matches the media playlists it points to. No EXT-X-INDEPENDENT-SEGMENTS: a segment cut where the
 * publisher's media allowed no keyframe (Segmenter.misses) would make it false; INDEPENDENT=YES on
 * parts says where decoding can start.
 */
export function renderMultivariantPlaylist(variants: readonly VariantStream[]): string {
  if (variants.length === 0) throw new LlHlsError('a multivariant playlist needs at least one variant');
  const lines = ['#EXTM3U', '#EXT-X-VERSION:9'];
  for (const variant of [...variants].sort(highestFirst)) lines.push(streamInf(variant), uriLine(variant.uri));
  return `${lines.join('\n')}\n`;
}
