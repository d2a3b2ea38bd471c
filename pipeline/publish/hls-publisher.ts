import type { Segment } from '../llhls/segment.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import type { Metrics } from '../../common/metrics.js';
import type { ObjectStore, PutOptions } from '../../storage/object-store.js';
import { sum, type MediaPlaylist, type PlaylistUpdate, type RenditionReport } from '../llhls/media-playlist.js';
import type { PublishAction } from '../llhls/segmenter.js';
import { hlsKey, IMMUTABLE_CACHE_CONTROL, masterKey, MEDIA_CONTENT_TYPE, PLAYLIST_CACHE_CONTROL, PLAYLIST_CONTENT_TYPE } from './hls-objects.js';
import type { MediaCache } from './media-cache.js';
import { namedKeys } from './playlist-uris.js';
import type { SpoolObjectKind } from './spool-file.js';
import type { DrainReport, UploadSpool } from './upload-spool.js';
import type { ExpiryScheduler } from './expiry-queue.js';
import { expiredKeys, ExpiryPlan, expirySegmentsOf, type ExpiryBatch, type ExpirySegment } from './object-expiry.js';
import { masterStateKey, publishState, renditionHeadKey, renditionStateKey, STATE_TTL_S, updateOf, type HlsStateMessage, type MasterState, type PlaylistHead } from './playlist-state.js';

export interface HlsPublisherOptions {
  roomId: string;
  rendition: string;
  playlist: MediaPlaylist;
  store: ObjectStore;
  redis: Redis;
  cache: MediaCache;
  logger: Logger;
  /** The sibling renditions' positions, read at every playlist update (EXT-X-RENDITION-REPORT). */
  renditionReports?: () => readonly RenditionReport[];
  /** Seconds the Redis state outlives its last update (an ended stream stays readable that long). */
  stateTtlSeconds?: number;
  /**
   * This process' upload spool (shared with its origin, like `cache`). With it, an object counts as
   * stored once it is in storage OR durably spooled on this node's disk, so the live playlist keeps
   * going through a storage outage; without it every PUT must reach storage (3 attempts) or the
   * publisher fails.
   */
  spool?: UploadSpool;
  /** Where each part's lag (cut → stored and announced) is recorded. */
  metrics?: Pick<Metrics, 'hlsPartPublishLag'>;
  /**
   * Where the parts and segments that left the playlist go to be deleted (ExpiryPlan says when);
   * without it they stay in storage.
   */
  expiry?: ExpiryScheduler;
  /** This rendition's segments stay for good (its run is recorded); only its parts expire. */
  keepSegments?: boolean;
}

const PUT_ATTEMPTS = 3;
const MEDIA_PUT: PutOptions = { contentType: MEDIA_CONTENT_TYPE, cacheControl: IMMUTABLE_CACHE_CONTROL };
const PLAYLIST_PUT: PutOptions = { contentType: PLAYLIST_CONTENT_TYPE, cacheControl: PLAYLIST_CACHE_CONTROL };

/**
 * Carries out one rendition's Segmenter actions strictly in order: every object is stored (and in
 * this process' cache) before the playlist update that names it is applied and published to Redis,
 * so no origin ever lists a URI a player cannot fetch (RFC 8216bis 6.2.1).
 *
 * "Stored" is: in object storage, or — with a `spool`, while storage is unreachable — fsynced in the
 * spool on this node's disk, from where this process' origin serves it (MediaCache → spool → storage)
 * until the spool's uploader has put it in storage. Parts a live playlist lists are never dropped from
 * the spool, segments never. The playlist objects in storage (index.m3u8, master.m3u8) go through the
 * same ordered queue, so storage only ever holds a playlist whose every object it already has; the
 * stored master.m3u8 is first written once every index.m3u8 it names is stored.
 */
