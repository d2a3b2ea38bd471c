import WebSocket from 'ws';
import { waitFor } from '../../bench/lib/wait.js';

export interface ServerFrame {
  id?: number;
  ok?: boolean;
  data?: any;
  error?: { code: string; message: string };
  event?: string;
}

/** A bare protocol client for server-side signaling tests (no media). */
export class SignalingTestClient {
  readonly events: { event: string; data: any }[] = [];
  closed: { code: number; reason: string } | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (frame: ServerFrame) => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as ServerFrame;
      if (frame.id !== undefined && this.pending.has(frame.id)) {
        this.pending.get(frame.id)!(frame);
        this.pending.delete(frame.id);
      } else if (frame.event) this.events.push({ event: frame.event, data: frame.data });
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static async connect(httpUrl: string): Promise<SignalingTestClient> {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/v1/rtc`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new SignalingTestClient(ws);
  }

  /** Sends a request; resolves with the whole answer frame (ok or error). */
  request(method: string, data: unknown = {}): Promise<ServerFrame> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${method}`)), 10_000);
      this.pending.set(id, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  async ok(method: string, data: unknown = {}): Promise<any> {
    const frame = await this.request(method, data);
    if (!frame.ok) throw new Error(`${method} refused: ${frame.error?.code} ${frame.error?.message}`);
    return frame.data;
  }

  async errorCode(method: string, data: unknown = {}): Promise<string | undefined> {
    return (await this.request(method, data)).error?.code;
  }

  waitEvent(event: string, match: (data: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    return waitFor(() => this.events.find((e) => e.event === event && match(e.data))?.data, { timeoutMs, what: `event ${event}` });
  }

  waitClosed(timeoutMs = 5000) {
    return waitFor(() => this.closed, { timeoutMs, what: 'socket close' });
  }

  close(): void {
    this.ws.close();
  }
}
