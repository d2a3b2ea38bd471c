import { describe, expect, it } from 'vitest';
import { MediaCache } from '../../../pipeline/publish/media-cache.js';

const object = (size: number) => ({ bytes: Buffer.alloc(size), contentType: 'video/mp4' });

describe('MediaCache retention', () => {
  it('keeps what a live playlist names past the limits, until two updates no longer name it', () => {
    const cache = new MediaCache({ maxEntries: 2 });
    cache.set('init', object(1));
    cache.retain('r1', ['init']);
    cache.set('a', object(1));
    cache.set('b', object(1));
    cache.set('c', object(1));
    expect(cache.get('init')).toBeDefined();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size.entries).toBe(2);
    // Retained objects alone may exceed the limits.
    cache.retain('r1', ['init', 'c', 'd']);
    cache.set('d', object(1));
    expect(cache.size.entries).toBe(3);
    // Unnamed by the newest update: still held for whoever is one update behind.
    cache.retain('r1', ['d']);
    expect(cache.get('init')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.size.entries).toBe(3);
    // Unnamed by two: the oldest go as usual.
    cache.retain('r1', ['d']);
    expect(cache.get('init')).toBeUndefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.get('d')).toBeDefined();
    expect(cache.size.entries).toBe(2);
  });

  it('counts a key two groups name once per group, and releases a group', () => {
    const cache = new MediaCache({ maxEntries: 1 });
    cache.retain('g1', ['x']);
    cache.retain('g2', ['x']);
    cache.set('x', object(1));
    cache.set('y', object(1)); // the object just set is kept, over the limit
    expect(cache.size.entries).toBe(2);
    cache.release('g1');
    cache.set('z', object(1)); // y goes, x is still named by g2
    expect(cache.get('x')).toBeDefined();
    expect(cache.get('y')).toBeUndefined();
    cache.release('g2');
    expect(cache.get('x')).toBeUndefined();
    expect(cache.get('z')).toBeDefined();
    expect(cache.size.entries).toBe(1);
  });
});
