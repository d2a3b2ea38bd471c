import { describe, expect, it } from 'vitest';
import { BackBufferTrim, KEEP_BEHIND_S, TRIM_EVERY_S } from '../../../players/player/back-buffer-trim.js';

// The LL-HLS player's back-buffer trim (players/player/back-buffer-trim.ts) against a fake <video>:
// seldom, right after an append, keeping KEEP_BEHIND_S behind the playhead.
function setup() {
  const media = { currentTime: 0, start: 0, length: 1, get buffered() { return { length: this.length, start: () => this.start }; } };
  const flushes: number[] = [];
  const trim = new BackBufferTrim(media, (end) => {
    flushes.push(end);
    media.start = end;
  });
  return { media, flushes, trim };
}

describe('BackBufferTrim', () => {
  it('flushes nothing until KEEP_BEHIND_S + TRIM_EVERY_S are behind the playhead, then down to KEEP_BEHIND_S', () => {
    const { media, flushes, trim } = setup();
    media.currentTime = KEEP_BEHIND_S + TRIM_EVERY_S - 0.1;
    trim.appended();
    expect(flushes).toEqual([]);
    media.currentTime = KEEP_BEHIND_S + TRIM_EVERY_S;
    trim.appended();
    expect(flushes).toEqual([TRIM_EVERY_S]);
  });

  it('flushes once per TRIM_EVERY_S of play, whatever the number of appends (a part every 0.22 s)', () => {
    const { media, flushes, trim } = setup();
    for (let t = 0; t <= 300; t += 0.22) {
      media.currentTime = t;
      trim.appended();
    }
    expect(flushes.length).toBe(Math.floor((300 - KEEP_BEHIND_S) / TRIM_EVERY_S));
    for (const end of flushes) expect(end).toBeGreaterThan(0);
  });

  it('does nothing with an empty buffer, and keeps the back buffer after a seek back into it', () => {
    const { media, flushes, trim } = setup();
    media.length = 0;
    media.currentTime = 100;
    trim.appended();
    expect(flushes).toEqual([]);
    media.length = 1;
    media.start = 60;
    media.currentTime = 65; // seeked back near the start of what is buffered
    trim.appended();
    expect(flushes).toEqual([]);
  });
});
