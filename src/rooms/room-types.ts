import { z } from 'zod';
import { MAX_DVR_WINDOW_S } from '../../pipeline/llhls/dvr-window.js';
import { HLS_RENDITIONS, inLadderOrder } from '../../pipeline/renditions.js';
import { DomainError } from '../../common/problem.js';

export const ROOM_TYPES = ['meeting', 'broadcast', 'hybrid', 'classroom', 'webinar', 'live', '1to1'] as const;
export type RoomType = (typeof ROOM_TYPES)[number];
export const roomTypeSchema = z.enum(ROOM_TYPES);

export const CODECS = ['av1', 'vp9', 'vp8', 'h264'] as const;

export const hlsRenditionsSchema = z
  .array(z.enum(HLS_RENDITIONS))
  .min(1)
  .max(HLS_RENDITIONS.length)
  .refine((list) => new Set(list).size === list.length, 'must not list a rendition twice')
  .meta({
    description:
      'LL-HLS renditions, each a variant of the multivariant playlist: `source` (the publisher\'s video; H.264 is passed through), `720p`, `360p` (scaled encodes, never upscaled: CPU while on air). Kept highest first; recordings are of the first. Default `["source"]`.',
  });

export const hlsDvrWindowSchema = z
  .number()
  .int()
  .min(0)
  .max(MAX_DVR_WINDOW_S)
  .meta({
    description: `Seconds of the broadcast kept seekable in the live LL-HLS playlists (a DVR window, up to ${MAX_DVR_WINDOW_S} s); 0 (default): the live edge only. Recordings always hold the whole broadcast.`,
  });

export const regionSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or "-"');

/**
 * Who may watch a room's LL-HLS. `public` (the default): anyone who knows the URL, which is
 * guessable for rooms with an external id. `signed`: every request carries a playback token.
 */
export const playbackSchema = z.enum(['public', 'signed']).meta({
  description:
    'LL-HLS access: `public` (default: anyone with the URL; ids made from external_id are guessable) or `signed` (every playlist and media request needs a playback token: POST /v1/rooms/{id}/playback-tokens). Registration-gated rooms are always signed.',
});

export const roomConfigSchema = z
  .object({
    max_participants: z.number().int().min(1).max(100_000).nullable().optional(),
    max_publishers: z.number().int().min(1).max(1000).nullable().optional(),
    preferred_codec: z.enum(CODECS).optional(),
    record: z.object({ enabled: z.boolean() }).strict().optional(),
    e2ee: z.boolean().optional(),
    region_hint: regionSchema.nullable().optional(),
    registration: z.enum(['off', 'open', 'approval']).optional(),
    hls_renditions: hlsRenditionsSchema.optional(),
    hls_dvr_window_s: hlsDvrWindowSchema.optional(),
    playback: playbackSchema.optional(),
  })
  .strict();

export type RoomConfigInput = z.infer<typeof roomConfigSchema>;

/** A room's full configuration: the type's defaults overlaid with what the integrator sent (stored with the room). */
export const resolvedRoomConfigSchema = z.object({
  /** `null`: unbounded (broadcast audiences). */
  max_participants: z.number().nullable(),
  /** `null`: everybody with a publish capability may publish. */
  max_publishers: z.number().nullable(),
  preferred_codec: z.enum(CODECS),
  record: z.object({ enabled: z.boolean() }),
  e2ee: z.boolean(),
  region_hint: z.string().nullable(),
  /** Whether the room is also packaged as LL-HLS (broadcast, live, webinar; hybrid once promoted). */
  hls: z.boolean(),
  /** Audience tokens only for registrants: `open` approves at once, `approval` waits for the host. */
  registration: z.enum(['off', 'open', 'approval']),
  /** The LL-HLS ladder in ladder order; the first (highest) is the one recorded. */
  hls_renditions: z.array(z.enum(HLS_RENDITIONS)),
  /** Seconds kept seekable in the live playlists; rooms stored before this option existed had none. */
  hls_dvr_window_s: z.number().default(0),
  /** Rooms stored before this option existed were public. */
  playback: playbackSchema.default('public'),
});

