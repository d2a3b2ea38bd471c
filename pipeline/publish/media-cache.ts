export interface CachedObject {
  bytes: Buffer;
  contentType: string;
}

export interface MediaCacheOptions {
  /** Newest objects kept; a viewer near the live edge asks only for the last few parts and segments. */
  maxEntries?: number;
  maxBytes?: number;
}

/**
 * The newest init/parts/segments this process published, by storage key, so the origin answers the
 * live edge from memory instead of reading every part back from storage for every viewer.
 * Insertion-ordered: the oldest entries go first.
 */
export class MediaCache {
  private readonly entries = new Map<string, CachedObject>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;

  constructor(options: MediaCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 256;
    this.maxBytes = options.maxBytes ?? 128 * 1024 * 1024;
  }

  get(key: string): CachedObject | undefined {
    return this.entries.get(key);
  }

  set(key: string, object: CachedObject): void {
    this.delete(key);
    this.entries.set(key, object);
    this.bytes += object.bytes.length;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  /** Drops every object under `prefix` (a stream that ended and whose window nobody needs hot). */
  deletePrefix(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private delete(key: string): void {
    const existing = this.entries.get(key);
    if (!existing) return;
    this.bytes -= existing.bytes.length;
    this.entries.delete(key);
  }
}