export class HlsPublisher {
  private queue: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /**
   * Orders this rendition's states for the origins, which keep the newest: it starts from the wall
   * clock (µs) so that a run going on in playlists an earlier run handed over (an on-air switch, maybe
   * on another worker) publishes states newer than all of that run's.
   */
  private seq = Date.now() * 1000;
  /** The head of the full playlist last published (MediaPlaylist.headVersion) and its id (the seq that brought it). */
  private head: { version: number; id: number } | undefined;
  private lastSegmentBytes = 0;
  private segmentBytes = 0;
  private segmentSeconds = 0;
  private storedIndex = false;
  /** The ended playlist's state is in Redis: origins serve it. */
  private endPublished = false;
  /** The newest multivariant text, waiting until every index.m3u8 it names is stored. */
  private pendingMaster: Buffer | undefined;
  /** The other renditions the pending master names. */
  private masterSiblings: readonly HlsPublisher[] = [];
  /** This publisher writes the multivariant playlist, so settling waits for it too. */
  private publishesMaster = false;
  /** Highest bitrate of a closed segment so far, bits per second (the variant's BANDWIDTH). */
  peakBitrate = 0;

  /** Every segment closed so far, in order: what a recording of this run is made of. */
  readonly closedSegments: Segment[] = [];
  private readonly expiryPlan: ExpiryPlan | undefined;
  /** Deletions being handed to `expiry` (settle waits for them). */
  private readonly scheduling = new Set<Promise<void>>();
  /** Number of the open segment's first part, and of the part after the newest one published. */
  private segmentFirstPart: number;
  private nextPart: number;

  constructor(private readonly options: HlsPublisherOptions) {
    const { playlist, expiry, keepSegments = false } = options;
    this.segmentFirstPart = this.nextPart = playlist.nextPartNumber;
    if (expiry) {
      this.expiryPlan = new ExpiryPlan({ prefix: this.prefix, keepSegments });
      // A playlist continued from an earlier run: the segments it still lists are this run's to expire.
      this.expiryPlan.adopt(expirySegmentsOf(playlist.closedSegments, this.nextPart));
    }
  }

  /** Queues actions behind the ones before; rejects (and keeps rejecting) once storage or Redis failed for good. */
  perform(actions: readonly PublishAction[]): Promise<void> {
    // The Segmenter hands over a part as it cuts it: its lag runs from here, queueing included.
    const cutAt = performance.now();
    return this.enqueue(async () => {
      for (let i = 0; i < actions.length; i++) {
        const action = actions[i]!;
        if (action.type === 'write') {
          await this.write(action);
          continue;
        }
        // Consecutive updates (a segment's last part and the segment) are published as one state.
        const updates = [action.update];
        for (let next = actions[i + 1]; next?.type === 'publish'; next = actions[i + 1]) {
          updates.push(next.update);
          i++;
        }
        await this.publish(updates);
        if (updates.some((u) => u.kind === 'part')) this.options.metrics?.hlsPartPublishLag.observe((performance.now() - cutAt) / 1000);
      }
    });
  }

  /** Bits per second over every closed segment so far (AVERAGE-BANDWIDTH); 0 before the first. */
  get averageBitrate(): number {
    return this.segmentSeconds > 0 ? Math.ceil((this.segmentBytes * 8) / this.segmentSeconds) : 0;
  }

  /** This rendition's index.m3u8 is in storage (or spooled): a stored master may name it. */
  get hasStoredIndex(): boolean {
    return this.storedIndex;
  }

  /**
   * Publishes the multivariant playlist (after the media playlists it names have a state): this
   * rendition's and those of `siblings`, whose publishers store their own playlists.
   */
  publishMaster(text: string, renditions: string[], siblings: readonly HlsPublisher[] = []): Promise<void> {
    const { roomId } = this.options;
    return this.enqueue(async () => {
      const state: MasterState = { roomId, seq: Date.now(), text, renditions };
      await this.broadcast(masterStateKey(roomId), { type: 'master', state });
      // Stored too, for a CDN pointed at the bucket (origins answer from the Redis state), once every
      // stored index.m3u8 it names exists: checked again at each of this rendition's segments.
      this.pendingMaster = Buffer.from(text);
      this.masterSiblings = siblings;
      this.publishesMaster = true;
      await this.storeMaster();
    });
  }

