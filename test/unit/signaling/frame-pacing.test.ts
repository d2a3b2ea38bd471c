import type { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_BURST, FRAMES_IN_FLIGHT, FRAMES_PER_SECOND, FramePacing } from '../../../src/signaling/frame-pacing.js';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

/** A socket that only records whether it is read. */
function socket() {
  const s = { isPaused: false, pause: () => void (s.isPaused = true), resume: () => void (s.isPaused = false), once: () => s };
  return s;
}

/** Lets settled handlers' continuations run. */
const settle = async () => {
  for (let i = 0; i < 50; i += 1) await Promise.resolve();
};

describe('FramePacing (per connection)', () => {
  it('works on a few requests at a time, in order, not reading the connection while frames wait', async () => {
    const ws = socket();
    const pacing = new FramePacing(ws as unknown as WebSocket);
    const started: number[] = [];
    const finish: (() => void)[] = [];
    for (let i = 0; i < FRAMES_IN_FLIGHT + 3; i += 1) pacing.admit(() => new Promise<void>((done) => (started.push(i), finish.push(done))));
    expect(started).toEqual(Array.from({ length: FRAMES_IN_FLIGHT }, (_, i) => i));
    expect(ws.isPaused).toBe(true);
    finish[0]!();
    await settle();
    expect(started).toHaveLength(FRAMES_IN_FLIGHT + 1);
    for (const done of finish) done();
    await settle();
    for (const done of finish) done();
    await settle();
    expect(started).toEqual(Array.from({ length: FRAMES_IN_FLIGHT + 3 }, (_, i) => i));
    expect(ws.isPaused).toBe(false);
  });

  it('handles a burst, then the rest at the rate', async () => {
    const ws = socket();
    const pacing = new FramePacing(ws as unknown as WebSocket);
    let handled = 0;
    for (let i = 0; i < FRAME_BURST + 10; i += 1) pacing.admit(async () => void (handled += 1));
    await settle();
    expect(handled).toBe(FRAME_BURST);
    expect(ws.isPaused).toBe(true);
    await vi.advanceTimersByTimeAsync((9 * 1000) / FRAMES_PER_SECOND);
    await settle();
    expect(handled).toBe(FRAME_BURST + 9);
    await vi.advanceTimersByTimeAsync(1000 / FRAMES_PER_SECOND);
    await settle();
    expect(handled).toBe(FRAME_BURST + 10);
    expect(ws.isPaused).toBe(false);
  });
});
