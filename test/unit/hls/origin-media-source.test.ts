import { describe, expect, it } from 'vitest';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { OriginMediaSource } from '../../../src/hls/origin-media-source.js';

/** A reader whose reads the test settles by hand, in order. */
function manualReader() {
  const reads: { key: string; settle: (bytes: Buffer | undefined | Error) => void }[] = [];
  const read = (key: string) =>
    new Promise<Buffer | undefined>((resolve, reject) => {
      reads.push({ key, settle: (v) => (v instanceof Error ? reject(v) : resolve(v)) });
    });
  return { reads, read };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('OriginMediaSource', () => {
  it('reads a key once for every request waiting on it, then answers from the cache', async () => {
    const cache = new MediaCache();
    const { reads, read } = manualReader();
    const source = new OriginMediaSource(cache, read);
    const waiting = Array.from({ length: 50 }, () => source.get('k'));
    expect(reads).toHaveLength(1);
    const bytes = Buffer.from('part');
    reads[0]!.settle(bytes);
    for (const got of await Promise.all(waiting)) expect(got).toBe(bytes);
    expect(cache.get('k')).toEqual({ bytes, contentType: 'video/mp4' });
    expect(source.cached('k')).toBe(bytes);
    expect(await source.get('k')).toBe(bytes);
    expect(reads).toHaveLength(1);
  });

  it('gives a failure to every waiting request and keeps nothing: the next request reads again', async () => {
    const cache = new MediaCache();
    const { reads, read } = manualReader();
    const source = new OriginMediaSource(cache, read);
    const waiting = Array.from({ length: 20 }, () => source.get('k').catch((err: Error) => err));
    const failure = new Error('storage down');
    reads[0]!.settle(failure);
    for (const got of await Promise.all(waiting)) expect(got).toBe(failure);
    expect(cache.size.entries).toBe(0);
    const again = source.get('k');
    expect(reads).toHaveLength(2);
    reads[1]!.settle(Buffer.from('part'));
    expect((await again)?.toString()).toBe('part');
  });

  it('does not keep a miss, and reads again for a request that joined a read which then missed', async () => {
    const { reads, read } = manualReader();
    const source = new OriginMediaSource(new MediaCache(), read);
    const early = source.get('k'); // e.g. a request for a part not stored yet
    await tick();
    const late = source.get('k'); // arrives once the part is stored, while the early read is still out
    reads[0]!.settle(undefined);
    expect(await early).toBeUndefined();
    await tick();
    expect(reads).toHaveLength(2);
    reads[1]!.settle(Buffer.from('part'));
    expect((await late)?.toString()).toBe('part');
  });
});
