import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../../common/logger.js';
import { safeParseJsonWith, safeParseWith } from '../../common/json-payload.js';
import { channelFor } from '../../common/pubsub-channel.js';

/** A request handler's answer meaning "not mine": another node answers (used for requests to all). */
export const NOT_MINE = Symbol('not mine');

/** A handler with its body schema applied: DROPPED when the body did not parse. */
type Handler = (body: unknown, from: string) => unknown;
const DROPPED = Symbol('dropped');

// A body JSON.stringify left out (a handler that answered undefined) is absent, hence optional.
const envelopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('request'), id: z.string(), from: z.string(), type: z.string(), body: z.unknown().optional() }),
  z.discriminatedUnion('ok', [
    z.object({ kind: z.literal('response'), id: z.string(), ok: z.literal(true), body: z.unknown().optional() }),
    z.object({ kind: z.literal('response'), id: z.string(), ok: z.literal(false), error: z.string() }),
  ]),
  z.object({ kind: z.literal('notice'), from: z.string(), type: z.string(), body: z.unknown().optional() }),
]);

type Envelope = z.infer<typeof envelopeSchema>;

export class BusTimeoutError extends Error {
  readonly code = 'bus_timeout';
}

const ALL = 'cluster-bus:all';
const inbox = (nodeId: string) => `cluster-bus:node:${nodeId}`;

/**
 * Messages between nodes over Redis pub/sub: requests that one node answers (by node id, or to all
 * when the sender does not know which node owns the thing) and fire-and-forget notices.
 */
export class ClusterBus {
  private readonly handlers = new Map<string, Handler>();
  private readonly waiting = new Map<string, { resolve: (body: unknown) => void; reject: (err: Error) => void }>();

  private constructor(
    readonly nodeId: string,
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly logger: Logger,
  ) {}

  /** `redis` publishes; a duplicate of it subscribes (a subscribed connection can do nothing else). */
  static async connect(redis: Redis, nodeId: string, logger: Logger): Promise<ClusterBus> {
    const subscriber = redis.duplicate({ connectionName: `levelchat-bus-${nodeId}` });
    subscriber.on('error', (err: Error) => logger.warn({ err: err.message }, 'cluster bus connection error'));
    const bus = new ClusterBus(nodeId, redis, subscriber, logger);
    subscriber.on('message', (_channel: string, message: string) => bus.receive(message));
    await subscriber.subscribe(channelFor(redis, ALL), channelFor(redis, inbox(nodeId)));
    return bus;
  }

  /**
   * Handles requests and notices of `type` whose body `schema` reads (others are dropped, with a
   * debug log: anyone on Redis can publish); a request is answered with what the handler returns.
   */
  on<S extends z.ZodType>(type: string, schema: S, handler: (body: z.output<S>, from: string) => unknown): void {
    this.handlers.set(type, (body, from) => {
      const parsed = safeParseWith(schema, body, `${type} body from ${from}`);
      if (parsed.success) return handler(parsed.data, from);
      this.logger.debug({ err: parsed.error.message }, 'dropped a cluster bus message');
      return DROPPED;
    });
  }

  /** Asks node `to` (or every node, for `null`) and resolves with the answer, which `reply` reads. */
  request<S extends z.ZodType>(to: string | null, type: string, body: unknown, reply: S, timeoutMs = 5000): Promise<z.output<S>> {
    const id = randomUUID();
    return new Promise<z.output<S>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new BusTimeoutError(`no answer to ${type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        fn(...args);
      };
      const answered = (answer: unknown) => {
        const parsed = safeParseWith(reply, answer, `answer to ${type}`);
        if (parsed.success) resolve(parsed.data);
        else reject(parsed.error);
      };
      this.waiting.set(id, { resolve: settle(answered), reject: settle(reject) });
      this.send(to, { kind: 'request', id, from: this.nodeId, type, body }).catch((err: Error) => this.waiting.get(id)?.reject(err));
    });
  }

  notify(to: string | null, type: string, body: unknown): Promise<void> {
    return this.send(to, { kind: 'notice', from: this.nodeId, type, body });
  }

  async close(): Promise<void> {
    for (const pending of this.waiting.values()) pending.reject(new Error('cluster bus closed'));
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private async send(to: string | null, envelope: Envelope): Promise<void> {
    await this.publisher.publish(channelFor(this.publisher, to === null ? ALL : inbox(to)), JSON.stringify(envelope));
  }

  private receive(message: string): void {
    const parsed = safeParseJsonWith(envelopeSchema, message, 'cluster bus envelope');
    if (!parsed.success) {
      this.logger.debug({ err: parsed.error.message }, 'dropped a cluster bus message');
      return;
    }
    const envelope = parsed.data;
    if (envelope.kind === 'response') {
      const pending = this.waiting.get(envelope.id);
      if (envelope.ok) pending?.resolve(envelope.body);
      else pending?.reject(new Error(envelope.error));
      return;
    }
    const handler = this.handlers.get(envelope.type);
    if (!handler) return;
    if (envelope.kind === 'notice') {
      Promise.resolve()
        .then(() => handler(envelope.body, envelope.from))
        .catch((err: Error) => this.logger.warn({ type: envelope.type, err: err.message }, 'cluster notice failed'));
      return;
    }
    const { id, from } = envelope;
    Promise.resolve()
      .then(() => handler(envelope.body, from))
      .then(
        (body) => (body === NOT_MINE || body === DROPPED ? undefined : this.send(from, { kind: 'response', id, ok: true, body })),
        (err: Error) => this.send(from, { kind: 'response', id, ok: false, error: err.message }),
      )
      .catch((err: Error) => this.logger.warn({ err: err.message }, 'cluster bus could not answer'));
  }
}
