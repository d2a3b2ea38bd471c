// A minimal HTTP/1.1 keep-alive client for load generation: one TCP connection, one request at a
// time, responses framed by Content-Length only (the LL-HLS origin and nginx static files both send
// it). Much cheaper per request than node:http or fetch, so that thousands of simulated viewers fit
// in a couple of processes. Media bodies are counted, not kept; playlist bodies are returned as text.
import net from 'node:net';

export interface HttpResponse {
  status: number;
  /** Body bytes received. */
  bytes: number;
  /** The body as latin1 text, when asked for. */
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:[ \t]*close/i;

/** Monotonic milliseconds, comparable across processes of this machine (CLOCK_MONOTONIC). */
export const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;

export class HttpConnectionError extends Error {
  constructor(
    message: string,
    readonly kind: 'socket' | 'timeout' | 'protocol',
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (r: HttpResponse) => void;
  reject: (e: Error) => void;
  wantBody: boolean;
  startedAt: number;
}

export class KeepAliveConnection {
  private socket: net.Socket | undefined;
  private pending: Pending | undefined;
  private head: Buffer | undefined;
  private inBody = false;
  private status = 0;
  private remaining = 0;
  private bytes = 0;
  private chunks: Buffer[] = [];
  private closeAfter = false;
  /** Connections opened over this object's life (1 = never reconnected). */
  connects = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly localAddress?: string,
  ) {}

  /** When the request in flight was written (undefined when idle), for a timeout sweep. */
  get busySince(): number | undefined {
    return this.pending?.startedAt;
  }

  request(path: string, wantBody: boolean): Promise<HttpResponse> {
    if (this.pending) return Promise.reject(new HttpConnectionError('request already in flight', 'protocol'));
    const socket = this.socket ?? this.connect();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, wantBody, startedAt: monoMs() };
      this.head = undefined;
      this.inBody = false;
      this.bytes = 0;
      this.chunks = [];
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}:${this.port}\r\nAccept: */*\r\n\r\n`);
    });
  }

  /** Fails the request in flight and drops the socket (a timeout, or the end of a phase). */
  abort(kind: 'timeout' | 'socket' = 'socket', why = 'aborted'): void {
    const socket = this.socket;
    this.socket = undefined;
    this.fail(new HttpConnectionError(why, kind));
    socket?.destroy();
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.pending = undefined;
    socket?.destroy();
  }

  private connect(): net.Socket {
    const socket = net.connect({ host: this.host, port: this.port, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
    socket.setNoDelay(true);
    this.connects++;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const gone = (err?: Error) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.fail(new HttpConnectionError(err?.message ?? 'connection closed by the server', 'socket'));
    };
    socket.on('error', gone);
    socket.on('close', () => gone());
    this.socket = socket;
    return socket;
  }

  private fail(err: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }

  private onData(data: Buffer): void {
    let chunk = data;
    let off = 0;
    while (off < chunk.length) {
      const pending = this.pending;
      if (!pending) {
        this.abort('socket', 'data without a request');
        return;
      }
      if (!this.inBody) {
        const buf = this.head ? Buffer.concat([this.head, chunk.subarray(off)]) : chunk.subarray(off);
        const end = buf.indexOf(HEADER_END);
        if (end < 0) {
          this.head = Buffer.from(buf);
          return;
        }
        this.head = undefined;
        const text = buf.toString('latin1', 0, end);
        this.status = Number(text.slice(9, 12));
        const length = CONTENT_LENGTH.exec(text);
        if (!length) {
          this.abort('socket', `response without Content-Length (status ${this.status})`);
          return;
        }
        this.closeAfter = CONNECTION_CLOSE.test(text);
        this.remaining = Number(length[1]);
        this.inBody = true;
        chunk = buf;
        off = end + 4;
      } else {
        const take = Math.min(this.remaining, chunk.length - off);
        if (pending.wantBody) this.chunks.push(chunk.subarray(off, off + take));
        this.bytes += take;
        this.remaining -= take;
        off += take;
      }
      if (this.inBody && this.remaining === 0) {
        const body = pending.wantBody ? (this.chunks.length === 1 ? this.chunks[0]!.toString('latin1') : Buffer.concat(this.chunks).toString('latin1')) : '';
        const response: HttpResponse = { status: this.status, bytes: this.bytes, body };
        this.pending = undefined;
        this.inBody = false;
        this.chunks = [];
        if (this.closeAfter) {
          const socket = this.socket;
          this.socket = undefined;
          socket?.destroy();
        }
        pending.resolve(response);
        if (off < chunk.length && !this.pending) return; // trailing bytes with nothing asked: ignore
      }
    }
  }
}
