import type { Segment } from '../llhls/segment.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../../src/logger.js';
import type { ObjectStore, PutOptions } from '../../storage/object-store.js';
import type { MediaPlaylist } from '../llhls/media-playlist.js';
import type { SegmenterAction } from '../llhls/segmenter.js';
import { hlsKey, IMMUTABLE_CACHE_CONTROL, masterKey, MEDIA_CONTENT_TYPE, PLAYLIST_CACHE_CONTROL, PLAYLIST_CONTENT_TYPE } from './hls-objects.js';
import type { MediaCache } from './media-cache.js';
import { hlsChannel, masterStateKey, renditionStateKey, snapshotOf, type HlsStateMessage, type MasterState } from './playlist-state.js';

export interface HlsPublisherOptions {
  roomId: string;
  rendition: string;
  playlist: MediaPlaylist;
  store: ObjectStore;
  redis: Redis;
  cache: MediaCache;
  logger: Logger;
  /** Seconds the Redis state outlives its last update (an ended stream stays readable that long). */
  stateTtlSeconds?: number;
}

const PUT_ATTEMPTS = 3;
const MEDIA_PUT: PutOptions = { contentType: MEDIA_CONTENT_TYPE, cacheControl: IMMUTABLE_CACHE_CONTROL };
const PLAYLIST_PUT: PutOptions = { contentType: PLAYLIST_CONTENT_TYPE, cacheControl: PLAYLIST_CACHE_CONTROL };

/**
 * Carries out one rendition's Segmenter actions strictly in order: every object is in storage (and in
 * this process' cache) before the playlist update that names it is applied and published to Redis,
 * so no origin ever lists a URI a player cannot fetch (RFC 8216bis 6.2.1).
 */
export class HlsPublisher {
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private seq = 0;
  private lastSegmentBytes = 0;
  /** Highest bitrate of a closed segment so far, bits per second (the variant's BANDWIDTH). */
  peakBitrate = 0;

  /** Every segment closed so far, in order: what a recording of this run is made of. */
  readonly closedSegments: Segment[] = [];

  constructor(private readonly options: HlsPublisherOptions) {}

  /** Queues actions behind the ones before; rejects (and keeps rejecting) once storage or Redis failed for good. */
  perform(actions: readonly SegmenterAction[]): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      try {
        for (const action of actions) await this.run(action);
      } catch (err) {
        this.failure = err as Error;
        throw err;
      }
    });
    return this.queue;
  }

  /** Publishes the multivariant playlist (after the media playlist it names has a state). */
  publishMaster(text: string, renditions: string[]): Promise<void> {
    const { roomId } = this.options;
    const state: MasterState = { roomId, seq: Date.now(), text, renditions };
    return this.perform([]).then(async () => {
      // Stored too, for a CDN pointed at the bucket; origins answer from the Redis state.
      await this.putWithRetry(masterKey(roomId), Buffer.from(text), PLAYLIST_PUT);
      await this.broadcast(masterStateKey(roomId), { type: 'master', state });
    });
  }

  /** Resolves once everything queued so far is done. */
  drain(): Promise<void> {
    return this.perform([]);
  }

  private async run(action: SegmenterAction): Promise<void> {
    const { roomId, rendition, playlist, cache } = this.options;
    if (action.type === 'write') {
      const key = hlsKey(roomId, rendition, action.uri);
      await this.putWithRetry(key, action.bytes, MEDIA_PUT);
      cache.set(key, { bytes: action.bytes, contentType: MEDIA_CONTENT_TYPE });
      if (action.kind === 'segment') this.lastSegmentBytes = action.bytes.length;
      return;
    }
    playlist.apply(action.update);
    const state = snapshotOf(roomId, rendition, ++this.seq, playlist);
    await this.broadcast(renditionStateKey(roomId, rendition), { type: 'rendition', state });
    if (action.update.kind === 'segment') {
      this.closedSegments.push(action.update.segment);
      const { duration } = action.update.segment;
      this.peakBitrate = Math.max(this.peakBitrate, Math.ceil((this.lastSegmentBytes * 8) / duration));
    }
    // The playlist in storage follows segment boundaries only: it is for CDNs and recordings, not the live edge.
    if (action.update.kind === 'segment' || action.update.kind === 'end') {
      await this.putWithRetry(hlsKey(roomId, rendition, 'index.m3u8'), Buffer.from(state.full), PLAYLIST_PUT);
    }
  }

  private async broadcast(key: string, message: HlsStateMessage): Promise<void> {
    const { redis, roomId, stateTtlSeconds = 3600 } = this.options;
    const json = JSON.stringify(message);
    const results = await redis.multi().set(key, json, 'EX', stateTtlSeconds).publish(hlsChannel(roomId), json).exec();
    const failed = results?.find(([err]) => err)?.[0];
    if (!results || failed) throw failed ?? new Error('Redis transaction aborted');
  }

  private async putWithRetry(key: string, body: Buffer, options: PutOptions): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.options.store.put(key, body, options);
      } catch (err) {
        if (attempt >= PUT_ATTEMPTS) throw err;
        this.options.logger.warn({ key, attempt, err: (err as Error).message }, 'object put failed, retrying');
        await sleep(100 * attempt);
      }
    }
  }
}
