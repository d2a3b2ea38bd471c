// The session's signaling, across everything that replaces its WebSocket: the first join (following
// redirects to the room's origin), resuming after a drop, joining another node when ours is gone,
// and the move to the origin when invited on stage. Server events wait while a join or resume is
// answered, so the answer is taken in before the events that raced it.
import type { CLOSE_CODES, JoinResult, Method, RequestData, ServerEvents } from '../../src/signaling/protocol.js';
import { Emitter } from '../shared/emitter.js';
import { LevelChatError, asLevelChatError, type ErrorEventMap } from './errors.js';
import { absoluteHlsUrl } from './llhls.js';
import { failOver, joinAt } from './node-failover.js';
import { resumeWithBackoff, type ResumeOptions } from './reconnect.js';
import type { DisconnectReason } from './room-data.js';
import { REQUEST_TIMEOUT_MS, type Result, type SignalingClient, type SignalingEvent, type SignalingEvents } from './signaling-client.js';

export type ConnectionState = 'connected' | 'reconnecting' | 'ended';

/** The close code of a session whose token expired (typed from the protocol, so the two cannot drift; no runtime import). */
const TOKEN_EXPIRED: (typeof CLOSE_CODES)['tokenExpired'] = 4010;

/** How a later answer came: the same participant resumed, or a new participant on another node. */
export type Rejoin = 'resumed' | 'moved';

export interface ConnectionEventMap extends ErrorEventMap {
  /** A resume or a join elsewhere was answered: the events that raced it follow. */
  answer: [result: JoinResult, how: Rejoin];
  /** A server event, in order, once the answer before it was taken in. */
  event: [event: SignalingEvent];
  reconnecting: [];
  /** After a drop: resumed (restart ICE now) or moved to another node. */
  reconnected: [how: Rejoin];
  /** The server removed us, or the connection could not be brought back. */
  lost: [reason: DisconnectReason];
}

/** How opening ended: joined, or refused because the broadcast's WebRTC seats are taken. */
export type Opened = { connection: Connection; result: JoinResult } | SeatsTaken;

/** The `webrtc_full` refusal, and the broadcast's LL-HLS master (absolute) for those beyond its seats. */
export interface SeatsTaken {
  full: LevelChatError;
  hlsUrl: string;
}

/** How a new connection reports here, and what happens just before its join or resume is answered. */
type Hooks = Pick<ResumeOptions, 'handlers' | 'beforeAnswer'>;

export class Connection extends Emitter<ConnectionEventMap> {
  /** The session's token: joins elsewhere and resumes present it; `refresh` replaces it. */
  #token: string;
  #client: SignalingClient;
  /** The node we are connected to (a redirect, a failover or a stage move changes it). */
  #url: string;
  #state: ConnectionState = 'connected';
  /** Events held until the current answer is taken in; null: delivered as they come. */
  #held: SignalingEvent[] | null;
  #reconnecting: Promise<void> | null = null;
  /** From the last answer: who to resume as, and the room's other nodes. */
  #resume: RequestData<'resume'>;
  #nodes: readonly string[];

  private constructor(token: string, joined: { client: SignalingClient; result: JoinResult; url: string }, held: SignalingEvent[]) {
    super();
    this.#token = token;
    this.#client = joined.client;
    this.#url = joined.url;
    this.#held = held;
    this.#resume = resumeOf(token, joined.result);
    this.#nodes = joined.result.nodes;
  }