export type RoomConfig = z.infer<typeof resolvedRoomConfigSchema>;

const MEETING: RoomConfig = {
  max_participants: 50,
  max_publishers: null,
  preferred_codec: 'vp8',
  record: { enabled: false },
  e2ee: false,
  region_hint: null,
  hls: false,
  registration: 'off',
  // One passthrough rendition: no encode at all when the publisher sends H.264.
  hls_renditions: ['source'],
  hls_dvr_window_s: 0,
  playback: 'public',
};

// `live` is an alias of `broadcast`. Broadcasts default to H.264 so the LL-HLS pipeline can pass the
// publisher's video through without re-encoding.
const BROADCAST: RoomConfig = { ...MEETING, max_participants: null, max_publishers: 4, preferred_codec: 'h264', hls: true };

export const ROOM_TYPE_DEFAULTS: Record<RoomType, RoomConfig> = {
  meeting: MEETING,
  '1to1': { ...MEETING, max_participants: 2 },
  classroom: { ...MEETING, max_participants: 100 },
  hybrid: { ...MEETING },
  broadcast: BROADCAST,
  live: BROADCAST,
  webinar: { ...BROADCAST, max_publishers: 8, registration: 'open' },
};

/** Whether LL-HLS requests of this room need a playback token: signed rooms and registration-gated ones. */
export const playbackIsSigned = (config: RoomConfig): boolean => config.playback === 'signed' || config.registration !== 'off';

export class RoomConfigError extends DomainError<'invalid_room_config' | 'e2ee_unsupported_feature'> {}

export function resolveRoomConfig(type: RoomType, input: RoomConfigInput = {}): RoomConfig {
  const defaults = ROOM_TYPE_DEFAULTS[type];
  const config: RoomConfig = {
    max_participants: input.max_participants === undefined ? defaults.max_participants : input.max_participants,
    max_publishers: input.max_publishers === undefined ? defaults.max_publishers : input.max_publishers,
    preferred_codec: input.preferred_codec ?? defaults.preferred_codec,
    record: { enabled: input.record?.enabled ?? defaults.record.enabled },
    e2ee: input.e2ee ?? defaults.e2ee,
    region_hint: input.region_hint ?? defaults.region_hint,
    hls: defaults.hls,
    registration: input.registration ?? defaults.registration,
    hls_renditions: inLadderOrder(input.hls_renditions ?? defaults.hls_renditions),
    hls_dvr_window_s: input.hls_dvr_window_s ?? defaults.hls_dvr_window_s,
    playback: input.playback ?? defaults.playback,
  };
  if (type === '1to1' && config.max_participants !== null && config.max_participants > 2) {
    throw new RoomConfigError('invalid_room_config', '1to1 rooms hold exactly two participants: max_participants must be 1 or 2');
  }
  if (config.e2ee) {
    // End-to-end encrypted media cannot be decoded by the server: no recording, no LL-HLS.
    if (config.record.enabled) {
      throw new RoomConfigError('e2ee_unsupported_feature', 'e2ee rooms cannot be recorded: the server never sees decodable media');
    }
    config.hls = false;
  }
  return config;
}

/**
 * Room types where an identity is one seat: a 1to1's two people, a broadcast's stage (counted
 * against max_publishers). There a second concurrent WHIP session of the same identity is refused
 * (409 identity_in_use) rather than taking a second seat; elsewhere one identity may publish from
 * several encoders at once.
 */
const ONE_SESSION_PER_IDENTITY: ReadonlySet<RoomType> = new Set<RoomType>(['1to1', 'broadcast', 'live', 'webinar']);

export function oneSessionPerIdentity(type: RoomType): boolean {
  return ONE_SESSION_PER_IDENTITY.has(type);
}
