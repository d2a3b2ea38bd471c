import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { JoinResult, MediaSource, Method, RequestData, TrackInfo } from '../../src/signaling/protocol.js';
import { captureCamera, captureMicrophone, captureScreen, type CameraOptions, type MicrophoneOptions, type ScreenOptions } from './capture.js';
import { LevelChatError, asLevelChatError } from './errors.js';
import type { MediaLink } from './media-link.js';
import { Publisher, type LocalTrackHandle } from './publisher.js';
import {
  RoomEvents,
  toChatMessage,
  toParticipant,
  type ChatMessage,
  type DisconnectReason,
  type LocalParticipant,
  type Participant,
} from './room-events.js';
import { SignalingClient, type Result, type SignalingEvents } from './signaling-client.js';
import { Subscriber } from './subscriber.js';
import { resumeWithBackoff } from './reconnect.js';

export interface JoinLiveOptions {
  /** A room token minted by your backend (POST /v1/rooms/{id}/tokens). */
  token: string;
  /** `signaling_url` from the token response, e.g. `wss://host/v1/rtc`. */
  signalingUrl: string;
  /** The room's type as your app created it (informational: the server's type wins). */
  roomType?: string;
}

/** Which capabilities allow publishing a source (the server checks the same rules). */
const PUBLISH_CAPABILITIES: Record<MediaSource, string[]> = {
  camera: ['publish:camera'],
  microphone: ['publish:camera', 'publish:audio'],
  screen: ['publish:screen'],
  'screen-audio': ['publish:screen'],
};

type State = 'connected' | 'reconnecting' | 'ended';
type Buffered = [keyof SignalingEvents, unknown];

/**
 * A joined live room: `room` emits the room's events; the methods publish media and talk. Created by
 * `LevelChat.joinLive()`.
 */
export class LiveSession {
  readonly room = new RoomEvents();
  private state: State = 'connected';
  private signaling!: SignalingClient;
  private join!: JoinResult;
  private local!: LocalParticipant;
  private readonly remote = new Map<string, Participant>();
  private readonly chat: ChatMessage[] = [];
  private readonly publisher: Publisher;
  private readonly subscriber: Subscriber;
  /** Events that arrived before the (re)join answer: applied once the snapshot is in. */
  private buffered: Buffered[] | null = [];
  private reconnecting: Promise<void> | null = null;
  private endReason: DisconnectReason | 'left' | null = null;
  private readonly restartingIce = new Set<string>();

  private constructor(
    private readonly options: JoinLiveOptions,
    private readonly device: Device,
    private readonly onEnded: (session: LiveSession) => void,
  ) {
    const link: MediaLink = {
      device,
      request: (method, data) => this.send(method, data),
      // ICE failing while signaling is fine (network change): restart ICE on that transport.
      watch: (transport) =>
        transport.on('connectionstatechange', (state) => {
          if (state === 'failed' && this.state === 'connected') void this.restartIce();
        }),
    };
    this.publisher = new Publisher(link);
    this.subscriber = new Subscriber(link, {
      subscribed: (t) => this.room.emit('track-subscribed', t),
      unsubscribed: (t) => this.room.emit('track-unsubscribed', t),
      error: (err) => this.room.emit('error', err.toJSON()),
    });
  }

  /** Connects, joins with the token, loads the device and starts receiving. */
  static async open(options: JoinLiveOptions, onEnded: (session: LiveSession) => void): Promise<LiveSession> {
    const devicePromise = Device.factory().catch((err: unknown) => {
      throw new LevelChatError('device_error', `WebRTC is not available here: ${(err as Error).message}`);
    });
    devicePromise.catch(() => {});
    let session: LiveSession | null = null;
    const early: Buffered[] = [];
    const client = await SignalingClient.connect(options.signalingUrl, {
      onEvent: (event, data) => (session ? session.onEvent(client, event, data) : early.push([event, data])),
      onClose: (code, reason) => session?.onClose(client, code, reason),
    });
    let joined: JoinResult | null = null;
    try {
      const [result, device] = await Promise.all([client.request('join', { token: options.token }), devicePromise]);
      joined = result;
      await device.load({ routerRtpCapabilities: joined.router_rtp_capabilities as unknown as types.RtpCapabilities });
      session = new LiveSession(options, device, onEnded);
      session.signaling = client;
      session.buffered = early;
      session.applySnapshot(joined, true);
      return session;
    } catch (err) {
      // Joined but cannot take part (no WebRTC): leave at once rather than linger for the resume window.
      if (joined) await client.request('leave', {}, 1000).catch(() => {});
      client.close();
      throw asLevelChatError(err, 'internal');
    }
  }

