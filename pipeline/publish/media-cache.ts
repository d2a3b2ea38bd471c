export interface CachedObject {
  bytes: Buffer;
  contentType: string;
}

export interface MediaCacheOptions {
  /** Newest objects kept; a viewer near the live edge asks only for the last few parts and segments. */
  maxEntries?: number;
  /** The bound that matters: the entry count only caps the bookkeeping of tiny objects. */
  maxBytes?: number;
}

/**
 * The newest init/parts/segments this process published or its origin read from storage, by storage
 * key, so the origin answers the live edge from memory instead of reading every part back from
 * storage for every viewer.
 * Insertion-ordered: the oldest entries go first — except the objects a live playlist of this
 * process names (`retain`), which stay while it names them and one update longer (a player or origin
 * an update behind may still ask for them), so that the origin can serve its whole window even while
 * object storage is unreachable (the limits may be exceeded by those alone).
 */
export class MediaCache {
  private readonly entries = new Map<string, CachedObject>();
  /** How many retained groups name each key (in their newest or previous `retain`). */
  private readonly retainedKeys = new Map<string, number>();
  /** Per group, what its newest `retain` named and what the one before it named. */
  private readonly groups = new Map<string, { newest: ReadonlySet<string>; previous: ReadonlySet<string> }>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(options: MediaCacheOptions = {}) {
    // ~3,000 parts of 40 KB fill the bytes: one origin serves many renditions' live edges at once.
    this.maxEntries = options.maxEntries ?? 8192;
    this.maxBytes = options.maxBytes ?? 128 * 1024 * 1024;
  }

  get(key: string): CachedObject | undefined {
    return this.entries.get(key);
  }

  set(key: string, object: CachedObject): void {
    this.delete(key);
    this.entries.set(key, object);
    this.bytes += object.bytes.length;
    this.evict(key);
  }

  /**
   * The keys a live playlist (one `group`, e.g. its rendition's key prefix) names now: kept however
   * old, until two successive `retain`s of the group no longer name them, or `release(group)`.
   */
  retain(group: string, keys: Iterable<string>): void {
    const newest = new Set(keys);
    const before = this.groups.get(group);
    const held = union(before?.newest, before?.previous);
    const next = { newest, previous: before?.newest ?? new Set<string>() };
    const nowHeld = union(next.newest, next.previous);
    for (const key of nowHeld) if (!held.has(key)) this.retainedKeys.set(key, (this.retainedKeys.get(key) ?? 0) + 1);
    this.groups.set(group, next);
    this.unretain(held, nowHeld);
  }

  /** The group's playlist is over (or its objects are safely in storage): its objects age out normally. */
  release(group: string): void {
    const before = this.groups.get(group);
    if (!before) return;
    this.groups.delete(group);
    this.unretain(union(before.newest, before.previous), new Set());
  }

  /** Drops every object under `prefix` (a stream that ended and whose window nobody needs hot). */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private unretain(previous: ReadonlySet<string>, next: ReadonlySet<string>): void {
    let released = false;
    for (const key of previous) {
      if (next.has(key)) continue;
      const count = (this.retainedKeys.get(key) ?? 1) - 1;
      if (count > 0) this.retainedKeys.set(key, count);
      else this.retainedKeys.delete(key);
      released = true;
    }
    if (released) this.evict();
  }

  /** Oldest first, never what a playlist names nor `newest` (the object just set: a playlist may name it next). */
  private evict(newest?: string): void {
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      if (oldest !== newest && !this.retainedKeys.has(oldest)) this.delete(oldest);
    }
  }

  private delete(key: string): void {
    const existing = this.entries.get(key);
    if (!existing) return;
    this.bytes -= existing.bytes.length;
    this.entries.delete(key);
  }
}

function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string> | undefined): Set<string> {
  return new Set([...(a ?? []), ...(b ?? [])]);
}
