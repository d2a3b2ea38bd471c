/** The video codecs LL-HLS takes from a publisher (H.264 passed through, VP8 transcoded). */
const HLS_VIDEO = new Set(['video/h264', 'video/vp8']);

/** A published track as the on-air rule sees it. */
export interface OnAirTrack {
  participantId: string;
  source: 'camera' | 'microphone' | 'screen' | 'screen-audio';
  /** The track's codec, e.g. `video/H264`; undefined when not known here (a track on another node). */
  mimeType: string | undefined;
}

/**
 * Who is on air, by the room's one rule (LL-HLS shows it, WHEP players receive it): the stage
 * participant who published a camera first, with their microphone; with no camera, the first
 * screen share with its audio. `tracks` in publishing order. A video whose codec is known must be
 * one LL-HLS takes.
 */
export function pickOnAir<T extends OnAirTrack>(tracks: readonly T[]): { video: T; audio: T | undefined } | null {
  const usable = (t: T) => t.mimeType === undefined || HLS_VIDEO.has(t.mimeType.toLowerCase());
  const video = tracks.find((t) => t.source === 'camera' && usable(t)) ?? tracks.find((t) => t.source === 'screen' && usable(t));
  if (!video) return null;
  const audioSource = video.source === 'camera' ? 'microphone' : 'screen-audio';
  const audio = tracks.find((t) => t.participantId === video.participantId && t.source === audioSource);
  return { video, audio };
}