  get roomId(): string {
    return this.join.room.id;
  }

  get roomType(): string {
    return this.join.room.type;
  }

  /** Everybody else in the room, by participant id. */
  get participants(): ReadonlyMap<string, Participant> {
    return this.remote;
  }

  get localParticipant(): LocalParticipant {
    return this.local;
  }

  /** Recent chat, oldest first (history from before you joined included). */
  get chatHistory(): readonly ChatMessage[] {
    return this.chat;
  }

  /** Tracks you publish. */
  get localTracks(): readonly LocalTrackHandle[] {
    return this.publisher.published;
  }

  get connectionState(): State {
    return this.state;
  }

  publishCamera(options: CameraOptions = {}): Promise<LocalTrackHandle> {
    return this.reported(async () => {
      this.requirePublish('camera');
      const track = await this.captureWhilePreparing(captureCamera(options));
      return this.publisher.publish('camera', track, options.simulcast === false ? undefined : this.publisher.cameraEncodings());
    });
  }

  publishMicrophone(options: MicrophoneOptions = {}): Promise<LocalTrackHandle> {
    return this.reported(async () => {
      this.requirePublish('microphone');
      return this.publisher.publish('microphone', await this.captureWhilePreparing(captureMicrophone(options)));
    });
  }

  /** Shares a screen, window or tab; `stop()` stops its audio too when it had some. */
  publishScreen(options: ScreenOptions = {}): Promise<LocalTrackHandle> {
    return this.reported(async () => {
      this.requirePublish('screen');
      await this.publisher.prepare();
      const { video, audio } = await captureScreen(options);
      const screen = await this.publisher.publish('screen', video).catch((err: unknown) => {
        audio?.stop();
        throw err;
      });
      if (!audio) return screen;
      const screenAudio = await this.publisher.publish('screen-audio', audio).catch(() => null);
      return {
        ...screen,
        async stop() {
          await Promise.all([screen.stop(), screenAudio?.stop()]);
        },
      };
    });
  }

  async sendChat(text: string): Promise<ChatMessage> {
    const { message } = await this.action('chat', { text });
    return toChatMessage(message);
  }

  async sendReaction(emoji: string): Promise<void> {
    await this.action('reaction', { emoji });
  }

  async raiseHand(): Promise<void> {
    await this.action('raise_hand', { raised: true });
    this.local.handRaised = true;
  }

  async lowerHand(): Promise<void> {
    await this.action('raise_hand', { raised: false });
    this.local.handRaised = false;
  }

  /** Prefers a simulcast/SVC layer (0 = lowest) for a participant's video (e.g. small tiles). */
  setPreferredLayers(participantId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    return this.reported(() => this.subscriber.setPreferredLayers(participantId, spatialLayer, temporalLayer));
  }

  /** Moderators (`moderate:participants`): mute a participant's microphone (or the given source). */
  async muteParticipant(participantId: string, source?: MediaSource): Promise<string[]> {
    const { muted } = await this.action('mute_participant', { participant_id: participantId, ...(source ? { source } : {}) });
    return muted;
  }

  /** Moderators: remove a participant (its token is revoked). */
  async kickParticipant(participantId: string): Promise<void> {
    await this.action('kick_participant', { participant_id: participantId });
  }

  /** Moderators: end the room for everyone (each is disconnected with `host_ended`). */
  async endRoom(): Promise<void> {
    try {
      await this.action('end_room', {});
    } catch (err) {
      // The room may end (and close this connection) before the answer arrives.
      if (this.endReason !== 'host_ended') throw err;
    }
  }

  /** Leaves the room: unpublishes everything, stops the local devices, closes the connection. */
  async leave(): Promise<void> {
    if (this.state === 'ended') return;
    const client = this.signaling;
    this.state = 'ended';
    this.endReason = 'left';
    await client.request('leave', {}, 2000).catch(() => {});
    this.teardown();
  }

