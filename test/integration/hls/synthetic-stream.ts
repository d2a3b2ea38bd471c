// A live LL-HLS rendition without ffmpeg: hand-made Segmenter actions through the real HlsPublisher
// → MediaPlaylist path into S3 and Redis, 1 s segments of five 0.2 s parts.
import type { Redis } from 'ioredis';
import { MediaPlaylist } from '../../../pipeline/llhls/media-playlist.js';
import { partUri } from '../../../pipeline/llhls/names.js';
import type { PublishAction } from '../../../pipeline/llhls/segmenter.js';
import { HlsPublisher, type HlsPublisherOptions } from '../../../pipeline/publish/hls-publisher.js';
import type { MediaCache } from '../../../pipeline/publish/media-cache.js';
import { createLogger } from '../../../common/logger.js';
import type { ObjectStore } from '../../../storage/object-store.js';

const T0 = Date.UTC(2024, 0, 1);

/** What the stream stores under `uri`. */
export const bytesOf = (uri: string): Buffer => Buffer.from(`bytes of ${uri}`);

export class SyntheticStream {
  /** The part the next publishPart() adds: its segment, index in it and number (its name, names.ts). */
  upcoming = { msn: 0, index: 0, number: 0 };

  /** Name of the part the next publishPart() adds (what EXT-X-PRELOAD-HINT names). */
  get upcomingPart(): string {
    return partUri(this.upcoming.number);
  }

  private constructor(
    readonly roomId: string,
    readonly rendition: string,
    readonly publisher: HlsPublisher,
    readonly playlist: MediaPlaylist,
  ) {}

  /**
   * Publishes the init segment; `cache` is the publisher's (share it with an origin of the same
   * "process"); `windowSegments`: the playlist's window (a DVR window), default the live edge's;
   * `expiry`, `keepSegments`: the publisher's.
   */
  static async start(
    o: { roomId: string; rendition?: string; store: ObjectStore; redis: Redis; cache: MediaCache; windowSegments?: number } & Pick<HlsPublisherOptions, 'expiry' | 'keepSegments'>,
  ): Promise<SyntheticStream> {
    const rendition = o.rendition ?? 'v1';
    const playlist = new MediaPlaylist({ targetDuration: 1, partTarget: 0.2, ...(o.windowSegments ? { windowSegments: o.windowSegments } : {}) });
    const { expiry, keepSegments } = o;
    const publisher = new HlsPublisher({ roomId: o.roomId, rendition, playlist, store: o.store, redis: o.redis, cache: o.cache, logger: createLogger('silent'), ...(expiry ? { expiry } : {}), ...(keepSegments ? { keepSegments } : {}) });
    await publisher.perform([
      { type: 'write', kind: 'init', uri: 'init.mp4', bytes: bytesOf('init.mp4') },
      { type: 'publish', update: { kind: 'map', uri: 'init.mp4', discontinuity: false } },
    ]);
    return new SyntheticStream(o.roomId, rendition, publisher, playlist);
  }

  /** Stores and publishes the next part, closing the segment after its fifth. */
  publishPart(): Promise<void> {
    return this.publisher.perform(this.nextPart());
  }

  /** `/hls/{room}/{rendition}/{name}` */
  path(name: string): string {
    return `/hls/${this.roomId}/${this.rendition}/${name}`;
  }

  playlistPath(query = ''): string {
    return this.path(`index.m3u8${query}`);
  }

  private nextPart(): PublishAction[] {
    const { msn, index, number } = this.upcoming;
    const uri = partUri(number);
    const programDateTime = T0 + number * 200;
    const actions: PublishAction[] = [
      { type: 'write', kind: 'part', uri, bytes: bytesOf(uri) },
      { type: 'publish', update: { kind: 'part', msn, index, part: { duration: 0.2, independent: index === 0, uri, programDateTime, number } } },
    ];
    this.upcoming = { msn, index: index + 1, number: number + 1 };
    if (index === 4) {
      const segment = { msn, uri: `seg${msn}.m4s`, duration: 1, programDateTime: T0 + msn * 1000, discontinuity: false, mapUri: 'init.mp4' };
      actions.push({ type: 'write', kind: 'segment', uri: segment.uri, bytes: bytesOf(segment.uri) }, { type: 'publish', update: { kind: 'segment', segment } });
      this.upcoming = { msn: msn + 1, index: 0, number: number + 1 };
    }
    return actions;
  }
}
