// What a WebRTC session sends and receives: the device, the publisher and subscriber on their
// transports, ICE restarts, and starting over when the server's media is rebuilt or we change nodes.
import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { JoinResult, Method, RequestData, ServerEvents, TrackInfo } from '../../src/signaling/protocol.js';
import type { EventSink } from '../shared/emitter.js';
import { captureCamera, captureMicrophone, captureScreen, type CameraOptions, type MicrophoneOptions, type ScreenOptions } from './capture.js';
import { LevelChatError, asLevelChatError, type ErrorEventMap } from './errors.js';
import type { MediaLink, TransportIce } from './media-link.js';
import { Publisher, type LocalTrackHandle } from './publisher.js';
import type { SubscribedTrack, UnsubscribedTrack } from './room-data.js';
import type { Result } from './signaling-client.js';
import { Subscriber } from './subscriber.js';

export interface MediaEventMap extends ErrorEventMap {
  'track-subscribed': [track: SubscribedTrack];
  'track-unsubscribed': [track: UnsubscribedTrack];
  /**
   * A media server process failed: your media was rebuilt on another (you stay in the room). The
   * SDK publishes your tracks again (same handles, new `producerId`s) and receives everyone's again:
   * `track-unsubscribed` then `track-subscribed` (new tracks) for each remote track.
   */
  'media-reset': [info: { reason: 'worker_died' }];
}

/** What the media needs from its session. */
export interface MediaSignaling {
  request<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>>;
  /** Signaling is up: an ICE failure then means the network path changed. */
  readonly connected: boolean;
  /** The ICE servers of the latest join answer and the app's policy (new transports take them). */
  readonly ice: TransportIce;
}

/** Starts creating the browser's WebRTC device, beside the join (it takes a while). */
export function createDevice(): Promise<Device> {
  const device = Device.factory().catch((err: unknown) => {
    throw new LevelChatError('device_error', `WebRTC is not available here: ${(err as Error).message}`);
  });
  device.catch(() => {});
  return device;
}

/** Loads the device for the room's router once the join answers; resolves with the answer. */
export async function loadDevice(device: Promise<Device>, answer: Promise<JoinResult>): Promise<JoinResult> {
  const [result, loaded] = await Promise.all([answer, device]);
  await loaded.load({ routerRtpCapabilities: result.router_rtp_capabilities as unknown as types.RtpCapabilities }).catch((err: unknown) => {
    throw asLevelChatError(err, 'internal');
  });
  return result;
}

export class SessionMedia {
  readonly #signaling: MediaSignaling;
  readonly #events: EventSink<MediaEventMap>;
  readonly #publisher: Publisher;
  readonly #subscriber: Subscriber;
  readonly #restartingIce = new Set<string>();
  #cameraSimulcast = true;

