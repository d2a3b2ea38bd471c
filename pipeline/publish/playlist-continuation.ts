import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';
import { HLS_RENDITIONS } from '../renditions.js';

// An on-air switch goes on in the same playlists: the run that ends hands them over through Redis to
// the run that starts, which may be on another pipeline worker.

const partSchema = z.object({ duration: z.number(), independent: z.boolean(), uri: z.string(), programDateTime: z.number(), number: z.number() });

const segmentSchema = z.object({
  msn: z.number(),
  uri: z.string(),
  duration: z.number(),
  programDateTime: z.number(),
  discontinuity: z.boolean(),
  mapUri: z.string(),
  gap: z.boolean().optional(),
  parts: z.array(partSchema),
});

/** A MediaPlaylist's PlaylistSnapshot and its Segmenter's position, per rendition of the ladder. */
export const continuationSchema = z.object({
  /** The run whose rendition names the playlists have (renditionName). */
  run: z.string(),
  cadence: z.object({ partTarget: z.number(), segmentTarget: z.number(), targetDuration: z.number() }),
  renditions: z.array(
    z.object({
      rendition: z.enum(HLS_RENDITIONS),
      position: z.object({ msn: z.number(), part: z.number(), initGeneration: z.number(), mediaEnd: z.number() }),
      playlist: z.object({
        targetDuration: z.number(),
        partTarget: z.number(),
        discontinuitySequence: z.number(),
        segments: z.array(segmentSchema),
        nextMsn: z.number(),
        nextPart: z.number(),
        mapUri: z.string(),
      }),
    }),
  ),
});

export type PlaylistContinuation = z.infer<typeof continuationSchema>;

// Room ids are validated before they reach here.
const continuationKey = (roomId: string): string => `hls:continue:${roomId}`;

/** How long a handed-over playlist waits for the run that continues it. */
const KEEP_S = 60;

export async function handOverPlaylists(redis: Redis, roomId: string, continuation: PlaylistContinuation): Promise<void> {
  await redis.set(continuationKey(roomId), JSON.stringify(continuation), 'EX', KEEP_S);
}

/** The playlists handed over in `roomId`, once (the next run takes them); undefined if none came within `timeoutMs`. */
export async function takePlaylists(redis: Redis, roomId: string, timeoutMs: number): Promise<PlaylistContinuation | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const json = await redis.getdel(continuationKey(roomId));
    if (json) return parseJsonWith(continuationSchema, json, `LL-HLS continuation of ${roomId}`);
    if (Date.now() >= until) return undefined;
    await sleep(100);
  }
}
