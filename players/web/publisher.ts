import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../src/signaling/protocol.js';
import { LevelChatError, asLevelChatError } from './errors.js';
import { LazyTransport, type MediaLink } from './media-link.js';

/** A track you publish. `stop()` unpublishes it and releases the device. */
export interface LocalTrackHandle {
  readonly producerId: string;
  readonly source: MediaSource;
  readonly kind: 'audio' | 'video';
  readonly track: MediaStreamTrack;
  stop(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** WebRTC statistics of this track's sender (`outbound-rtp` per simulcast layer...). */
  getStats(): Promise<RTCStatsReport>;
}

/** Camera simulcast: three layers (quarter, half, full resolution). */
const SIMULCAST: types.RtpEncodingParameters[] = [
  { rid: 'r0', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: 'r1', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: 'r2', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/** A published track: what it takes to publish it again after a media reset, and its current producer. */
interface Sending {
  readonly source: MediaSource;
  readonly track: MediaStreamTrack;
  readonly encodings: types.RtpEncodingParameters[] | undefined;
  producer: types.Producer;
}

/** Everything this session sends, over one lazily created send transport. */
export class Publisher {
  private readonly transport = new LazyTransport(this.link, 'send', (transport) =>
    transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
      this.link
        .request('produce', {
          transport_id: transport.id,
          kind,
          rtp_parameters: rtpParameters as unknown as Record<string, unknown>,
          source: appData['source'] as MediaSource,
        })
        .then(({ producer_id }) => callback({ id: producer_id }), errback);
    }),
  );
  private readonly sending = new Map<LocalTrackHandle, Sending>();

  constructor(private readonly link: MediaLink) {}

  /** The send transport, if it was created. */
  async currentTransport(): Promise<types.Transport | null> {
    return this.transport.current();
  }

  /** Creates the send transport if needed (the server refuses it without a publish right). */
  async prepare(): Promise<void> {
    await this.sendTransport();
  }

  /**
   * Encodings for a camera: three simulcast layers when the codec the room negotiates is VP8 or
   * H.264, spatial SVC for VP9, a single layer otherwise.
   */
  cameraEncodings(): types.RtpEncodingParameters[] | undefined {
    const codec = this.link.device.sendRtpCapabilities.codecs?.find((c) => c.kind === 'video' && !/\/rtx$/i.test(c.mimeType));
    const mime = codec?.mimeType.toLowerCase();
    if (mime === 'video/vp8' || mime === 'video/h264') return SIMULCAST.map((e) => ({ ...e }));
    if (mime === 'video/vp9') return [{ scalabilityMode: 'L3T3_KEY', maxBitrate: 1_500_000 }];
    return undefined;
  }

  async publish(source: MediaSource, track: MediaStreamTrack, encodings?: types.RtpEncodingParameters[]): Promise<LocalTrackHandle> {
    const kind = track.kind === 'audio' ? 'audio' : 'video';
    if (!this.link.device.canProduce(kind)) throw new LevelChatError('device_error', `this browser cannot send ${kind} in this room`);
    let producer: types.Producer;
    try {
      producer = await this.produce(source, track, encodings);
    } catch (err) {
      track.stop();
      throw asLevelChatError(err);
    }
    const s: Sending = { source, track, encodings, producer };
    const handle: LocalTrackHandle = {
      // The producer changes when the track is published again after a media reset.
      get producerId() {
        return s.producer.id;
      },
      source,
      kind,
      track,
      stop: async () => {
        if (!this.sending.delete(handle)) return;
        s.producer.close();
        track.stop();
        await this.link.request('close_producer', { producer_id: s.producer.id }).catch(() => {});
      },
      pause: async () => {
        s.producer.pause();
        await this.link.request('pause_producer', { producer_id: s.producer.id });
      },
      resume: async () => {
        s.producer.resume();
        await this.link.request('resume_producer', { producer_id: s.producer.id });
      },
      getStats: () => s.producer.getStats(),
    };
    track.addEventListener('ended', () => void handle.stop());
    this.sending.set(handle, s);
    return handle;
  }

  get published(): LocalTrackHandle[] {
    return [...this.sending.keys()];
  }

  /**
   * The server lost our send transport and producers (`media-reset`): drop them here (nothing to
   * close on the server) and publish the same tracks again, with the same encodings, on a new
   * transport. Handles stay valid (new `producerId`); a paused track stays paused.
   */
  async republish(onError: (err: LevelChatError) => void): Promise<void> {
    this.dropTransport();
    await Promise.all(
      [...this.sending].map(async ([handle, s]) => {
        if (s.track.readyState !== 'live') return void this.sending.delete(handle);
        const paused = s.producer.paused;
        let producer: types.Producer;
        try {
          producer = await this.produce(s.source, s.track, s.encodings?.map((e) => ({ ...e })));
        } catch (err) {
          if (this.sending.delete(handle)) {
            s.track.stop();
            onError(asLevelChatError(err));
          }
          return;
        }
        if (!this.sending.has(handle)) {
          // Stopped meanwhile (stop() closed the old producer): close the new one too.
          producer.close();
          await this.link.request('close_producer', { producer_id: producer.id }).catch(() => {});
          return;
        }
        s.producer = producer;
        if (paused) await handle.pause().catch((err: unknown) => onError(asLevelChatError(err)));
      }),
    );
  }

  close(): void {
    for (const s of this.sending.values()) s.track.stop();
    this.sending.clear();
    this.dropTransport();
  }

  /** Closes the transport here only (its producers with it; they leave the tracks running). */
  private dropTransport(): void {
    this.transport.drop();
  }

  private async produce(source: MediaSource, track: MediaStreamTrack, encodings: types.RtpEncodingParameters[] | undefined): Promise<types.Producer> {
    const transport = await this.sendTransport();
    return transport.produce({
      track,
      ...(encodings ? { encodings } : {}),
      ...(track.kind === 'audio' ? { codecOptions: { opusDtx: true, opusFec: true } } : { codecOptions: { videoGoogleStartBitrate: 1000 } }),
      appData: { source },
      // Tracks outlive producers (a media reset publishes them again): stop() and close() stop them.
      stopTracks: false,
    });
  }

  private sendTransport(): Promise<types.Transport> {
    return this.transport.get();
  }
}
