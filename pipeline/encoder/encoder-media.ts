import type AVPacket from 'node-media-server/src/core/avpacket.js';

/** One FLV tag as an encoder sends it (RTMP) or as the SRT listener remuxes it. */
export type MediaTag = Pick<AVPacket, 'codec_type' | 'codec_id' | 'flags' | 'dts' | 'pts' | 'size' | 'data'>;

export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
/** Video tag flags as node-media-server sets them: the codec configuration, a keyframe. */
export const VIDEO_CONFIG = 2;
export const VIDEO_KEYFRAME = 3;
/** Audio tag flag of AAC's codec configuration. */
export const AUDIO_CONFIG = 0;

/** A picture decodable on its own (FLV frame type 1), for every FLV video codec; not the codec configuration. */
export const isKeyframe = (tag: MediaTag): boolean => tag.codec_type === TAG_VIDEO && tag.flags !== VIDEO_CONFIG && tag.size > 0 && ((tag.data[0]! >> 4) & 0x7) === 1;

/** Codec configuration (H.264's SPS/PPS, AAC's AudioSpecificConfig): a relay needs it before any frame. */
export const isConfig = (tag: MediaTag): boolean => tag.flags === (tag.codec_type === TAG_AUDIO ? AUDIO_CONFIG : VIDEO_CONFIG);

/** FLV video codec ids that Debian's ffmpeg 5.1 decodes; enhanced-RTMP FourCCs (HEVC, AV1, VP9) it cannot read. */
const VIDEO_CODECS: Record<number, string> = { 2: 'h263', 3: 'flashsv', 4: 'vp6', 5: 'vp6a', 6: 'flashsv2', 7: 'h264', 9: 'mpeg4' };
const AUDIO_CODECS: Record<number, string> = { 0: 'pcm', 1: 'adpcm', 2: 'mp3', 3: 'pcm_le', 4: 'nellymoser', 5: 'nellymoser', 6: 'nellymoser', 7: 'alaw', 8: 'mulaw', 10: 'aac', 11: 'speex', 14: 'mp3' };

/** What an encoder sends, as seen in its first tags. */
export interface EncoderMedia {
  video: { codec: string; readable: boolean; /** Frames come out of presentation order (B-frames). */ reordered: boolean } | null;
  audio: { codec: string; readable: boolean } | null;
}

function codecName(table: Record<number, string>, id: number): { codec: string; readable: boolean } {
  const known = table[id];
  if (known) return { codec: known, readable: true };
  // Enhanced RTMP puts a FourCC where the codec id was (hvc1, av01, vp09, Opus, fLaC ...).
  const fourcc = id > 0xffffff ? Buffer.from([id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]).toString('latin1') : null;
  return { codec: fourcc && /^[\x20-\x7e]{4}$/.test(fourcc) ? fourcc.trim() : `flv codec ${id}`, readable: false };
}

/**
 * Video frames looked at to tell whether frames are reordered: with up to 3 B-frames between
 * references, a frame shown before the one decoded ahead of it comes within the first 5.
 */
const REORDER_FRAMES = 5;
/** Media time after which the probe decides with what it saw (a stream without audio, or without video). */
const PROBE_SPAN_MS = 1000;

/**
 * Looks at an encoder's first tags (codec configuration and a few frames from its first keyframe:
 * an SRT feed is joined mid-stream) to learn its codecs and whether its video has B-frames, before
 * the relay is planned.
 */
export class EncoderMediaProbe {
  #video: EncoderMedia['video'] = null;
  #audio: EncoderMedia['audio'] = null;
  /** Frames from the first keyframe on. */
  #videoFrames = 0;
  #maxPts = -Infinity;
  #firstDts: number | undefined;
  #lastDts = 0;

  push(tag: MediaTag): void {
    if (tag.codec_type !== TAG_AUDIO && tag.codec_type !== TAG_VIDEO) return;
    this.#firstDts ??= tag.dts;
    this.#lastDts = tag.dts;
    if (tag.codec_type === TAG_AUDIO) {
      this.#audio ??= codecName(AUDIO_CODECS, tag.codec_id);
      return;
    }
    this.#video ??= { ...codecName(VIDEO_CODECS, tag.codec_id), reordered: false };
    if (tag.flags === VIDEO_CONFIG || (this.#videoFrames === 0 && !isKeyframe(tag))) return;
    this.#videoFrames += 1;
    if (tag.pts < this.#maxPts) this.#video.reordered = true;
    this.#maxPts = Math.max(this.#maxPts, tag.pts);
  }

  /** Enough was seen: a few frames from a keyframe (when there is video) and the audio, or a second of media without one of them. */
  get complete(): boolean {
    const spanned = this.#firstDts !== undefined && this.#lastDts - this.#firstDts >= PROBE_SPAN_MS;
    const videoKnown = this.#video ? this.#videoFrames >= REORDER_FRAMES : spanned;
    return videoKnown && (this.#audio !== null || spanned);
  }

  get media(): EncoderMedia {
    return { video: this.#video && { ...this.#video }, audio: this.#audio && { ...this.#audio } };
  }
}

/** How the relay carries an encoder's media into the room: H.264 passed through or encoded, audio always to Opus. */
export interface RelayPlan {
  video: 'copy' | 'encode' | null;
  audio: boolean;
  /** Why the video is encoded, for the ingest's state. */
  reason: string | null;
}

export class MediaRefusal extends Error {
  readonly code = 'unsupported_media';
}

/**
 * The relay for `media`: H.264 without B-frames is passed through; other video ffmpeg can read
 * (Sorenson H.263, VP6, Flash screen video, MPEG-4 Part 2) and H.264 with B-frames (WebRTC players
 * decode frames in arrival order) is encoded to H.264; every readable audio codec becomes Opus.
 * What this ffmpeg cannot read (enhanced RTMP: HEVC, AV1, VP9, Opus, FLAC) is refused with a reason.
 */
export function planRelay(media: EncoderMedia): RelayPlan {
  const { video, audio } = media;
  if (!video && !audio) throw new MediaRefusal('no audio or video arrived');
  if (video && !video.readable) throw new MediaRefusal(`video codec ${video.codec} cannot be received (enhanced RTMP is not supported): send H.264`);
  if (audio && !audio.readable) throw new MediaRefusal(`audio codec ${audio.codec} cannot be received: send AAC`);
  let plan: RelayPlan['video'] = null;
  let reason: string | null = null;
  if (video) {
    plan = video.codec === 'h264' && !video.reordered ? 'copy' : 'encode';
    if (video.codec !== 'h264') reason = `${video.codec} is encoded to H.264`;
    else if (video.reordered) reason = 'H.264 with B-frames is encoded again without them (WebRTC players cannot reorder frames): set B-frames to 0 to pass it through';
  }
  return { video: plan, audio: audio !== null, reason };
}
