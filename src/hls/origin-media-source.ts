import { MEDIA_CONTENT_TYPE } from '../../pipeline/publish/hls-objects.js';
import type { MediaCache } from '../../pipeline/publish/media-cache.js';

/** Reads an object the cache does not have (this node's spool, then storage); undefined when there is none. */
export type MediaReader = (key: string) => Promise<Buffer | undefined>;

/**
 * Where the origin gets init/parts/segments: this process' MediaCache (the newest objects, filled
 * by the pipelines of this process and by this class), else `read`. Pipelines run on any node, so
 * most origins do not have the part their viewers all ask for at once: the first request reads it,
 * every request for that key meanwhile waits on the same read and gets the same Buffer, which then
 * stays in the cache. Misses and failures are not kept: the next request reads again.
 */
export class OriginMediaSource {
  private readonly reads = new Map<string, Promise<Buffer | undefined>>();

  constructor(
    private readonly cache: MediaCache,
    private readonly read: MediaReader,
  ) {}

  /** The object if this process has it in memory (no promise on the hot path). */
  cached(key: string): Buffer | undefined {
    return this.cache.get(key)?.bytes;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const pending = this.reads.get(key);
    if (pending) {
      const bytes = await pending;
      if (bytes) return bytes;
      // That read may have started before the object was stored: a miss is only trusted from a read started after this request.
    }
    return this.cached(key) ?? (await this.readOnce(key));
  }

  private readOnce(key: string): Promise<Buffer | undefined> {
    const pending = this.reads.get(key);
    if (pending) return pending;
    const read: Promise<Buffer | undefined> = this.read(key)
      .then((bytes) => {
        if (bytes) this.cache.set(key, { bytes, contentType: MEDIA_CONTENT_TYPE });
        return bytes;
      })
      .finally(() => {
        if (this.reads.get(key) === read) this.reads.delete(key);
      });
    this.reads.set(key, read);
    return read;
  }
}
