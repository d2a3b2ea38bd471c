import type { ConsumeResult, JoinResult, Method, Question, RequestData, ServerEvents, TransportInfo } from '../../src/signaling/protocol.js';
import { LevelChatError, type ErrorInfo, type LevelChatErrorCode } from './errors.js';

export const REQUEST_TIMEOUT_MS = 10_000;
/** The server keeps a dropped participant this long (the protocol's RESUME_WINDOW_MS; a value import would bundle zod). */
export const RESUME_WINDOW_MS = 10_000;

/** What each request answers (methods not listed answer `{}`). */
export interface ResultOf {
  join: JoinResult;
  resume: JoinResult;
  create_transport: TransportInfo;
  restart_ice: { ice_parameters: Record<string, unknown> };
  produce: { producer_id: string };
  consume: ConsumeResult;
  chat: { message: ServerEvents['chat'] };
  mute_participant: { muted: string[] };
  ask_question: { question: Question };
  upvote_question: { question: Question };
  answer_question: { question: Question };
  dismiss_question: { question: Question };
  refresh_token: { expires_at: string };
}
export type Result<M extends Method> = M extends keyof ResultOf ? ResultOf[M] : Record<string, never>;

/** Server events, plus the `error` frame the server sends for problems outside any request. */
export type SignalingEvents = ServerEvents & { error: ErrorInfo };

/** One server event as a tagged value: `switch (e.event)` narrows `e.data`. */
export type SignalingEvent = { [E in keyof SignalingEvents]: { event: E; data: SignalingEvents[E] } }[keyof SignalingEvents];

export interface SignalingHandlers {
  onEvent<E extends keyof SignalingEvents>(event: E, data: SignalingEvents[E]): void;
  /** The socket closed, by either side (never called after `close()`). */
  onClose(code: number, reason: string): void;
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: LevelChatError): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One WebSocket to `/v1/rtc`: numbered requests answered by `{ id, ok, data | error }` frames (or
 * rejected after 10 s), and server events. A dropped connection is a new SignalingClient.
 */
export class SignalingClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedByUs = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly handlers: SignalingHandlers,
  ) {
    ws.onmessage = (e) => this.onMessage(e.data);
    ws.onclose = (e) => {
      this.failPending('disconnected', `the connection closed (${e.code}${e.reason ? ` ${e.reason}` : ''})`);
      if (!this.closedByUs) this.handlers.onClose(e.code, e.reason);
    };
  }

  static connect(url: string, handlers: SignalingHandlers, timeoutMs = REQUEST_TIMEOUT_MS): Promise<SignalingClient> {
    return new Promise((resolve, reject) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url);
      } catch (err) {
        reject(new LevelChatError('connection_failed', `cannot open ${url}: ${(err as Error).message}`));
        return;
      }
      const timer = setTimeout(() => {
        ws.close();
        reject(new LevelChatError('timeout', `no signaling connection to ${url} within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        resolve(new SignalingClient(ws, handlers));
      };
      ws.onclose = (e) => {
        clearTimeout(timer);
        reject(new LevelChatError('connection_failed', `cannot connect to ${url} (${e.code})`));
      };
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  request<M extends Method>(method: M, data: RequestData<M>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Result<M>> {
    if (!this.open) return Promise.reject(new LevelChatError('disconnected', `cannot send ${method}: not connected`));
    const id = this.nextId++;
    return new Promise<Result<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LevelChatError('timeout', `${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (d: unknown) => void, reject, timer });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  /** Closes the socket; no `onClose` follows. */
  close(code = 1000, reason = 'bye'): void {
    this.closedByUs = true;
    this.failPending('disconnected', 'the connection was closed');
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code, reason);
  }

  private onMessage(raw: unknown): void {
    if (typeof raw !== 'string') return;
    let frame: { id?: number; ok?: boolean; data?: unknown; error?: { code: LevelChatErrorCode; message: string } & Record<string, unknown>; event?: string };
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof frame.event === 'string') {
      this.handlers.onEvent(frame.event as keyof SignalingEvents, frame.data as never);
      return;
    }
    if (typeof frame.id !== 'number') return;
    const pending = this.pending.get(frame.id);
    if (!pending) return;
    this.pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.data ?? {});
    else {
      const { code = 'internal', message = 'request refused', ...details } = frame.error ?? {};
      pending.reject(new LevelChatError(code, message, details));
    }
  }

  private failPending(code: LevelChatErrorCode, message: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new LevelChatError(code, message));
    }
  }
}
