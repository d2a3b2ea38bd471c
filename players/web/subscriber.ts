import type { types } from 'mediasoup-client';
import type { TrackInfo } from '../../src/signaling/protocol.js';
import { asLevelChatError, type LevelChatError } from './errors.js';
import { LazyTransport, type MediaLink } from './media-link.js';
import type { SubscribedTrack, UnsubscribedTrack } from './room-data.js';

export interface SubscriberEvents {
  subscribed(track: SubscribedTrack): void;
  unsubscribed(track: UnsubscribedTrack): void;
  error(err: LevelChatError): void;
}

interface Subscription {
  info: TrackInfo;
  consumer: types.Consumer | null;
  /** Consumed while suspended: not resumed nor reported yet. */
  parked?: boolean;
}

/**
 * Receives every published track over one receive transport: consume (paused on the server),
 * attach locally, resume, then report `track-subscribed`. Only for tokens with `subscribe:all`.
 */
export class Subscriber {
  private readonly transport = new LazyTransport(this.link, 'recv');
  /** By producer id: tracks we want, with their consumer once it exists. */
  private readonly subscriptions = new Map<string, Subscription>();
  /** While suspended (you are in a breakout): no media flows; tracks published meanwhile wait here. */
  private suspended = false;
  private readonly queued = new Map<string, TrackInfo>();

  constructor(
    private readonly link: MediaLink,
    private readonly events: SubscriberEvents,
  ) {}

  /** Creates the receive transport now, so the first subscription does not wait for it. */
  start(): void {
    void this.recvTransport().catch((err: unknown) => this.events.error(asLevelChatError(err, 'internal')));
  }

  async currentTransport(): Promise<types.Transport | null> {
    return this.transport.current();
  }

  get producerIds(): string[] {
    return [...this.subscriptions.keys(), ...this.queued.keys()];
  }

  async subscribe(info: TrackInfo): Promise<void> {
    if (this.subscriptions.has(info.producer_id)) return;
    if (this.suspended) {
      this.queued.set(info.producer_id, info);
      return;
    }
    const sub: Subscription = { info, consumer: null };
    this.subscriptions.set(info.producer_id, sub);
    try {
      const transport = await this.recvTransport();
      const result = await this.link.request('consume', {
        producer_id: info.producer_id,
        rtp_capabilities: this.link.device.recvRtpCapabilities as unknown as Record<string, unknown>,
      });
      const consumer = await transport.consume({
        id: result.consumer_id,
        producerId: result.producer_id,
        kind: result.kind,
        rtpParameters: result.rtp_parameters as unknown as types.RtpParameters,
        streamId: `${result.participant_id}-${result.source}`,
        appData: { consumerId: result.consumer_id },
      });
      if (this.subscriptions.get(info.producer_id) !== sub) {
        // Unpublished while we were subscribing.
        consumer.close();
        return;
      }
      sub.consumer = consumer;
      if (this.suspended) {
        // Suspended meanwhile: the server-side consumer stays paused until resume().
        consumer.pause();
        sub.parked = true;
        return;
      }
      await this.activate(sub, consumer);
    } catch (err) {
      sub.consumer?.close();
      // Unpublished (or media reset) meanwhile: nothing to report.
      if (this.subscriptions.get(info.producer_id) !== sub) return;
      this.subscriptions.delete(info.producer_id);
      this.events.error(asLevelChatError(err, 'internal'));
    }
  }

  /** Resumes a consumer on the server and reports the track. */
  private async activate(sub: Subscription, consumer: types.Consumer): Promise<void> {
    await this.link.request('resume_consumer', { consumer_id: consumer.id });
    if (this.subscriptions.get(sub.info.producer_id) !== sub) return;
    this.events.subscribed({
      participantId: sub.info.participant_id,
      producerId: sub.info.producer_id,
      kind: consumer.kind as 'audio' | 'video',
      source: sub.info.source,
      track: consumer.track,
      getStats: () => consumer.getStats(),
    });
  }

  /** Stops the media of every track (server-side pause) until resume(); new tracks wait. */
  async suspend(): Promise<void> {
    if (this.suspended) return;
    this.suspended = true;
    await Promise.all(
      [...this.subscriptions.values()].map(async (sub) => {
        if (!sub.consumer || sub.parked) return;
        sub.consumer.pause();
        await this.link.request('pause_consumer', { consumer_id: sub.consumer.id }).catch(() => {});
      }),
    );
  }

  /** Media flows again; tracks published while suspended are subscribed now. */
  async resume(): Promise<void> {
    if (!this.suspended) return;
    this.suspended = false;
    const queued = [...this.queued.values()];
    this.queued.clear();
    await Promise.all([
      ...[...this.subscriptions.values()].map(async (sub) => {
        const consumer = sub.consumer;
        if (!consumer || consumer.closed) return;
        consumer.resume();
        if (sub.parked) {
          sub.parked = false;
          await this.activate(sub, consumer).catch((err: unknown) => this.events.error(asLevelChatError(err, 'internal')));
        } else {
          await this.link.request('resume_consumer', { consumer_id: consumer.id }).catch(() => {});
        }
      }),
      ...queued.map((info) => this.subscribe(info)),
    ]);
  }

  /** The track was unpublished (or its consumer closed on the server). */
  unsubscribe(producerId: string): void {
    this.queued.delete(producerId);
    const sub = this.subscriptions.get(producerId);
    if (!sub) return;
    this.subscriptions.delete(producerId);
    if (!sub.consumer) return;
    sub.consumer.close();
    if (sub.parked) return; // never reported
    this.events.unsubscribed({ participantId: sub.info.participant_id, producerId, kind: sub.info.kind, source: sub.info.source });
  }

  unsubscribeConsumer(consumerId: string): void {
    for (const [producerId, sub] of this.subscriptions) if (sub.consumer?.id === consumerId) this.unsubscribe(producerId);
  }

  /** Asks the server for a simulcast/SVC layer on every video track of a participant. */
  async setPreferredLayers(participantId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    const consumers = [...this.subscriptions.values()]
      .filter((s) => s.info.participant_id === participantId && s.info.kind === 'video' && s.consumer)
      .map((s) => s.consumer!);
    await Promise.all(
      consumers.map((c) =>
        this.link.request('set_preferred_layers', {
          consumer_id: c.id,
          spatial_layer: spatialLayer,
          ...(temporalLayer !== undefined ? { temporal_layer: temporalLayer } : {}),
        }),
      ),
    );
  }

  /**
   * The server lost our receive transport and consumers (`media-reset`): drop them here (nothing to
   * close on the server), reporting `track-unsubscribed`. Tracks published again are subscribed anew.
   */
  reset(): void {
    for (const producerId of this.producerIds) this.unsubscribe(producerId);
    this.dropTransport();
  }

  close(): void {
    for (const sub of this.subscriptions.values()) sub.consumer?.close();
    this.subscriptions.clear();
    this.queued.clear();
    this.suspended = false;
    this.dropTransport();
  }

  /** Closes the transport here only (its consumers with it). */
  private dropTransport(): void {
    this.transport.drop();
  }

  private recvTransport(): Promise<types.Transport> {
    return this.transport.get();
  }
}
