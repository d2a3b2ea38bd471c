import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../src/signaling/protocol.js';
import { LevelChatError, asLevelChatError } from './errors.js';
import { connectOnDemand, transportOptions, type MediaLink } from './media-link.js';

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

/** Everything this session sends, over one lazily created send transport. */
export class Publisher {
  private transport: Promise<types.Transport> | null = null;
  private readonly handles = new Map<string, LocalTrackHandle>();

  constructor(private readonly link: MediaLink) {}

  /** The send transport, if it was created. */
  async currentTransport(): Promise<types.Transport | null> {
    return this.transport ? this.transport.catch(() => null) : null;
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
    const transport = await this.sendTransport();
    let producer: types.Producer;
    try {
      producer = await transport.produce({
        track,
        ...(encodings ? { encodings } : {}),
        ...(kind === 'audio' ? { codecOptions: { opusDtx: true, opusFec: true } } : { codecOptions: { videoGoogleStartBitrate: 1000 } }),
        appData: { source },
        stopTracks: true,
      });
    } catch (err) {
      track.stop();
      throw asLevelChatError(err);
    }
    const link = this.link;
    const handles = this.handles;
    const handle: LocalTrackHandle = {
      producerId: producer.id,
      source,
      kind,
      track,
      async stop() {
        if (producer.closed) return;
        producer.close();
        handles.delete(producer.id);
        await link.request('close_producer', { producer_id: producer.id }).catch(() => {});
      },
      async pause() {
        producer.pause();
        await link.request('pause_producer', { producer_id: producer.id });
      },
      async resume() {
        producer.resume();
        await link.request('resume_producer', { producer_id: producer.id });
      },
      getStats: () => producer.getStats(),
    };
    producer.on('trackended', () => void handle.stop());
    this.handles.set(producer.id, handle);
    return handle;
  }

  get published(): LocalTrackHandle[] {
    return [...this.handles.values()];
  }

  close(): void {
    for (const handle of this.handles.values()) handle.track.stop();
    this.handles.clear();
    void this.transport?.then((t) => t.close()).catch(() => {});
    this.transport = null;
  }

  private sendTransport(): Promise<types.Transport> {
    if (!this.transport) {
      const created = (async () => {
        const info = await this.link.request('create_transport', { direction: 'send' });
        const transport = this.link.device.createSendTransport(transportOptions(info));
        connectOnDemand(transport, this.link);
        transport.on('produce', ({ kind, rtpParameters, appData }, callback, errback) => {
          this.link
            .request('produce', {
              transport_id: transport.id,
              kind,
              rtp_parameters: rtpParameters as unknown as Record<string, unknown>,
              source: appData['source'] as MediaSource,
            })
            .then(({ producer_id }) => callback({ id: producer_id }), errback);
        });
        return transport;
      })();
      this.transport = created;
      created.catch(() => {
        if (this.transport === created) this.transport = null;
      });
    }
    return this.transport;
  }
}
