import type { types } from 'mediasoup';
import type { IngestJobs } from '../../pipeline/jobs/ingest-jobs.js';
import type { RoomEventType } from '../events/room-event.js';
import type { Logger } from '../../common/logger.js';
import type { HlsRendition } from '../../pipeline/renditions.js';
import { hlsUrl, type HlsStatusStore } from './hls-status.js';
import { pickOnAir } from './on-air.js';

/** What the director needs to know of a published track. */
export interface OnAirCandidate {
  producer: types.Producer;
  participantId: string;
  identity: string;
  source: 'camera' | 'microphone' | 'screen' | 'screen-audio';
}

export interface BroadcastDirectorDeps {
  roomId: string;
  /** The room's origin router (it holds the producers): the jobs pull their RTP from it. */
  router: types.Router;
  jobs: Pick<IngestJobs, 'start' | 'stop' | 'handOver' | 'onAir' | 'finished'>;
  status: HlsStatusStore;
  emit: (type: RoomEventType, data: Record<string, unknown>) => Promise<void>;
  /** The room's config.hls_renditions; absent for rooms created before it existed (one `source` rendition). */
  renditions?: readonly HlsRendition[];
  /** The room's config.hls_dvr_window_s: seconds kept seekable in the live playlists. */
  dvrWindowS?: number;
  /** The room records (config.record.enabled): each finished run becomes a recording of its top rendition. */
  record: boolean;
  logger: Logger;
}

// Waiting a moment after a change lets a camera and its microphone, published together, go on air
// together instead of restarting the pipeline for the second one.
const SETTLE_MS = 600;

/**
 * Who is on air in a room's LL-HLS stream. Each on-air choice is a run of the ingest, a BullMQ job
 * that any pipeline worker of the cluster may take (IngestJobs).
 *
 * The rule: the stage participant who published a camera first is on air, with their microphone;
 * with no camera, the first screen share (with its audio). When that video stops, the next one by
 * the same rule goes on air in the same playlists: the run that ends hands them over to the next one
 * (IngestJobs.handOver), which goes on after an EXT-X-DISCONTINUITY, so every player follows without
 * reloading anything. With nothing to show, the stream ends (EXT-X-ENDLIST).
 */
export class BroadcastDirector {
  private job: string | null = null;
  private onAir: { video: string; audio: string | undefined } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();
  private announced = false;
  private closed = false;

  constructor(private readonly deps: BroadcastDirectorDeps) {}

  /** Call after any track is published or unpublished; `tracks` in publishing order. */
  tracksChanged(tracks: () => OnAirCandidate[]): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.chain = this.chain.then(() => this.apply(pick(tracks()))).catch((err: Error) => this.deps.logger.error({ room_id: this.deps.roomId, err: err.message }, 'HLS director failed'));
    }, SETTLE_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.chain = this.chain.then(() => this.apply(null));
    await this.chain;
  }

  private async apply(next: ReturnType<typeof pick>): Promise<void> {
    const same = next && this.onAir && next.video.producer.id === this.onAir.video && next.audio?.producer.id === this.onAir.audio;
    if (same) return;
    const { jobs, roomId } = this.deps;
    const previous = this.job;
    this.job = null;
    this.onAir = null;
    // The previous run ends before the next one starts: handing its playlists over when there is a
    // next one, ending them when there is none.
    const continuing = previous !== null && next !== null && !this.closed;
    if (previous) {
      if (continuing) await jobs.handOver(roomId);
      else await jobs.stop(roomId);
      await jobs.finished(previous);
    }
    if (!next || this.closed) {
      if (this.announced) {
        this.announced = false;
        await this.deps.status.set(roomId, { state: 'ended', on_air: null });
        await this.deps.emit('hls.ended', { url: hlsUrl(roomId) });
      }
      return;
    }
    const onAir = { participant_id: next.video.participantId, identity: next.video.identity };
    const { jobId } = await jobs.start({
      roomId,
      routerId: this.deps.router.id,
      videoProducerId: next.video.producer.id,
      ...(next.audio ? { audioProducerId: next.audio.producer.id } : {}),
      renditions: [...(this.deps.renditions ?? ['source'])],
      ...(this.deps.dvrWindowS ? { dvrWindowS: this.deps.dvrWindowS } : {}),
      record: this.deps.record,
      onAir,
      ...(continuing ? { continuation: true } : {}),
    });
    this.job = jobId;
    this.onAir = { video: next.video.producer.id, audio: next.audio?.producer.id };
    // Announce the stream when players can load it (the job publishes the master on its first init segments).
    const progress = await jobs.onAir(jobId);
    if (this.job !== jobId || !progress) return;
    if (!this.announced) {
      this.announced = true;
      await this.deps.emit('hls.started', { url: hlsUrl(roomId), on_air: onAir });
    }
    this.deps.logger.info({ room_id: roomId, ...onAir, job: jobId, passthrough: progress.passthrough, renditions: progress.renditions }, 'LL-HLS on air');
  }
}

/** The on-air rule (on-air.ts) over the tracks still open. */
function pick(tracks: OnAirCandidate[]): { video: OnAirCandidate; audio: OnAirCandidate | undefined } | null {
  const open = tracks.filter((t) => !t.producer.closed).map((t) => ({ ...t, mimeType: t.producer.rtpParameters.codecs[0]?.mimeType ?? '' }));
  return pickOnAir(open);
}