  /** The current signaling connection, waiting out a reconnection. */
  private async send<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>> {
    if (this.state === 'reconnecting' && this.reconnecting) await this.reconnecting;
    if (this.state === 'ended') throw new LevelChatError('invalid_state', `${method}: you are no longer in the room`);
    return this.signaling.request(method, data);
  }

  /** A user action: refusals reject the promise and fire `error` on the room. */
  private action<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>> {
    return this.reported(() => this.send(method, data));
  }

  private async reported<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const error = asLevelChatError(err);
      if (!(closedByEnd(error) && this.endReason === 'host_ended')) this.room.emit('error', error.toJSON());
      throw error;
    }
  }

  private requirePublish(source: MediaSource): void {
    if (this.state === 'ended') throw new LevelChatError('invalid_state', 'you are no longer in the room');
    const allowed = PUBLISH_CAPABILITIES[source];
    // Checked here so a viewer's camera never lights up; the server checks again (and knows the stage).
    if (!this.local.onStage && !allowed.some((c) => this.local.capabilities.includes(c))) {
      throw new LevelChatError('capability_required', `publishing ${source} needs ${allowed.join(' or ')}`);
    }
  }

  /** Captures while the send transport is created; a refused transport releases the device. */
  private async captureWhilePreparing(capture: Promise<MediaStreamTrack>): Promise<MediaStreamTrack> {
    const [track, prepared] = await Promise.allSettled([capture, this.publisher.prepare()]);
    if (prepared.status === 'rejected') {
      if (track.status === 'fulfilled') track.value.stop();
      throw prepared.reason;
    }
    if (track.status === 'rejected') throw track.reason;
    return track.value;
  }

  private get canSubscribe(): boolean {
    return this.local.capabilities.includes('subscribe:all');
  }

  /** Takes in a join or resume answer, then replays the events that raced it. */
  private applySnapshot(result: JoinResult, first: boolean): void {
    const before = new Map(this.remote);
    this.join = result;
    this.local = { ...toParticipant(result.participant), capabilities: [...result.participant.capabilities] };
    this.remote.clear();
    for (const p of result.participants) this.remote.set(p.id, toParticipant(p));
    if (first) this.chat.push(...result.chat_history.map(toChatMessage));
    else {
      // After a resume: report who came and went while we were away.
      for (const [id, p] of before) if (!this.remote.has(id)) this.room.emit('participant-left', p);
      for (const [id, p] of this.remote) if (!before.has(id)) this.room.emit('participant-joined', p);
    }
    if (this.canSubscribe) {
      this.subscriber.start();
      const live = new Set(result.tracks.map((t) => t.producer_id));
      for (const id of this.subscriber.producerIds) if (!live.has(id)) this.subscriber.unsubscribe(id);
      for (const t of result.tracks) void this.subscriber.subscribe(t);
    }
    const buffered = this.buffered ?? [];
    this.buffered = null;
    for (const [event, data] of buffered) this.dispatch(event, data as never);
  }

  private onEvent<E extends keyof SignalingEvents>(client: SignalingClient, event: E, data: SignalingEvents[E]): void {
    if (client !== this.signaling || this.state === 'ended') return;
    if (this.buffered) this.buffered.push([event, data]);
    else this.dispatch(event, data);
  }

  private dispatch<E extends keyof SignalingEvents>(event: E, payload: SignalingEvents[E]): void {
    const e = { event, data: payload } as { [K in keyof SignalingEvents]: { event: K; data: SignalingEvents[K] } }[keyof SignalingEvents];
    switch (e.event) {
      case 'participant-joined': {
        if (e.data.id === this.local.id || this.remote.has(e.data.id)) return;
        const p = toParticipant(e.data);
        this.remote.set(p.id, p);
        this.room.emit('participant-joined', p);
        return;
      }
      case 'participant-left': {
        const p = this.remote.get(e.data.id) ?? { id: e.data.id, identity: e.data.identity, name: null, metadata: null, handRaised: false, onStage: false };
        if (!this.remote.delete(e.data.id)) return;
        this.room.emit('participant-left', p);
        return;
      }
      case 'track-published':
        if (this.canSubscribe && e.data.participant_id !== this.local.id) void this.subscriber.subscribe(e.data as TrackInfo);
        return;
      case 'track-unpublished':
        this.subscriber.unsubscribe(e.data.producer_id);
        return;
      case 'consumer-closed':
        this.subscriber.unsubscribeConsumer(e.data.consumer_id);
        return;
      case 'stage': {
        const p = e.data.participant_id === this.local.id ? this.local : this.remote.get(e.data.participant_id);
        if (p) p.onStage = e.data.on_stage;
        return;
      }
      case 'track-muted':
        return;
      case 'connection-quality':
        for (const q of e.data.qualities) this.room.emit('connection-quality', q.participant_id, { rtt: q.rtt, fractionLost: q.fraction_lost });
        return;
      case 'active-speaker':
        this.room.emit('active-speaker', e.data.participant_id);
        return;
      case 'chat': {
        const message = toChatMessage(e.data);
        this.chat.push(message);
        if (this.chat.length > 500) this.chat.shift();
        this.room.emit('chat', message);
        return;
      }
      case 'reaction':
        this.room.emit('reaction', { participantId: e.data.participant_id, emoji: e.data.emoji });
        return;
      case 'hand': {
        const p = e.data.participant_id === this.local.id ? this.local : this.remote.get(e.data.participant_id);
        if (p) p.handRaised = e.data.raised;
        this.room.emit('hand', { participantId: e.data.participant_id, raised: e.data.raised });
        return;
      }
      case 'kicked':
        this.end(e.data.reason);
        return;
      case 'room-ended':
        this.end('host_ended');
        return;
      case 'error':
        this.room.emit('error', { code: e.data.code, message: e.data.message });
        return;
    }
  }

  private onClose(client: SignalingClient, code: number, reason: string): void {
    if (client !== this.signaling || this.state !== 'connected') return;
    if (code === 4002) return this.end('host_ended');
    if (code === 4001 && (reason === 'kicked' || reason === 'revoked')) return this.end(reason);
    if (code === 4001 || code === 4000) return this.end('network'); // removed by the server, or resumed elsewhere
    this.reconnecting = this.reconnect().finally(() => (this.reconnecting = null));
  }

  /** Resume the same participant on a new connection (same media), then restart ICE. */
  private async reconnect(): Promise<void> {
    this.state = 'reconnecting';
    this.room.emit('reconnecting');
    let snapshot: JoinResult | null = null;
    const resumed = await resumeWithBackoff({
      url: this.options.signalingUrl,
      handlers: (client) => ({
        onEvent: (event, data) => this.onEvent(client(), event, data),
        onClose: (code, reason) => this.onClose(client(), code, reason),
      }),
      request: { token: this.options.token, participant_id: this.local.id, resume_token: this.join.resume_token },
      isCancelled: () => this.state === 'ended',
      beforeAnswer: (client) => {
        this.signaling = client;
        this.buffered = [];
      },
    }).catch((err: unknown) => {
      this.room.emit('error', asLevelChatError(err, 'disconnected').toJSON());
      return null;
    });
    if ((this.state as State) === 'ended') {
      resumed?.client.close();
      return;
    }
    if (!resumed) return this.end('network');
    snapshot = resumed.result;
    this.state = 'connected';
    this.applySnapshot(snapshot, false);
    await this.restartIce();
    this.room.emit('reconnected');
  }

  /** New ICE credentials on every transport: the network path may have changed under us. */
  private async restartIce(): Promise<void> {
    const transports = [await this.publisher.currentTransport(), await this.subscriber.currentTransport()];
    await Promise.all(
      transports.map(async (transport) => {
        if (!transport || transport.closed || this.restartingIce.has(transport.id)) return;
        this.restartingIce.add(transport.id);
        try {
          const { ice_parameters } = await this.signaling.request('restart_ice', { transport_id: transport.id });
          await transport.restartIce({ iceParameters: ice_parameters as unknown as types.IceParameters });
        } catch (err) {
          this.room.emit('error', asLevelChatError(err, 'internal').toJSON());
        } finally {
          this.restartingIce.delete(transport.id);
        }
      }),
    );
  }

  private end(reason: DisconnectReason): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.endReason = reason;
    this.teardown();
    this.room.emit('disconnected', { reason });
  }

  private teardown(): void {
    this.signaling.close(1000, 'left');
    this.publisher.close();
    this.subscriber.close();
    this.onEnded(this);
  }
}

function closedByEnd(err: LevelChatError): boolean {
  return err.code === 'disconnected' || err.code === 'invalid_state';
}
