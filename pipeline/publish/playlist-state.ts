import type { BlockingReloadView } from '../llhls/blocking-reload.js';
import { endedPlaylistText, type MediaPlaylist, type RenditionReport } from '../llhls/media-playlist.js';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';
import { channelFor } from '../../common/pubsub-channel.js';

// These arrive once per LL-HLS part: the schemas check types only (strings are not scanned).

/**
 * One rendition's live playlist as every origin process sees it: the rendered texts plus the
 * positions blocking reloads are decided on. Published through Redis on each change as a
 * RenditionUpdate.
 */
export const renditionStateSchema = z.object({
  roomId: z.string(),
  rendition: z.string(),
  /** Grows with every publish, so an origin keeps the newest of a GET and a message that raced. */
  seq: z.number(),
  full: z.string(),
  /** The Playlist Delta Update (_HLS_skip=YES). */
  delta: z.string(),
  ended: z.boolean(),
  mediaSequence: z.number(),
  lastSegmentMsn: z.number().nullable(),
  lastMsn: z.number().nullable(),
  lastPart: z.number().nullable(),
  /** The part number EXT-X-PRELOAD-HINT names (names.ts): parts numbered below it were listed. */
  nextPart: z.number(),
  partTarget: z.number(),
  targetDuration: z.number(),
});

export type RenditionState = z.infer<typeof renditionStateSchema>;

/**
 * A RenditionState as published: the full text in two pieces, MediaPlaylist's head and tail. The head
 * (the segments behind the live edge) changes once per segment, so a message carries its text only
 * then, and it is stored apart under renditionHeadKey; every message carries the tail, which changes
 * with every part. A DVR window of hours thus costs Redis and the origins once per segment, not per part.
 */
export const renditionUpdateSchema = renditionStateSchema.omit({ full: true }).extend({
  /** Which head the tail follows: the seq of the update that brought it; its text when it is new. */
  head: z.object({ id: z.number(), text: z.string().optional() }),
  tail: z.string(),
});

export type RenditionUpdate = z.infer<typeof renditionUpdateSchema>;

/** What renditionHeadKey holds: the newest head of a rendition's full playlist. */
export const playlistHeadSchema = z.object({ id: z.number(), text: z.string() });

export type PlaylistHead = z.infer<typeof playlistHeadSchema>;

export const masterStateSchema = z.object({
  roomId: z.string(),
  seq: z.number(),
  text: z.string(),
  renditions: z.array(z.string()),
});

export type MasterState = z.infer<typeof masterStateSchema>;

/** What is published on a room's channel, and stored under its state keys. */
export const hlsStateMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('rendition'), state: renditionUpdateSchema }),
  z.object({ type: z.literal('master'), state: masterStateSchema }),
]);

export type HlsStateMessage = z.infer<typeof hlsStateMessageSchema>;

// Redis names; room ids are validated before they reach here.
export const hlsChannel = (redis: Redis, roomId: string): string => channelFor(redis, `hls:${roomId}`);
export const renditionStateKey = (roomId: string, rendition: string): string => `hls:state:${roomId}:${rendition}`;
export const renditionHeadKey = (roomId: string, rendition: string): string => `hls:head:${roomId}:${rendition}`;
export const masterStateKey = (roomId: string): string => `hls:master:${roomId}`;

/** Seconds a room's playlist state outlives its last update by default (an ended stream stays readable that long). */
export const STATE_TTL_S = 3600;

/**
 * Stores `message` under `key` and publishes it on the room's channel in one transaction, with a
 * playlist head stored beside it when given: every origin then serves it.
 */
export async function publishState(redis: Redis, roomId: string, key: string, message: HlsStateMessage, ttlSeconds: number, head?: { key: string; head: PlaylistHead }): Promise<void> {
  const json = JSON.stringify(message);
  const multi = redis.multi();
  if (head) multi.set(head.key, JSON.stringify(head.head), 'EX', ttlSeconds);
  const results = await multi.set(key, json, 'EX', ttlSeconds).publish(hlsChannel(redis, roomId), json).exec();
  const failed = results?.find(([err]) => err)?.[0];
  if (!results || failed) throw failed ?? new Error('Redis transaction aborted');
}

