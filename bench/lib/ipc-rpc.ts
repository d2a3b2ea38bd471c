// Calls over the IPC channel of a forked bench process: the parent calls and waits for the answer,
// the child serves calls until it is told to stop (or its parent goes away).
import type { ChildProcess } from 'node:child_process';

/** Parent → child. */
type ParentMessage = { kind: 'call'; id: number; request: unknown } | { kind: 'stop' };

/** Child → parent. */
type ChildMessage =
  | { kind: 'ready'; value: unknown }
  | { kind: 'failed'; error: string }
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; error: string };

/** The parent's handle on a forked child that serves calls with `serveCalls`. */
export class RpcChild<Request, Ready> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  /** What the child announced once it was ready to serve. */
  readonly ready: Promise<Ready>;
  readonly exited: Promise<number | null>;

  constructor(
    readonly proc: ChildProcess,
    readonly name: string,
  ) {
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    this.ready = new Promise<Ready>((resolve, reject) => {
      proc.on('message', (raw) => {
        const msg = raw as ChildMessage;
        if (msg.kind === 'ready') resolve(msg.value as Ready);
        else if (msg.kind === 'failed') reject(new Error(`${name} failed to start: ${msg.error}`));
        else this.settle(msg);
      });
      void this.exited.then((code) => {
        const err = new Error(`${name} (pid ${proc.pid}) exited (code ${code})`);
        reject(err);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
    // Whoever awaits `ready` sees the failure; an exit after that only fails pending calls.
    this.ready.catch(() => {});
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  call<T>(request: Request, timeoutMs = 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = <A>(fn: (a: A) => void) => (a: A) => {
        clearTimeout(timer);
        this.pending.delete(id);
        fn(a);
      };
      this.pending.set(id, { resolve: done((v: unknown) => resolve(v as T)), reject: done(reject) });
      this.send({ kind: 'call', id, request });
    });
  }

  /** Asks the child to stop and waits for it to exit; SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.alive) return;
    this.send({ kind: 'stop' });
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Synchronous last resort for exit handlers. */
  kill(): void {
    if (this.alive) this.proc.kill('SIGKILL');
  }

  private get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  private send(msg: ParentMessage): void {
    if (this.proc.connected) this.proc.send(msg);
  }

  private settle(msg: Extract<ChildMessage, { kind: 'reply' }>): void {
    const p = this.pending.get(msg.id);
    if (msg.ok) p?.resolve(msg.value);
    else p?.reject(new Error(`${this.name}: ${msg.error}`));
  }
}

/**
 * The child's side: `start()` prepares it (its value is announced as ready), then every call is
 * answered with `handle`; on "stop", or when the parent goes away, `stop()` runs and the process
 * exits.
 */
export async function serveCalls<Request>(parts: {
  start: () => Promise<unknown>;
  handle: (request: Request) => Promise<unknown>;
  stop: () => Promise<void>;
}): Promise<void> {
  const send = (msg: ChildMessage) => process.send?.(msg);
  let stopping: Promise<void> | undefined;
  const stopAndExit = (code = 0) => {
    stopping ??= parts
      .stop()
      .catch((err: Error) => console.error(`stop failed: ${err.message}`))
      .finally(() => process.exit(code));
  };
  process.on('disconnect', () => stopAndExit());
  try {
    send({ kind: 'ready', value: await parts.start() });
  } catch (err) {
    send({ kind: 'failed', error: (err as Error).stack ?? String(err) });
    stopAndExit(1);
    return;
  }
  process.on('message', (raw) => {
    const msg = raw as ParentMessage;
    if (msg.kind === 'stop') return stopAndExit();
    parts.handle(msg.request as Request).then(
      (value) => send({ kind: 'reply', id: msg.id, ok: true, value }),
      (err: unknown) => send({ kind: 'reply', id: msg.id, ok: false, error: (err as Error).message ?? String(err) }),
    );
  });
}
