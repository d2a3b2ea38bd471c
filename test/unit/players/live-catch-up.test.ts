import { describe, expect, it } from 'vitest';
import { bufferedAhead, LiveCatchUp, STALL_STEP_S, STEP_BACK_MS, type CatchUpMedia, type LiveEdgeClock } from '../../../players/player/live-catch-up.js';

// The LL-HLS player's catch-up (players/player/live-catch-up.ts) against a fake hls.js and a fake
// <video>: LevelChat's default cadence (parts 0.22 s, segments 1 s, PART-HOLD-BACK 0.66 s).
const PART = 0.22;
const HOLD_BACK = 0.66;

function setup(opts: { maxRate?: number } = {}) {
  const clock = { latency: HOLD_BACK, targetLatency: HOLD_BACK as number | null, latestLevelDetails: { live: true, partTarget: PART, targetduration: 1 } as LiveEdgeClock['latestLevelDetails'] };
  const media = {
    currentTime: 10,
    /** Seconds buffered ahead of currentTime (one range from 5 s). */
    ahead: 0.5,
    playbackRate: 1,
    get buffered() {
      return { length: 1, start: () => 5, end: () => this.currentTime + this.ahead };
    },
  };
  let now = 0;
  const catchUp = new LiveCatchUp(clock, media as CatchUpMedia, { maxRate: opts.maxRate ?? 1.5, now: () => now });
  return { clock, media, catchUp, advance: (ms: number) => (now += ms) };
}

describe('LiveCatchUp', () => {
  it('plays faster when behind the target with under 1 s buffered ahead (hls.js would not), back to 1× on target', () => {
    const { clock, media, catchUp } = setup();
    clock.latency = 1.1; // where hls.js's own catch-up leaves a part-by-part player: 0.44 s behind
    media.ahead = 0.8;
    catchUp.update();
    expect(media.playbackRate).toBeGreaterThan(1.1);
    expect(media.playbackRate).toBeLessThanOrEqual(1.5);
    clock.latency = HOLD_BACK + 0.04;
    catchUp.update();
    expect(media.playbackRate).toBe(1);
  });

  it('does not speed up with 1.5 part targets or less buffered ahead (it would stall)', () => {
    const { clock, media, catchUp } = setup();
    clock.latency = 1.2;
    media.ahead = 1.5 * PART - 0.01;
    catchUp.update();
    expect(media.playbackRate).toBe(1);
    media.ahead = 0.4;
    catchUp.update();
    expect(media.playbackRate).toBeGreaterThan(1);
    media.ahead = 0.2; // the buffer ran low while catching up: normal speed again
    catchUp.update();
    expect(media.playbackRate).toBe(1);
  });

  it('caps the rate at maxRate, never catches up with maxRate 1, and leaves a viewer far in the past alone', () => {
    const capped = setup({ maxRate: 1.25 });
    capped.clock.latency = 1.6;
    capped.media.ahead = 1.4;
    capped.catchUp.update();
    expect(capped.media.playbackRate).toBe(1.25);

    const off = setup({ maxRate: 1 });
    off.clock.latency = 1.6;
    off.media.ahead = 1.4;
    off.catchUp.update();
    expect(off.media.playbackRate).toBe(1);

    const past = setup();
    past.clock.latency = 30;
    past.media.ahead = 3;
    past.catchUp.update();
    expect(past.media.playbackRate).toBe(1);
  });

  it('never touches a rate it did not set, and resets its own when the playlist ends or on stop()', () => {
    const { clock, media, catchUp } = setup();
    media.playbackRate = 0.5; // the viewer's choice, on target
    catchUp.update();
    expect(media.playbackRate).toBe(0.5);

    media.playbackRate = 1;
    clock.latency = 1.2;
    media.ahead = 1;
    catchUp.update();
    expect(media.playbackRate).toBeGreaterThan(1);
    clock.latestLevelDetails = { live: false, partTarget: PART, targetduration: 1 };
    catchUp.update();
    expect(media.playbackRate).toBe(1);

    clock.latestLevelDetails = { live: true, partTarget: PART, targetduration: 1 };
    catchUp.update();
    expect(media.playbackRate).toBeGreaterThan(1);
    catchUp.stop();
    expect(media.playbackRate).toBe(1);
  });

  it('holds a step further back per stall, up to a segment, and steps back after stall-free play', () => {
    const { clock, media, catchUp, advance } = setup();
    catchUp.stalled();
    catchUp.stalled();
    expect(catchUp.allowance).toBe(2 * STALL_STEP_S);
    expect(catchUp.target).toBeCloseTo(HOLD_BACK + 0.5);
    // 0.3 s behind the edge's target but within the allowance: no catch-up yet.
    clock.latency = HOLD_BACK + 0.3;
    media.ahead = 0.6;
    catchUp.update();
    expect(media.playbackRate).toBe(1);

    advance(STEP_BACK_MS);
    catchUp.update();
    expect(catchUp.allowance).toBe(STALL_STEP_S);
    advance(STEP_BACK_MS - 1);
    catchUp.update();
    expect(catchUp.allowance).toBe(STALL_STEP_S);
    advance(1);
    catchUp.update();
    expect(catchUp.allowance).toBe(0);
    expect(media.playbackRate).toBeGreaterThan(1); // now it catches up to PART-HOLD-BACK

    for (let i = 0; i < 10; i++) catchUp.stalled();
    expect(catchUp.allowance).toBe(1);
  });

  it('waits twice as long before the next step back when a stall follows a step back soon', () => {
    const { catchUp, advance } = setup();
    catchUp.stalled();
    advance(STEP_BACK_MS);
    catchUp.update();
    expect(catchUp.allowance).toBe(0);
    advance(5_000);
    catchUp.stalled(); // too soon: the step back was premature
    advance(STEP_BACK_MS);
    catchUp.update();
    expect(catchUp.allowance).toBe(STALL_STEP_S);
    advance(STEP_BACK_MS);
    catchUp.update();
    expect(catchUp.allowance).toBe(0);
  });
});

describe('bufferedAhead', () => {
  const ranges = (...rs: [number, number][]) => ({ length: rs.length, start: (i: number) => rs[i]![0], end: (i: number) => rs[i]![1] });
  it('measures the range holding the playhead (or starting a hair after it), 0 in a hole', () => {
    expect(bufferedAhead({ currentTime: 3, buffered: ranges([0, 2], [2.5, 4]) })).toBeCloseTo(1);
    expect(bufferedAhead({ currentTime: 2.45, buffered: ranges([0, 2], [2.5, 4]) })).toBeCloseTo(1.55);
    expect(bufferedAhead({ currentTime: 2.2, buffered: ranges([0, 2], [2.5, 4]) })).toBe(0);
    expect(bufferedAhead({ currentTime: 1, buffered: ranges() })).toBe(0);
  });
});
