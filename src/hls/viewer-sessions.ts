/**
 * An estimate of the LL-HLS viewers of this origin: the distinct sessions that fetched a playlist in
 * the last `windowMs`. A session is a playback token when the request has one, else the client's
 * address and user agent (viewers behind one NAT with the same browser count once; behind a caching
 * proxy, only what reaches the origin is seen). Sessions are kept as 53-bit hashes, at most `max`
 * of them, so memory stays bounded whatever arrives: past `max` new sessions are not counted.
 */
export class ViewerSessions {
  /** Session hash → when it last fetched a playlist (ms). */
  readonly #lastSeen = new Map<number, number>();

  constructor(
    private readonly windowMs = 30_000,
    private readonly max = 100_000,
  ) {}

  seen(session: string, now = Date.now()): void {
    const id = hash53(session);
    if (this.#lastSeen.size >= this.max && !this.#lastSeen.has(id)) {
      this.#forgetOld(now);
      if (this.#lastSeen.size >= this.max) return;
    }
    this.#lastSeen.set(id, now);
  }

  /** Sessions seen within the window (forgetting the others). */
  count(now = Date.now()): number {
    this.#forgetOld(now);
    return this.#lastSeen.size;
  }

  #forgetOld(now: number): void {
    for (const [id, at] of this.#lastSeen) if (now - at > this.windowMs) this.#lastSeen.delete(id);
  }
}

/** Two FNV-1a 32-bit hashes (different offsets) folded into 53 bits: collisions are negligible at 100k sessions. */
function hash53(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0) * 2 ** 21 + ((b >>> 0) & 0x1fffff);
}