  /**
   * Connects and joins at `url`, following `wrong_node` redirects. `takeUp` resolves with the answer
   * once the session can take part in it. Events wait until `release()`.
   */
  static async open(url: string, token: string, takeUp: (answer: Promise<JoinResult>) => Promise<JoinResult>): Promise<Opened> {
    let connection: Connection | null = null;
    let early: SignalingEvent[] = [];
    let node = url;
    try {
      const joined = await joinAt(url, {
        token,
        takeUp,
        connectTimeoutMs: REQUEST_TIMEOUT_MS,
        // Closes before the session exists are the join's failure, not a drop to recover from.
        handlers: (client) => ({
          onEvent: (event, data) => (connection ? connection.#onEvent(client(), event, data) : early.push(tagged(event, data))),
          onClose: (code, reason) => {
            if (connection) connection.#onClose(client(), code, reason);
          },
        }),
        beforeAnswer: (_client, at) => {
          early = [];
          node = at;
        },
      });
      connection = new Connection(token, joined, early);
      return { connection, result: joined.result };
    } catch (err) {
      const error = asLevelChatError(err, 'internal');
      const hlsPath = error.code === 'webrtc_full' ? error.details['hls_url'] : null;
      if (typeof hlsPath === 'string') return { full: error, hlsUrl: absoluteHlsUrl(hlsPath, node) };
      throw error;
    }
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get url(): string {
    return this.#url;
  }

  /** The session's token now (after any `refresh`): what its latency reports carry. */
  get token(): string {
    return this.#token;
  }

  /** Delivers the events held since the answer was taken in; later ones come as they arrive. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const e of held) this.emit('event', e);
  }

  /** A request on the current connection, waiting out a reconnection. */
  async request<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>> {
    if (this.#state === 'reconnecting' && this.#reconnecting) await this.#reconnecting;
    if (this.#state === 'ended') throw new LevelChatError('invalid_state', `${method}: you are no longer in the room`);
    return this.#client.request(method, data);
  }

  /**
   * A moderator on the room's origin node invited us on stage while we watch from another node:
   * join the origin (a new participant there, on stage: a `stage` event follows), then leave here.
   */
  async takeStage(invite: ServerEvents['stage-invite']): Promise<void> {
    if (this.#state !== 'connected') return;
    const previous = this.#client;
    // Not 'connected' meanwhile: a refused attempt's closing connection must not start a reconnect.
    this.#state = 'reconnecting';
    const moved = await joinAt(invite.signaling_url, { token: this.#token, stagePass: invite.stage_pass, ...this.#hooks() }).catch((err: unknown) => {
      this.#client = previous;
      this.#held = null;
      if ((this.#state as ConnectionState) !== 'ended') {
        this.#state = 'connected';
        // Our connection here dropped meanwhile (its close was ignored while moving): recover now.
        if (!previous.open) this.#onClose(previous, 1006, 'closed while moving to the stage');
      }
      throw err;
    });
    if ((this.#state as ConnectionState) === 'ended') return void moved.client.close();
    this.#state = 'connected';
    void previous
      .request('leave', {}, 2000)
      .catch(() => {})
      .finally(() => previous.close());
    this.#url = moved.url;
    this.#takeIn(moved.result, 'moved');
  }

  /** Hands the server a new token of the same identity and room; later resumes and joins present it. */
  async refresh(token: string): Promise<string> {
    const { expires_at } = await this.request('refresh_token', { token });
    this.#token = token;
    this.#resume = { ...this.#resume, token };
    return expires_at;
  }

  /** Leaves the room (waiting 2 s at most for the answer), then closes. */
  async leave(): Promise<void> {
    if (this.#state === 'ended') return;
    this.#state = 'ended';
    await this.#client.request('leave', {}, 2000).catch(() => {});
    this.#client.close(1000, 'left');
  }

  /** Closes for good, without a word to the server (it ended us, or we gave up). */
  close(): void {
    this.#state = 'ended';
    this.#client.close(1000, 'left');
  }

  #onEvent<E extends keyof SignalingEvents>(client: SignalingClient, event: E, data: SignalingEvents[E]): void {
    if (client !== this.#client || this.#state === 'ended') return;
    if (this.#held) this.#held.push(tagged(event, data));
    else this.emit('event', tagged(event, data));
  }

  #onClose(client: SignalingClient, code: number, reason: string): void {
    if (client !== this.#client || this.#state !== 'connected') return;
    if (code === 4002) return void this.emit('lost', 'host_ended');
    if (code === TOKEN_EXPIRED) return void this.emit('lost', 'token_expired');
    if (code === 4001 && (reason === 'kicked' || reason === 'revoked')) return void this.emit('lost', reason);
    if (code === 4001 || code === 4000) return void this.emit('lost', 'network'); // removed by the server, or resumed elsewhere
    this.#reconnecting = this.#reconnect().finally(() => (this.#reconnecting = null));
  }

  /**
   * Resume the same participant on a new connection (same media). When our node itself is gone,
   * join again on another node of the room instead.
   */
  async #reconnect(): Promise<void> {
    this.#state = 'reconnecting';
    this.emit('reconnecting');
    const hooks = this.#hooks();
    const isCancelled = () => this.#state === 'ended';
    let movedTo: string | null = null;
    const resumed = await resumeWithBackoff({ url: this.#url, request: this.#resume, isCancelled, ...hooks, ...(this.#nodes.length ? { unreachableAfter: 2 } : {}) })
      .catch(async (err: unknown) => {
        const error = asLevelChatError(err, 'disconnected');
        if (error.code !== 'connection_failed' || !this.#nodes.length) throw error;
        const joined = await failOver(this.#nodes, { token: this.#token, isCancelled, ...hooks });
        movedTo = joined?.url ?? null;
        return joined;
      })
      .catch((err: unknown) => {
        this.emit('error', asLevelChatError(err, 'disconnected').toJSON());
        return null;
      });
    if ((this.#state as ConnectionState) === 'ended') {
      resumed?.client.close();
      return;
    }
    if (!resumed) return void this.emit('lost', 'network');
    this.#state = 'connected';
    if (movedTo) this.#url = movedTo;
    const how: Rejoin = movedTo ? 'moved' : 'resumed';
    this.#takeIn(resumed.result, how);
    this.emit('reconnected', how);
  }

  /** A new connection becomes ours just before its answer; its events wait for that answer. */
  #hooks(): Hooks {
    return {
      handlers: (client) => ({
        onEvent: (event, data) => this.#onEvent(client(), event, data),
        onClose: (code, reason) => this.#onClose(client(), code, reason),
      }),
      beforeAnswer: (client) => {
        this.#client = client;
        this.#held = [];
      },
    };
  }

  #takeIn(result: JoinResult, how: Rejoin): void {
    this.#resume = resumeOf(this.#token, result);
    this.#nodes = result.nodes;
    this.emit('answer', result, how);
    this.release();
  }
}

function resumeOf(token: string, result: JoinResult): RequestData<'resume'> {
  return { token, participant_id: result.participant.id, resume_token: result.resume_token };
}

function tagged<E extends keyof SignalingEvents>(event: E, data: SignalingEvents[E]): SignalingEvent {
  return { event, data } as SignalingEvent;
}
