import { describe, expect, it } from 'vitest';
import type { RenditionState } from '../../../pipeline/publish/playlist-state.js';
import { publicMediaResponse, publicPlaylistResponse } from '../../../src/hls/origin-responses.js';

const state = (seq: number): RenditionState => ({
  roomId: 'r_a',
  rendition: 'v1',
  seq,
  full: `#EXTM3U\n#full ${seq}\n`,
  delta: `#EXTM3U\n#delta ${seq}\n`,
  ended: false,
  mediaSequence: 0,
  lastSegmentMsn: null,
  lastMsn: 0,
  lastPart: 0,
  nextPart: 1,
  partTarget: 0.2,
  targetDuration: 1,
});

describe('origin responses', () => {
  it('renders a playlist state once per shape and shares it', () => {
    const s = state(1);
    const full = publicPlaylistResponse(s, false);
    expect(publicPlaylistResponse(s, false)).toBe(full);
    expect(full.body.toString()).toBe(s.full);
    // A plain playlist changes with every part: no shared cache keeps it.
    expect(full.headers).toEqual(['Content-Type', 'application/vnd.apple.mpegurl; charset=utf-8', 'Cache-Control', 'public, max-age=0', 'Content-Length', full.body.length]);
    const delta = publicPlaylistResponse(s, true);
    expect(delta).not.toBe(full);
    expect(publicPlaylistResponse(s, true)).toBe(delta);
    expect(delta.body.toString()).toBe(s.delta);
    expect(publicPlaylistResponse(state(2), false)).not.toBe(full);
    // A blocking answer stays valid for the request it answers: cached three target durations.
    const blocking = publicPlaylistResponse(s, true, true);
    expect(blocking).not.toBe(delta);
    expect(publicPlaylistResponse(s, true, true)).toBe(blocking);
    expect(blocking.body.toString()).toBe(s.delta);
    expect(blocking.headers).toContain('public, max-age=3');
  });

  it('shares one response per media Buffer', () => {
    const bytes = Buffer.from('part');
    const response = publicMediaResponse(bytes);
    expect(publicMediaResponse(bytes)).toBe(response);
    expect(response.body).toBe(bytes);
    expect(response.headers).toEqual(['Content-Type', 'video/mp4', 'Cache-Control', 'public, max-age=31536000, immutable', 'Content-Length', 4]);
  });
});
