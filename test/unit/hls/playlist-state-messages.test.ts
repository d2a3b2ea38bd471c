import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../../common/json-payload.js';
import { createLogger } from '../../../common/logger.js';
import { hlsChannel, renditionHeadKey, renditionStateKey, type RenditionUpdate } from '../../../pipeline/publish/playlist-state.js';
import { PlaylistStateHub } from '../../../src/hls/playlist-state-hub.js';

class FakeSubscriber extends EventEmitter {
  readonly options = { db: 0 };
  async subscribe(): Promise<void> {}
  async unsubscribe(): Promise<void> {}
  disconnect(): void {}
}

function hub(stored: Record<string, string> = {}) {
  const logs: { msg: string; level: number; err?: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const redis = { options: { db: 0 }, get: async (key: string) => stored[key] ?? null, mget: async (...keys: string[]) => keys.map((k) => stored[k] ?? null) } as unknown as Redis;
  const subscriber = new FakeSubscriber();
  const h = new PlaylistStateHub(redis, subscriber as unknown as Redis, createLogger('debug', sink));
  return { hub: h, logs, publish: (roomId: string, message: string) => subscriber.emit('message', hlsChannel(subscriber as unknown as Redis, roomId), message) };
}

/** An update after head 1, bringing its text when `withHead`. */
const state = (seq: number, withHead = true): RenditionUpdate => ({
  roomId: 'r_demo',
  rendition: 'source',
  seq,
  head: withHead ? { id: 1, text: '#EXTM3U\n' } : { id: 1 },
  tail: `#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part${seq + 1}.m4s"\n`,
  delta: '#EXTM3U\n',
  ended: false,
  mediaSequence: 0,
  lastSegmentMsn: null,
  lastMsn: 0,
  lastPart: seq,
  nextPart: seq + 1,
  partTarget: 0.5,
  targetDuration: 2,
});

describe('LL-HLS state messages', () => {
  it('keeps a good message and drops malformed ones with a debug log, never throwing', async () => {
    const { hub: h, logs, publish } = hub();
    expect(await h.rendition('r_demo', 'source')).toBeUndefined(); // now following the room
    publish('r_demo', JSON.stringify({ type: 'rendition', state: state(1) }));
    expect(h.current('r_demo', 'source')?.seq).toBe(1);
    const { seq: _seq, ...seqless } = state(2);
    for (const bad of ['{', 'null', JSON.stringify({ type: 'part', state: state(2) }), JSON.stringify({ type: 'rendition', state: seqless })]) {
      expect(() => publish('r_demo', bad)).not.toThrow();
    }
    expect(h.current('r_demo', 'source')?.seq).toBe(1);
    const drops = logs.filter((l) => l.msg === 'dropped an LL-HLS state message');
    expect(drops).toHaveLength(4);
    expect(drops.every((l) => l.level === 20 && l.err?.startsWith('invalid LL-HLS state message on '))).toBe(true);
    publish('r_demo', JSON.stringify({ type: 'rendition', state: state(2) }));
    expect(h.current('r_demo', 'source')?.seq).toBe(2);
    await h.close();
  });

  it('a stored state that does not parse fails the read with a payload error', async () => {
    const { hub: h } = hub({
      [renditionStateKey('r_demo', 'source')]: JSON.stringify({ type: 'rendition', state: { roomId: 'r_demo' } }),
      [renditionHeadKey('r_demo', 'source')]: JSON.stringify({ id: 1, text: '#EXTM3U\n' }),
    });
    await expect(h.rendition('r_demo', 'source')).rejects.toThrow(PayloadError);
    await h.close();
  });

  it('composes the full playlist from the head a message brought (or the stored one) and each tail', async () => {
    const { hub: h, logs, publish } = hub({
      [renditionStateKey('r_demo', 'source')]: JSON.stringify({ type: 'rendition', state: state(1, false) }),
      [renditionHeadKey('r_demo', 'source')]: JSON.stringify({ id: 1, text: '#EXTM3U\n' }),
    });
    expect((await h.rendition('r_demo', 'source'))?.full).toBe('#EXTM3U\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part2.m4s"\n');
    publish('r_demo', JSON.stringify({ type: 'rendition', state: state(2, false) }));
    expect(h.current('r_demo', 'source')?.full).toBe('#EXTM3U\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part3.m4s"\n');
    // A new head comes with the update that first follows it; later ones only name it.
    publish('r_demo', JSON.stringify({ type: 'rendition', state: { ...state(3), head: { id: 3, text: '#EXTM3U\n#EXT-X-VERSION:9\n' } } }));
    publish('r_demo', JSON.stringify({ type: 'rendition', state: { ...state(4), head: { id: 3 } } }));
    expect(h.current('r_demo', 'source')?.full).toBe('#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part5.m4s"\n');
    // An update naming a head never seen here is dropped, not composed with another.
    publish('r_demo', JSON.stringify({ type: 'rendition', state: { ...state(5), head: { id: 5 } } }));
    expect(h.current('r_demo', 'source')?.seq).toBe(4);
    expect(logs.some((l) => l.msg === 'dropped an LL-HLS state whose playlist head is unknown here')).toBe(true);
    await h.close();
  });

  it('a stored state whose head is gone or another reads as no state', async () => {
    const { hub: h } = hub({
      [renditionStateKey('r_demo', 'source')]: JSON.stringify({ type: 'rendition', state: { ...state(4), head: { id: 3 } } }),
      [renditionHeadKey('r_demo', 'source')]: JSON.stringify({ id: 1, text: '#EXTM3U\n' }),
    });
    expect(await h.rendition('r_demo', 'source')).toBeUndefined();
    await h.close();
  });
});