  constructor(device: Device, signaling: MediaSignaling, events: EventSink<MediaEventMap>) {
    this.#signaling = signaling;
    this.#events = events;
    const link: MediaLink = {
      device,
      request: (method, data) => signaling.request(method, data),
      get ice() {
        return signaling.ice;
      },
      // ICE failing while signaling is fine (network change): restart ICE on that transport.
      watch: (transport) =>
        transport.on('connectionstatechange', (state) => {
          if (state === 'failed' && signaling.connected) void this.restartIce();
        }),
    };
    this.#publisher = new Publisher(link);
    this.#subscriber = new Subscriber(link, {
      subscribed: (t) => events.emit('track-subscribed', t),
      unsubscribed: (t) => events.emit('track-unsubscribed', t),
      error: (err) => events.emit('error', err.toJSON()),
    });
  }

  get published(): LocalTrackHandle[] {
    return this.#publisher.published;
  }

  /** Whether the camera was last published with simulcast (a moved camera keeps it). */
  get cameraSimulcast(): boolean {
    return this.#cameraSimulcast;
  }

  async publishCamera(options: CameraOptions): Promise<LocalTrackHandle> {
    this.#cameraSimulcast = options.simulcast !== false;
    const track = await this.#captureWhilePreparing(captureCamera(options));
    return this.#publisher.publish('camera', track, options.simulcast === false ? undefined : this.#publisher.cameraEncodings());
  }

  async publishMicrophone(options: MicrophoneOptions): Promise<LocalTrackHandle> {
    return this.#publisher.publish('microphone', await this.#captureWhilePreparing(captureMicrophone(options)));
  }

  /** A screen, window or tab; the handle's `stop()` stops its audio too when it had some. */
  async publishScreen(options: ScreenOptions): Promise<LocalTrackHandle> {
    await this.#publisher.prepare();
    const { video, audio } = await captureScreen(options);
    const screen = await this.#publisher.publish('screen', video).catch((err: unknown) => {
      audio?.stop();
      throw err;
    });
    if (!audio) return screen;
    const screenAudio = await this.#publisher.publish('screen-audio', audio).catch(() => null);
    return {
      ...screen,
      get producerId() {
        return screen.producerId; // changes on a media reset
      },
      async stop() {
        await Promise.all([screen.stop(), screenAudio?.stop()]);
      },
    };
  }

  /** Publishes a track you already have (moved to or from a breakout); the track stops if this fails. */
  async publishMoved(source: 'camera' | 'microphone', track: MediaStreamTrack, simulcast: boolean): Promise<void> {
    try {
      await this.#publisher.prepare();
      await this.#publisher.publish(source, track, source === 'camera' && simulcast ? this.#publisher.cameraEncodings() : undefined);
    } catch (err) {
      track.stop();
      throw err;
    }
  }

  setPreferredLayers(participantId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    return this.#subscriber.setPreferredLayers(participantId, spatialLayer, temporalLayer);
  }

  /** Receives the tracks a join or resume answer lists; those gone meanwhile are dropped. */
  receive(tracks: readonly TrackInfo[]): void {
    this.#subscriber.start();
    const live = new Set(tracks.map((t) => t.producer_id));
    for (const id of this.#subscriber.producerIds) if (!live.has(id)) this.#subscriber.unsubscribe(id);
    for (const t of tracks) void this.#subscriber.subscribe(t);
  }

  subscribe(track: TrackInfo): void {
    void this.#subscriber.subscribe(track);
  }

  unsubscribe(producerId: string): void {
    this.#subscriber.unsubscribe(producerId);
  }

  unsubscribeConsumer(consumerId: string): void {
    this.#subscriber.unsubscribeConsumer(consumerId);
  }

  /**
   * A media worker died and the server rebuilt the room's media (same codecs: the device stays): our
   * transports are gone. Drop them, receive again (tracks come back as they are published again)
   * and publish our tracks again.
   */
  reset(reason: ServerEvents['media-reset']['reason'], receive: boolean): void {
    this.#subscriber.reset();
    if (receive) this.#subscriber.start();
    this.#events.emit('media-reset', { reason });
    this.republish();
  }

  /**
   * We are a new participant on another node, our transports left with the old one: drop what we
   * received (`receive` the new answer's tracks next), and `republish()` after it.
   */
  leaveNode(): void {
    this.#subscriber.reset();
  }

  /** Publishes our tracks again on a new send transport (same handles, new producers). */
  republish(): void {
    void this.#publisher.republish((err) => this.#events.emit('error', err.toJSON()));
  }

  /** New ICE credentials on every transport: the network path may have changed under us. */
  async restartIce(): Promise<void> {
    const transports = [await this.#publisher.currentTransport(), await this.#subscriber.currentTransport()];
    await Promise.all(
      transports.map(async (transport) => {
        if (!transport || transport.closed || this.#restartingIce.has(transport.id)) return;
        this.#restartingIce.add(transport.id);
        try {
          const { ice_parameters } = await this.#signaling.request('restart_ice', { transport_id: transport.id });
          await transport.restartIce({ iceParameters: ice_parameters as unknown as types.IceParameters });
        } catch (err) {
          this.#events.emit('error', asLevelChatError(err, 'internal').toJSON());
        } finally {
          this.#restartingIce.delete(transport.id);
        }
      }),
    );
  }

  /** No media flows in (you are in a breakout) until `resumeReceiving()`. */
  suspendReceiving(): Promise<void> {
    return this.#subscriber.suspend();
  }

  resumeReceiving(): Promise<void> {
    return this.#subscriber.resume();
  }

  close(): void {
    this.#publisher.close();
    this.#subscriber.close();
  }

  /** Captures while the send transport is created; a refused transport releases the device. */
  async #captureWhilePreparing(capture: Promise<MediaStreamTrack>): Promise<MediaStreamTrack> {
    const [track, prepared] = await Promise.allSettled([capture, this.#publisher.prepare()]);
    if (prepared.status === 'rejected') {
      if (track.status === 'fulfilled') track.value.stop();
      throw prepared.reason;
    }
    if (track.status === 'rejected') throw track.reason;
    return track.value;
  }
}
