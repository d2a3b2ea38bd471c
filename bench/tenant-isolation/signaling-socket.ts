// A bare signaling client for the signaling-flood bench (both tenants): requests answered by id,
// each answer's time taken from the moment the request left.
import WebSocket from 'ws';

export interface Answer {
  ok: boolean;
  code: string | null;
  data: any;
  ms: number;
}

export class BenchSocket {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (a: Answer) => void; sentAt: number }>();
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { id?: number; ok?: boolean; data?: unknown; error?: { code: string } };
      const waiting = frame.id === undefined ? undefined : this.#pending.get(frame.id);
      if (!waiting) return;
      this.#pending.delete(frame.id!);
      waiting.resolve({ ok: frame.ok === true, code: frame.error?.code ?? null, data: frame.data, ms: performance.now() - waiting.sentAt });
    });
    ws.on('close', () => {
      this.closed = true;
      for (const p of this.#pending.values()) p.resolve({ ok: false, code: 'closed', data: null, ms: performance.now() - p.sentAt });
      this.#pending.clear();
    });
    ws.on('error', () => {});
  }

  /** `localAddress`: the client's own address (another loopback one plays another tenant's users). */
  static open(httpUrl: string, localAddress?: string): Promise<BenchSocket> {
    const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/v1/rtc`, localAddress ? { localAddress } : {});
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new BenchSocket(ws)));
      ws.once('error', reject);
    });
  }

  /** Resolves with the answer (a closed socket answers `closed`), never rejects. */
  request(method: string, data: unknown = {}): Promise<Answer> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (this.closed) return resolve({ ok: false, code: 'closed', data: null, ms: 0 });
      this.#pending.set(id, { resolve, sentAt: performance.now() });
      this.ws.send(JSON.stringify({ id, method, data }));
    });
  }

  close(): void {
    this.ws.close();
  }
}
