import { describe, expect, it } from 'vitest';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';

const object = (size: number) => ({ bytes: Buffer.alloc(size), contentType: 'video/mp4' });

describe('MediaCache', () => {
  it('keeps the newest entries within the count limit', () => {
    const cache = new MediaCache({ maxEntries: 2 });
    cache.set('a', object(1));
    cache.set('b', object(1));
    cache.set('c', object(1));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeDefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 2 });
  });

  it('keeps the newest entries within the byte limit, replacing a key without double counting', () => {
    const cache = new MediaCache({ maxBytes: 10 });
    cache.set('a', object(4));
    cache.set('a', object(5));
    cache.set('b', object(5));
    expect(cache.size).toEqual({ entries: 2, bytes: 10 });
    cache.set('c', object(3));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toEqual({ entries: 2, bytes: 8 });
  });

  it('drops a prefix', () => {
    const cache = new MediaCache();
    cache.set('hls/r_a/v1/x', object(1));
    cache.set('hls/r_b/v1/x', object(1));
    cache.deletePrefix('hls/r_a/');
    expect(cache.get('hls/r_a/v1/x')).toBeUndefined();
    expect(cache.get('hls/r_b/v1/x')).toBeDefined();
  });
});
