// hls.js trims the back buffer itself each time the playhead crosses a target duration
// (backBufferLength). A trim that lands while a part is downloaded but not yet appended makes its
// fragment tracker take that part's segment for evicted and mark its appended parts unloaded; when
// the buffered end is a hair short of the segment's end (Chromium rounds it down to the microsecond)
// hls.js then picks that segment again, finds it buffered and loads nothing until its parts leave the
// playlist: a ~2 s stall every few minutes (bench/README.md, llhls-latency). So hls.js keeps its back
// buffer (backBufferLength: Infinity) and this trims it instead: seldom (once KEEP_BEHIND_S +
// TRIM_EVERY_S are behind the playhead) and right after a part was appended, when the next one is
// still on its way (a blocking request the origin answers when the part exists).
// No DOM types: the unit tests drive it with plain objects.

/** The part of a media element it reads. */
export interface BackBufferMedia {
  readonly currentTime: number;
  readonly buffered: { readonly length: number; start(index: number): number };
}

/** Seconds of media kept behind the playhead after a trim (hls.js's backBufferLength was 10). */
export const KEEP_BEHIND_S = 10;
/** A trim happens once this much more has gathered behind the playhead: one flush per ~30 s of play. */
export const TRIM_EVERY_S = 30;

export class BackBufferTrim {
  readonly #media: BackBufferMedia;
  readonly #flushBefore: (end: number) => void;

  /** `flushBefore(end)` removes [0, end) from every buffer (hls.js: Events.BUFFER_FLUSHING, type null). */
  constructor(media: BackBufferMedia, flushBefore: (end: number) => void) {
    this.#media = media;
    this.#flushBefore = flushBefore;
  }

  /** After hls.js appended a part or a segment (Events.FRAG_BUFFERED). */
  appended(): void {
    const { buffered, currentTime } = this.#media;
    if (buffered.length === 0) return;
    const end = currentTime - KEEP_BEHIND_S;
    if (end - buffered.start(0) >= TRIM_EVERY_S) this.#flushBefore(end);
  }
}
