import { describe, expect, it } from 'vitest';
import { KeyedLanes } from '../../../src/signaling/keyed-lanes.js';

/** A task that runs until released, recording when it started. */
function gated(started: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  const task = async () => {
    started.push(name);
    await done;
  };
  return { task, release };
}

describe('KeyedLanes (joins per tenant)', () => {
  it('runs at most perKey tasks of a key at once, the rest in order; other keys are not held up', async () => {
    const lanes = new KeyedLanes(2);
    const started: string[] = [];
    const tasks = ['a1', 'a2', 'a3', 'a4'].map((n) => gated(started, n));
    const runs = tasks.map((t) => lanes.run('a', t.task));
    const other = gated(started, 'b1');
    const otherRun = lanes.run('b', other.task);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a1', 'a2', 'b1']);
    tasks[1]!.release();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3']);
    for (const t of tasks) t.release();
    other.release();
    await Promise.all([...runs, otherRun]);
    expect(started).toEqual(['a1', 'a2', 'b1', 'a3', 'a4']);
  });

  it('a failing task frees its place', async () => {
    const lanes = new KeyedLanes(1);
    await expect(lanes.run('a', () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(await lanes.run('a', async () => 'next')).toBe('next');
  });
});
