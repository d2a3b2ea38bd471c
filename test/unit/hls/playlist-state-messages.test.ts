import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../../common/json-payload.js';
import { createLogger } from '../../../common/logger.js';
import { hlsChannel, renditionStateKey, type RenditionState } from '../../../pipeline/publish/playlist-state.js';
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
  const redis = { options: { db: 0 }, get: async (key: string) => stored[key] ?? null } as unknown as Redis;
  const subscriber = new FakeSubscriber();
  const h = new PlaylistStateHub(redis, subscriber as unknown as Redis, createLogger('debug', sink));
  return { hub: h, logs, publish: (roomId: string, message: string) => subscriber.emit('message', hlsChannel(subscriber as unknown as Redis, roomId), message) };
}

const state = (seq: number): RenditionState => ({
  roomId: 'r_demo',
  rendition: 'source',
  seq,
  full: '#EXTM3U\n',
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
    const { hub: h } = hub({ [renditionStateKey('r_demo', 'source')]: JSON.stringify({ type: 'rendition', state: { roomId: 'r_demo' } }) });
    await expect(h.rendition('r_demo', 'source')).rejects.toThrow(PayloadError);
    await h.close();
  });
});
