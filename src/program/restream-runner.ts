import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../common/logger.js';
import { startPush, type Push } from '../../pipeline/ffmpeg/push.js';
import type { RoomEventEmitter } from '../events/room-event-emitter.js';
import type { RoomRepository } from '../rooms/room-repository.js';
import type { DestinationGuard } from '../webhooks/destination-guard.js';
import type { ProgramInputs } from './program-input.js';
import { dialDestination } from './restream-destination.js';
import type { RestreamState, RestreamStore, StoredRestream } from './restream-store.js';

export interface RestreamRunnerDeps {
  store: RestreamStore;
  repository: Pick<RoomRepository, 'get'>;
  inputs: ProgramInputs;
  guard: Pick<DestinationGuard, 'addressesFor'>;
  events: Pick<RoomEventEmitter, 'emit'>;
  nodeId: string;
  logger: Logger;
  /** Backoff after failed attempts in a row: 1 s doubling up to this. */
  maxBackoffMs?: number;
}

/** How often a waiting restream looks whether someone went on air, and a live one whether they still are. */
const WATCH_MS = 1000;

/**
 * One restream on the node that holds its lease: while the room is on air, its program (the room's
 * LL-HLS) is pushed to the destination by ffmpeg; when the destination drops or refuses, the push is
 * tried again after a backoff (1 s, 2 s, 4 s ... at most 30 s); when nobody is on air it waits.
 * `restream.started` when a push goes live, `restream.failed` when an attempt fails.
 */
export class RestreamRunner {
  #stopped = false;
  #push: Push | null = null;
  #state: RestreamState['state'] | null = null;
  readonly #done: Promise<void>;

  constructor(
    private readonly restream: StoredRestream,
    private readonly deps: RestreamRunnerDeps,
  ) {
    this.#done = this.#loop().catch((err: Error) => deps.logger.error({ restream_id: restream.id, err: err.message }, 'restream runner failed'));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#push?.stop();
    await this.#done;
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      const room = await this.deps.repository.get(this.restream.room_id);
      const input = room ? await this.deps.inputs.of(room) : null;
      if (!room || !input) {
        failures = 0;
        await this.#set('waiting', failures, null);
        await sleep(WATCH_MS);
        continue;
      }
      await this.#set('connecting', failures, null);
      const error = await this.#attempt(input).catch((err: Error) => err.message);
      if (this.#stopped) break;
      // The program ended (nobody on air any more): not a failure of the destination.
      if (error === null || !(await this.deps.inputs.of(room))) continue;
      failures += 1;
      const retryMs = Math.min(1000 * 2 ** (failures - 1), this.deps.maxBackoffMs ?? 30_000);
      this.deps.logger.warn({ restream_id: this.restream.id, room_id: room.id, failures, err: error }, 'restream attempt failed');
      await this.#set('retrying', failures, error);
      await this.deps.events.emit(room, 'restream.failed', { restream_id: this.restream.id, error, failures, retry_in_s: retryMs / 1000 }).catch(() => {});
      await sleep(retryMs);
    }
  }

  /** One push, until the destination drops, the program ends or the runner stops; the error, or null. */
  async #attempt(input: NonNullable<Awaited<ReturnType<ProgramInputs['of']>>>): Promise<string | null> {
    const dial = await dialDestination(this.restream.url, this.deps.guard);
    const push = startPush(input, dial);
    this.#push = push;
    const watch = this.#watchProgram(push);
    void push.live.then(async () => {
      if (this.#push !== push || this.#stopped) return;
      await this.#set('live', 0, null);
      const room = await this.deps.repository.get(this.restream.room_id);
      if (room) await this.deps.events.emit(room, 'restream.started', { restream_id: this.restream.id }).catch(() => {});
    });
    const { error } = await push.ended;
    this.#push = null;
    watch.abort();
    return error;
  }

  /** Ends the push when nobody is on air any more (the stream of the next one is a new program run). */
  #watchProgram(push: Push): AbortController {
    const controller = new AbortController();
    void (async () => {
      while (!controller.signal.aborted) {
        await sleep(WATCH_MS, undefined, { signal: controller.signal }).catch(() => {});
        if (controller.signal.aborted) return;
        // A Redis hiccup is no reason to cut a live push: only a room known to be off air is.
        const onAir = await this.deps.repository
          .get(this.restream.room_id)
          .then(async (room) => (room ? (await this.deps.inputs.of(room)) !== null : false))
          .catch(() => true);
        if (!onAir) push.stop();
      }
    })();
    return controller;
  }

  async #set(state: RestreamState['state'], failures: number, error: string | null): Promise<void> {
    if (state === this.#state && error === null) return;
    this.#state = state;
    const previous = await this.deps.store.state(this.restream.id);
    const lastError = error ? { message: error, at: new Date().toISOString() } : previous.last_error;
    await this.deps.store.setState(this.restream.id, { state, node_id: this.deps.nodeId, failures, last_error: lastError });
  }
}