  /**
   * Waits (at most `timeoutMs`) until everything this rendition spooled is in storage; what is left
   * will still be uploaded by the spool (now or after a restart of this node).
   */
  async settle(timeoutMs: number): Promise<DrainReport> {
    const { spool, roomId, cache } = this.options;
    await this.drain().catch(() => {});
    if (this.expiryPlan) this.scheduleExpiry(this.expiryPlan.flush());
    await Promise.all([...this.scheduling]);
    const prefixes = this.publishesMaster ? [this.prefix, masterKey(roomId)] : [this.prefix];
    const report = spool ? await spool.whenDrained(prefixes, timeoutMs) : { drained: true, waitedMs: 0, objects: 0, bytes: 0, segments: 0 };
    // The ended playlist's objects are in storage now (or still in the spool, from where the origin serves them).
    cache.release(this.prefix);
    if (report.drained) spool?.unpin(this.prefix);
    return report;
  }

  /** Storage key prefix of this rendition's objects: hls/{room}/{rendition}/. */
  private get prefix(): string {
    return hlsKey(this.options.roomId, this.options.rendition, '');
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (this.failure) throw this.failure;
      try {
        await task();
      } catch (err) {
        this.failure = err as Error;
        throw err;
      }
    });
    return this.queue;
  }

  /**
   * Ends the playlist of a run that failed for good (storage, Redis or the packager gave up, so
   * finishing it normally failed): what was published stays listed, the hint goes and EXT-X-ENDLIST
   * is written (MediaPlaylist.abandon()), so players and the blocking requests the origins hold stop
   * waiting for parts that will never come. It goes to Redis even though the queue failed (storage
   * failing does not stop it); the stored index.m3u8 follows if storage takes it.
   */
  async abandon(): Promise<void> {
    await this.drain().catch(() => {});
    // Nothing published yet: no origin serves this playlist.
    if (this.endPublished || !this.head) return;
    try {
      await this.publish([{ kind: 'abandon' }]);
    } catch (err) {
      // Past Redis, what failed is storing index.m3u8: the origins serve the ended state all the same.
      if (!this.endPublished) throw err;
      this.options.logger.warn({ roomId: this.options.roomId, err: (err as Error).message }, 'could not store the ended HLS playlist');
    }
  }

  /** Resolves once everything queued so far is done. */
  drain(): Promise<void> {
    return this.perform([]);
  }

  private async write(action: Extract<PublishAction, { type: 'write' }>): Promise<void> {
    const { roomId, rendition, cache } = this.options;
    const key = hlsKey(roomId, rendition, action.uri);
    await this.store(key, action.bytes, MEDIA_PUT, action.kind);
    cache.set(key, { bytes: action.bytes, contentType: MEDIA_CONTENT_TYPE });
    if (action.kind === 'segment') this.lastSegmentBytes = action.bytes.length;
  }

  private async publish(updates: readonly PlaylistUpdate[]): Promise<void> {
    const { roomId, rendition, playlist, cache } = this.options;
    for (const update of updates) playlist.apply(update);
    const seq = ++this.seq;
    // The head's text goes out only when it changed (once per segment), see RenditionUpdate.
    const newHead = this.head?.version === playlist.headVersion ? undefined : { id: seq, text: playlist.renderHead() };
    if (newHead) this.head = { version: playlist.headVersion, id: seq };
    const state = updateOf(roomId, rendition, seq, playlist, newHead ?? { id: this.head!.id }, this.options.renditionReports?.() ?? []);
    // Before anyone can see it: the live edge (what the delta update names: every part listed, the
    // last segments) stays in this process' cache, so the origin serves it even while storage is
    // unreachable, and its parts are never dropped from the spool. Older segments of a DVR window are
    // read back from storage (or the spool) when asked for.
    const named = namedKeys(hlsKey(roomId, rendition, 'index.m3u8'), state.delta);
    cache.retain(this.prefix, named);
    this.options.spool?.pin(this.prefix, named);
    await this.broadcast(renditionStateKey(roomId, rendition), { type: 'rendition', state }, newHead && { key: renditionHeadKey(roomId, rendition), head: newHead });
    this.endPublished = state.ended;
    for (const update of updates) {
      if (update.kind === 'part') this.nextPart = update.part.number + 1;
      // A gap has no object, nor a place in a recording (its run's VOD playlist leaves it out).
      if (update.kind === 'gap') this.expire({ msn: update.segment.msn, duration: update.segment.duration, firstPart: this.nextPart, endPart: this.nextPart });
      if (update.kind !== 'segment') continue;
      this.expire({ msn: update.segment.msn, duration: update.segment.duration, firstPart: this.segmentFirstPart, endPart: this.nextPart });
      this.segmentFirstPart = this.nextPart;
      this.closedSegments.push(update.segment);
      const { duration } = update.segment;
      this.peakBitrate = Math.max(this.peakBitrate, Math.ceil((this.lastSegmentBytes * 8) / duration));
      this.segmentBytes += this.lastSegmentBytes;
      this.segmentSeconds += duration;
    }
    // The playlist in storage follows segment boundaries only: it is for CDNs and recordings, not the live edge.
    if (updates.some((u) => u.kind === 'segment' || u.kind === 'gap' || u.kind === 'end' || u.kind === 'abandon')) {
      await this.store(hlsKey(roomId, rendition, 'index.m3u8'), Buffer.from(playlist.renderHead() + state.tail), PLAYLIST_PUT, 'playlist');
      this.storedIndex = true;
      await this.storeMaster();
    }
  }

  /** A segment was closed and the playlist without its oldest segments published: plan what leaves storage. */
  private expire(segment: ExpirySegment): void {
    const { playlist } = this.options;
    if (!this.expiryPlan) return;
    const seconds = sum(playlist.closedSegments);
    this.scheduleExpiry(this.expiryPlan.closed(segment, { firstMsn: playlist.mediaSequence, seconds }, Date.now()));
  }

  /** Hands batches to `expiry` off the publishing path: a failure there costs storage, never the stream. */
  private scheduleExpiry(batches: readonly ExpiryBatch[]): void {
    for (const batch of batches) {
      // Still spooled by then (a storage outage): dropped, never uploaded after its deletion.
      this.options.spool?.expire(expiredKeys(batch), batch.dueAt);
      const scheduled = this.options.expiry!.schedule(batch).catch((err: Error) => this.options.logger.warn({ prefix: batch.prefix, err: err.message }, 'could not schedule the deletion of expired HLS objects'));
      this.scheduling.add(scheduled);
      void scheduled.finally(() => this.scheduling.delete(scheduled));
    }
  }

  private async storeMaster(): Promise<void> {
    const text = this.pendingMaster;
    if (!text || !this.storedIndex || !this.masterSiblings.every((s) => s.hasStoredIndex)) return;
    this.pendingMaster = undefined;
    await this.store(masterKey(this.options.roomId), text, PLAYLIST_PUT, 'playlist');
  }

  private async store(key: string, body: Buffer, options: PutOptions, kind: SpoolObjectKind): Promise<void> {
    const { spool } = this.options;
    if (spool) await spool.put(key, body, options, kind);
    else await this.putWithRetry(key, body, options);
  }

  /** Stores `message` under `key` and publishes it, with a new playlist head stored in the same transaction. */
  private broadcast(key: string, message: HlsStateMessage, head?: { key: string; head: PlaylistHead }): Promise<void> {
    const { redis, roomId, stateTtlSeconds = STATE_TTL_S } = this.options;
    return publishState(redis, roomId, key, message, stateTtlSeconds, head);
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
