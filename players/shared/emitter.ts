/** A tiny typed event emitter: each event name maps to its listener's argument list. */
export type EventMap<M> = { [K in keyof M]: unknown[] };
export type Listener<A extends unknown[]> = (...args: A) => void;

/** The emitting half of an Emitter: what a part gets to report into the events of the whole it belongs to. */
export type EventSink<M extends EventMap<M>> = Pick<Emitter<M>, 'emit'>;

export class Emitter<M extends EventMap<M>> {
  private readonly listeners = new Map<keyof M, Set<(...args: never[]) => void>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as unknown as (...args: never[]) => void);
    return () => this.off(event, listener);
  }

  once<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    const off = this.on(event, ((...args: M[K]) => {
      off();
      listener(...args);
    }) as Listener<M[K]>);
    return off;
  }

  off<K extends keyof M>(event: K, listener: Listener<M[K]>): void {
    this.listeners.get(event)?.delete(listener as unknown as (...args: never[]) => void);
  }

  /** Calls every listener; one that throws is reported and does not stop the others. */
  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        (listener as unknown as Listener<M[K]>)(...args);
      } catch (err) {
        console.error(`[levelchat] a '${String(event)}' listener threw`, err);
      }
    }
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }
}
