import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PayloadError } from '../../../common/json-payload.js';
import { createLogger } from '../../../common/logger.js';
import { ClusterBus } from '../../../src/cluster/cluster-bus.js';
import { pipeNoticeSchema } from '../../../src/cluster/pipe-messages.js';

/** In-memory pub/sub standing in for Redis: what the bus publishes reaches the subscribed fakes. */
class Broker {
  readonly published: { channel: string; message: string }[] = [];
  readonly subscribers = new Set<FakeRedis>();

  publish(channel: string, message: string): void {
    this.published.push({ channel, message });
    for (const sub of this.subscribers) if (sub.channels.has(channel)) setImmediate(() => sub.emit('message', channel, message));
  }
}

class FakeRedis extends EventEmitter {
  readonly options = { db: 0 };
  readonly channels = new Set<string>();
  constructor(private readonly broker: Broker) {
    super();
  }
  duplicate(): FakeRedis {
    return new FakeRedis(this.broker);
  }
  async subscribe(...channels: string[]): Promise<void> {
    for (const c of channels) this.channels.add(c);
    this.broker.subscribers.add(this);
  }
  async publish(channel: string, message: string): Promise<number> {
    this.broker.publish(channel, message);
    return 1;
  }
  async quit(): Promise<void> {
    this.broker.subscribers.delete(this);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 20));

let broker: Broker;
let logs: { msg: string; level: number; err?: string }[];
const buses: ClusterBus[] = [];

async function bus(nodeId: string): Promise<ClusterBus> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const b = await ClusterBus.connect(new FakeRedis(broker) as unknown as Redis, nodeId, createLogger('debug', sink));
  buses.push(b);
  return b;
}

/** What any Redis client could publish on node `to`'s inbox. */
const publishRaw = (to: string, message: string) => broker.publish(`lc:0:cluster-bus:node:${to}`, message);

afterEach(async () => {
  for (const b of buses.splice(0)) await b.close();
});

describe('cluster bus messages', () => {
  it('hands a handler its body as the schema reads it', async () => {
    broker = new Broker();
    logs = [];
    const heard: unknown[] = [];
    const b = await bus('b');
    b.on('pipe.closed', pipeNoticeSchema, (body, from) => heard.push({ body, from }));
    const a = await bus('a');
    await a.notify('b', 'pipe.closed', { pipeId: 'p1', extra: 'ignored' });
    await settle();
    expect(heard).toEqual([{ body: { pipeId: 'p1' }, from: 'a' }]);
  });

  it('drops envelopes that are not JSON or not an envelope, with a debug log, and keeps working', async () => {
    broker = new Broker();
    logs = [];
    const heard: string[] = [];
    const b = await bus('b');
    b.on('pipe.closed', pipeNoticeSchema, (body) => heard.push(body.pipeId));
    for (const bad of ['not json', 'null', '[]', '{"kind":"notice"}', '{"kind":"gossip","from":"x","type":"pipe.closed","body":{}}', '{"kind":"response","id":"1","ok":"yes"}']) {
      publishRaw('b', bad);
    }
    await settle();
    expect(heard).toEqual([]);
    const drops = logs.filter((l) => l.msg === 'dropped a cluster bus message');
    expect(drops).toHaveLength(6);
    expect(drops.every((l) => l.level === 20 && l.err?.startsWith('invalid cluster bus envelope'))).toBe(true);
    publishRaw('b', JSON.stringify({ kind: 'notice', from: 'x', type: 'pipe.closed', body: { pipeId: 'p2' } }));
    await settle();
    expect(heard).toEqual(['p2']);
  });

  it('drops a notice or request whose body does not fit, without calling the handler or answering', async () => {
    broker = new Broker();
    logs = [];
    let calls = 0;
    const b = await bus('b');
    b.on('pipe.close', pipeNoticeSchema, () => {
      calls += 1;
      return 'answer';
    });
    publishRaw('b', JSON.stringify({ kind: 'notice', from: 'x', type: 'pipe.close', body: { pipeId: 7 } }));
    publishRaw('b', JSON.stringify({ kind: 'request', id: 'r1', from: 'x', type: 'pipe.close', body: null }));
    await settle();
    expect(calls).toBe(0);
    expect(broker.published.filter((p) => p.channel.endsWith(':x'))).toEqual([]);
    const drops = logs.filter((l) => l.msg === 'dropped a cluster bus message').map((l) => l.err);
    expect(drops).toEqual([expect.stringMatching(/^invalid pipe\.close body from x: pipeId: /), expect.stringMatching(/^invalid pipe\.close body from x: /)]);
  });

  it('resolves a request with the answer its reply schema reads, and rejects one that does not fit', async () => {
    broker = new Broker();
    logs = [];
    const b = await bus('b');
    b.on('who', z.object({ name: z.string() }), (body) => (body.name === 'good' ? { node: 'b' } : { node: 42 }));
    const a = await bus('a');
    const reply = z.object({ node: z.string() });
    expect(await a.request('b', 'who', { name: 'good' }, reply, 1000)).toEqual({ node: 'b' });
    await expect(a.request('b', 'who', { name: 'bad' }, reply, 1000)).rejects.toThrow(PayloadError);
    await expect(a.request('b', 'who', { name: 'bad' }, reply, 1000)).rejects.toThrow('invalid answer to who: node: ');
  });
});