/** The message stored under `key` (the publisher stores each state as the very message it publishes); a bad one throws. */
export async function readState(redis: Redis, key: string): Promise<HlsStateMessage | undefined> {
  const json = await redis.get(key);
  return json ? parseJsonWith(hlsStateMessageSchema, json, `LL-HLS state ${key}`) : undefined;
}

/**
 * A rendition's stored update and the head it follows (written in one transaction, read in one
 * MGET); undefined when there is none, or the two are not of the same publish. A bad one throws.
 */
export async function readRenditionState(redis: Redis, roomId: string, rendition: string): Promise<{ update: RenditionUpdate; head: PlaylistHead } | undefined> {
  const keys = [renditionStateKey(roomId, rendition), renditionHeadKey(roomId, rendition)] as const;
  const [stateJson, headJson] = await redis.mget(...keys);
  if (!stateJson || !headJson) return undefined;
  const message = parseJsonWith(hlsStateMessageSchema, stateJson, `LL-HLS state ${keys[0]}`);
  const head = parseJsonWith(playlistHeadSchema, headJson, `LL-HLS playlist head ${keys[1]}`);
  if (message.type !== 'rendition' || message.state.head.id !== head.id) return undefined;
  return { update: message.state, head };
}

/**
 * The update to publish for `playlist` now, following the head `head` (its text only when new).
 * `renditionReports`: where the sibling renditions are now (EXT-X-RENDITION-REPORT in both texts).
 */
export function updateOf(roomId: string, rendition: string, seq: number, playlist: MediaPlaylist, head: RenditionUpdate['head'], renditionReports: readonly RenditionReport[] = []): RenditionUpdate {
  return {
    roomId,
    rendition,
    seq,
    head,
    tail: playlist.renderTail({ renditionReports }),
    delta: playlist.render({ skip: true, renditionReports }),
    ended: playlist.ended,
    mediaSequence: playlist.mediaSequence,
    lastSegmentMsn: playlist.lastSegmentMsn ?? null,
    lastMsn: playlist.lastMsn ?? null,
    lastPart: playlist.lastPart ?? null,
    nextPart: playlist.nextPartNumber,
    partTarget: playlist.partTarget,
    targetDuration: playlist.targetDuration,
  };
}

/**
 * `update` (published after the head whose text is `headText`) ended where it is, as state `seq`: what
 * publishing it from an abandon()ed MediaPlaylist gives (endedPlaylistText). An ended playlist answers
 * a delta request with the full playlist, as MediaPlaylist.render() does.
 */
export function endedUpdateOf(update: RenditionUpdate, headText: string, seq: number): RenditionUpdate {
  const tail = endedPlaylistText(update.tail);
  return { ...update, seq, head: { id: update.head.id }, tail, delta: headText + tail, ended: true };
}

/** The state an origin keeps: `update` after the head whose text is `headText`. */
export function stateOf(update: RenditionUpdate, headText: string): RenditionState {
  const { head: _head, tail, ...positions } = update;
  return { ...positions, full: headText + tail };
}

/**
 * A snapshot read as the blocking-reload classifier reads a MediaPlaylist. `has` needs only the
 * newest positions: a part index past the end of a closed segment points into the next segment,
 * which is listed exactly when a later part is.
 */
export function reloadView(state: RenditionState): BlockingReloadView {
  const lastMsn = state.lastMsn ?? undefined;
  const lastPart = state.lastPart ?? undefined;
  const lastSegmentMsn = state.lastSegmentMsn ?? undefined;
  return {
    ended: state.ended,
    mediaSequence: state.mediaSequence,
    lastSegmentMsn,
    lastMsn,
    lastPart,
    partTarget: state.partTarget,
    nextPartNumber: state.nextPart,
    has(msn: number, part?: number): boolean {
      if (part === undefined) return lastSegmentMsn !== undefined && msn <= lastSegmentMsn;
      if (lastMsn === undefined || lastPart === undefined) return false;
      return msn < lastMsn || (msn === lastMsn && part <= lastPart);
    },
  };
}
