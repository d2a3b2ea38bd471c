import { Device } from 'mediasoup-client';
import type { types } from 'mediasoup-client';
import type { JoinResult, MediaSource, Method, RequestData, ServerEvents, TrackInfo } from '../../src/signaling/protocol.js';
import type { Player, PlayerOptions } from '../player/index.js';
import { captureCamera, captureMicrophone, captureScreen, type CameraOptions, type MicrophoneOptions, type ScreenOptions } from './capture.js';
import { LevelChatError, asLevelChatError } from './errors.js';
import type { MediaLink } from './media-link.js';
import { Publisher, type LocalTrackHandle } from './publisher.js';
import {
  RoomEvents,
  byVotes,
  toChatMessage,
  toParticipant,
  toQuestion,
  toRaisedHand,
  type BreakoutLeftReason,
  type ChatMessage,
  type DisconnectReason,
  type LocalParticipant,
  type Participant,
  type Question,
  type RaisedHand,
} from './room-events.js';
import { SignalingClient, type Result, type SignalingEvents } from './signaling-client.js';
import { Subscriber } from './subscriber.js';
import { resumeWithBackoff } from './reconnect.js';
import { failOver, joinAt, redirectOf } from './node-failover.js';

export interface JoinLiveOptions {
  /** A room token minted by your backend (POST /v1/rooms/{id}/tokens). */
  token: string;
  /** `signaling_url` from the token response, e.g. `wss://host/v1/rtc`. */
  signalingUrl: string;
  /** The room's type as your app created it (informational: the server's type wins). */
  roomType?: string;
  /**
   * LL-HLS fallback at scale: when a broadcast's WebRTC seats are full (`webrtc_full`), `joinLive`
   * resolves a session in `mode: 'hls'` that watches the stream over LL-HLS instead. `false`
   * rejects with `webrtc_full` instead. Default true.
   */
  hlsFallback?: boolean;
  /** Where the fallback plays (started at once). Without it, call `live.playHls(video)`. */
  hlsVideo?: HTMLVideoElement;
  /** Player options for the fallback (latency targets...). */
  hlsPlayer?: Omit<PlayerOptions, 'url'>;
}

/** How a session receives the room: WebRTC (a participant), or LL-HLS (an audience member beyond the WebRTC cap). */
export type LiveMode = 'webrtc' | 'hls';

/** The breakout you are in: its session, and the main room's camera/microphone tracks kept for your return. */
interface Breakout {
  roomId: string;
  number: number;
  session: LiveSession;
  parked: { source: 'camera' | 'microphone'; track: MediaStreamTrack }[];
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
  /** The node we are connected to (a redirect or a failover changes it). */
  private url: string;
  private join!: JoinResult;
  private local!: LocalParticipant;
  private readonly remote = new Map<string, Participant>();
  private readonly chat: ChatMessage[] = [];
  /** Open questions, most voted first. */
  private openQuestions: Question[] = [];
  private hands: RaisedHand[] = [];
  private readonly publisher: Publisher;
  private readonly subscriber: Subscriber;
  /** Events that arrived before the (re)join answer: applied once the snapshot is in. */
  private buffered: Buffered[] | null = [];
  private reconnecting: Promise<void> | null = null;
  private endReason: DisconnectReason | 'left' | null = null;
  private readonly restartingIce = new Set<string>();
  private hls: { url: string | null; player: Player | null } = { url: null, player: null };
  private viewers = 0;
  private cameraSimulcast = true;
  private breakout: Breakout | null = null;
  /** Breakout moves, one at a time. */
  private moves: Promise<void> = Promise.resolve();

  private constructor(
    private readonly options: JoinLiveOptions,
    device: Device | null,
    private readonly onEnded: (session: LiveSession) => void,
    /** `webrtc`: joined over signaling; `hls`: watching the LL-HLS stream (no signaling, no WebRTC). */
    readonly mode: LiveMode = 'webrtc',
  ) {
    this.url = options.signalingUrl;
    const link: MediaLink = {
      get device(): Device {
        if (!device) throw new LevelChatError('invalid_state', 'watching over LL-HLS: no WebRTC media in this session');
        return device;
      },
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
    let early: Buffered[] = [];
    let url = options.signalingUrl;
    for (let hop = 0; ; hop += 1) {
      const client = await SignalingClient.connect(url, {
        onEvent: (event, data) => (session ? session.onEvent(client, event, data) : early.push([event, data])),
        onClose: (code, reason) => session?.onClose(client, code, reason),
      });
      let joined: JoinResult | null = null;
      try {
        const [result, device] = await Promise.all([client.request('join', { token: options.token }), devicePromise]);
        joined = result;
        await device.load({ routerRtpCapabilities: joined.router_rtp_capabilities as unknown as types.RtpCapabilities });
        session = new LiveSession(options, device, onEnded);
        session.url = url;
        session.signaling = client;
        session.buffered = early;
        session.applySnapshot(joined, true);
        return session;
      } catch (err) {
        // Joined but cannot take part (no WebRTC): leave at once rather than linger for the resume window.
        if (joined) await client.request('leave', {}, 1000).catch(() => {});
        client.close();
        const error = asLevelChatError(err, 'internal');
        // Publishers and moderators belong on the room's origin node: the server says which.
        const redirect = redirectOf(error);
        if (redirect && hop < 3) {
          url = redirect;
          early = [];
          continue;
        }
        const hlsUrl = error.code === 'webrtc_full' ? error.details['hls_url'] : null;
        if (typeof hlsUrl === 'string' && options.hlsFallback !== false) return LiveSession.watchHls(options, absoluteHlsUrl(hlsUrl, url), onEnded);
        throw error;
      }
    }
  }

  /** A session that watches the broadcast over LL-HLS: the WebRTC seats are taken. */
  private static watchHls(options: JoinLiveOptions, hlsUrl: string, onEnded: (session: LiveSession) => void): LiveSession {
    const session = new LiveSession(options, null, onEnded, 'hls');
    const claims = tokenClaims(options.token);
    const roomId = claims.room ?? /\/hls\/([^/]+)\//.exec(hlsUrl)?.[1] ?? '';
    const participant = { id: '', identity: claims.sub ?? '', name: claims.name ?? null, metadata: null, hand_raised: false, on_stage: false };
    session.join = {
      room: { id: roomId, type: options.roomType ?? 'broadcast', config: { hls: true }, promoted: false },
      participant: { ...participant, capabilities: claims.caps ?? [] },
      router_rtp_capabilities: {},
      participants: [],
      tracks: [],
      chat_history: [],
      hand_queue: [],
      questions: [],
      viewer_count: 0,
      resume_token: '',
      nodes: [],
    };
    session.local = { ...toParticipant(participant), capabilities: claims.caps ?? [] };
    session.buffered = null;
    session.hls.url = hlsUrl;
    if (options.hlsVideo) void session.playHls(options.hlsVideo, options.hlsPlayer).catch((err: unknown) => session.room.emit('error', asLevelChatError(err).toJSON()));
    return session;
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

  /**
   * Open questions of the room's Q&A, most votes first then oldest first; kept up to date from
   * `question` events (answered and dismissed ones leave the list).
   */
  get questions(): readonly Question[] {
    return this.openQuestions;
  }

  /** Moderators: raised hands in the order they went up (empty for others). */
  get handQueue(): readonly RaisedHand[] {
    return this.hands;
  }

  /** Tracks you publish. */
  get localTracks(): readonly LocalTrackHandle[] {
    return this.publisher.published;
  }

  get connectionState(): State {
    return this.state;
  }

  /** The room's LL-HLS master playlist (absolute URL), when it is delivered over LL-HLS; else null. */
  get hlsUrl(): string | null {
    return this.hls.url;
  }

  /** The LL-HLS player started by `playHls` (or by the fallback), if any. */
  get player(): Player | null {
    return this.hls.player;
  }

  /** Broadcast rooms: how many viewers watch over WebRTC (they are counted, not announced). */
  get viewerCount(): number {
    return this.viewers;
  }

  /** The breakout room you are in (its own session), or null. */
  get breakoutSession(): LiveSession | null {
    return this.breakout?.session ?? null;
  }

  /**
   * Plays the room's LL-HLS stream in `video` (loads /sdk/levelchat-player.js on first use). The
   * fallback session does this itself when given `hlsVideo`; a WebRTC participant can too once the
   * room is delivered over LL-HLS (broadcasts, promoted hybrids).
   */
  async playHls(video: HTMLVideoElement, options: Omit<PlayerOptions, 'url'> = {}): Promise<Player> {
    if (this.state === 'ended') throw new LevelChatError('invalid_state', 'you are no longer in the room');
    const url = this.hls.url;
    if (!url) throw new LevelChatError('invalid_state', 'this room is not delivered over LL-HLS');
    const { createPlayer } = await import('../player/index.js').catch((err: unknown) => {
      throw new LevelChatError('device_error', `cannot load the LL-HLS player: ${(err as Error).message}`);
    });
    if ((this.state as State) === 'ended') throw new LevelChatError('invalid_state', 'you are no longer in the room');
    this.hls.player?.destroy();
    this.hls.player = createPlayer(video, { ...options, url });
    return this.hls.player;
  }

  publishCamera(options: CameraOptions = {}): Promise<LocalTrackHandle> {
    return this.reported(async () => {
      this.requirePublish('camera');
      this.cameraSimulcast = options.simulcast !== false;
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
        get producerId() {
          return screen.producerId; // changes on a media reset
        },
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

  /** Lowers your hand; moderators (`moderate:participants`) pass a participant id to lower theirs. */
  async lowerHand(participantId?: string): Promise<void> {
    if (participantId === undefined) {
      await this.action('raise_hand', { raised: false });
      this.local.handRaised = false;
      return;
    }
    await this.action('lower_hand', { participant_id: participantId });
  }

  /** Asks the room's Q&A a question (`chat:send`); everyone gets a `question` event. */
  async askQuestion(text: string): Promise<Question> {
    const { question } = await this.action('ask_question', { text });
    return toQuestion(question);
  }

  /** Upvotes a question (once per identity: voting again changes nothing). */
  async upvoteQuestion(questionId: string): Promise<Question> {
    const { question } = await this.action('upvote_question', { question_id: questionId });
    return toQuestion(question);
  }

  /** Moderators: mark a question answered, optionally with a written answer. */
  async answerQuestion(questionId: string, answer?: string): Promise<Question> {
    const { question } = await this.action('answer_question', { question_id: questionId, ...(answer !== undefined ? { answer } : {}) });
    return toQuestion(question);
  }

  /** Moderators: dismiss a question without answering it. */
  async dismissQuestion(questionId: string): Promise<Question> {
    const { question } = await this.action('dismiss_question', { question_id: questionId });
    return toQuestion(question);
  }

  /** Moderators: delete a chat message for everyone (and from the room's history). */
  async deleteChat(messageId: string): Promise<void> {
    await this.action('delete_chat', { message_id: messageId });
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

  /** Moderators: invite a participant on stage (broadcast rooms: they may publish). */
  async inviteToStage(participantId: string): Promise<void> {
    await this.action('invite_to_stage', { participant_id: participantId });
  }

  async removeFromStage(participantId: string): Promise<void> {
    await this.action('remove_from_stage', { participant_id: participantId });
  }

  /** Moderators of a hybrid room: promote it to a broadcast (LL-HLS starts; everyone gets `promoted`). */
  async promote(): Promise<void> {
    await this.action('promote_room', {});
  }

  /**
   * Moderators: split the room into `count` breakouts. `assignments` maps participant ids to a
   * breakout number (1-based); everyone else but moderators is spread evenly. Moderators assigned
   * to a breakout move too (and keep this session to close them).
   */
  async openBreakouts(count: number, assignments?: Record<string, number>): Promise<void> {
    await this.action('open_breakouts', { count, ...(assignments ? { assignments } : {}) });
  }

  /** Moderators: close the breakouts; everyone returns to the main room. */
  async closeBreakouts(): Promise<void> {
    await this.action('close_breakouts', {});
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
    const client = this.signaling as SignalingClient | undefined;
    this.state = 'ended';
    this.endReason = 'left';
    await Promise.all([client?.request('leave', {}, 2000).catch(() => {}), this.breakout?.session.leave()]);
    this.teardown();
  }

  /** The current signaling connection, waiting out a reconnection. */
  private async send<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>> {
    if (this.state === 'reconnecting' && this.reconnecting) await this.reconnecting;
    if (this.state === 'ended') throw new LevelChatError('invalid_state', `${method}: you are no longer in the room`);
    if (this.mode === 'hls') throw new LevelChatError('invalid_state', `${method}: you watch over LL-HLS (the broadcast's WebRTC seats are full)`);
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
    this.viewers = result.viewer_count;
    this.openQuestions = result.questions.map(toQuestion).sort(byVotes);
    this.hands = result.hand_queue.map(toRaisedHand);
    if (result.room.config['hls'] === true) this.hls.url ??= absoluteHlsUrl(`/hls/${result.room.id}/master.m3u8`, this.url);
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
      case 'media-reset':
        this.resetMedia(e.data.reason);
        return;
      case 'stage': {
        const p = e.data.participant_id === this.local.id ? this.local : this.remote.get(e.data.participant_id);
        if (p) p.onStage = e.data.on_stage;
        this.room.emit('stage', { participantId: e.data.participant_id, onStage: e.data.on_stage });
        return;
      }
      case 'viewer-count':
        this.viewers = e.data.count;
        this.room.emit('viewer-count', e.data.count);
        return;
      case 'promoted': {
        this.join.room.promoted = true;
        if (e.data.hls_url) this.hls.url = absoluteHlsUrl(e.data.hls_url, this.url);
        this.room.emit('promoted', { hlsUrl: e.data.hls_url ? this.hls.url : null });
        return;
      }
      case 'breakout':
        this.move(() => this.enterBreakout(e.data));
        return;
      case 'stage-invite':
        this.move(() => this.takeStage(e.data));
        return;
      case 'breakouts':
        this.room.emit('breakouts', { open: e.data.open, rooms: e.data.rooms.map((r) => ({ roomId: r.room_id, number: r.number, identities: r.identities })) });
        if (!e.data.open) this.move(() => this.leaveBreakout('closed'));
        return;
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
      case 'chat-deleted': {
        const i = this.chat.findIndex((m) => m.id === e.data.message_id);
        if (i >= 0) this.chat.splice(i, 1);
        this.room.emit('chat-deleted', { messageId: e.data.message_id, by: e.data.by });
        return;
      }
      case 'question': {
        const question = toQuestion(e.data);
        const rest = this.openQuestions.filter((q) => q.id !== question.id);
        this.openQuestions = question.state === 'open' ? [...rest, question].sort(byVotes) : rest;
        this.room.emit('question', question);
        return;
      }
      case 'hand-queue':
        this.hands = e.data.queue.map(toRaisedHand);
        this.room.emit('hand-queue', [...this.hands]);
        return;
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

  /**
   * Resume the same participant on a new connection (same media), then restart ICE. When our node
   * itself is gone, join again on another node of the room instead.
   */
  private async reconnect(): Promise<void> {
    this.state = 'reconnecting';
    this.room.emit('reconnecting');
    const { handlers, beforeAnswer } = this.connectionHooks();
    let movedTo: string | null = null;
    const resumed = await resumeWithBackoff({
      url: this.url,
      handlers,
      request: { token: this.options.token, participant_id: this.local.id, resume_token: this.join.resume_token },
      isCancelled: () => this.state === 'ended',
      beforeAnswer,
      ...(this.join.nodes.length ? { unreachableAfter: 2 } : {}),
    })
      .catch(async (err: unknown) => {
        const error = asLevelChatError(err, 'disconnected');
        if (error.code !== 'connection_failed' || !this.join.nodes.length) throw error;
        const joined = await failOver(this.join.nodes, { token: this.options.token, handlers, beforeAnswer, isCancelled: () => this.state === 'ended' });
        movedTo = joined?.url ?? null;
        return joined;
      })
      .catch((err: unknown) => {
        this.room.emit('error', asLevelChatError(err, 'disconnected').toJSON());
        return null;
      });
    if ((this.state as State) === 'ended') {
      resumed?.client.close();
      return;
    }
    if (!resumed) return this.end('network');
    this.state = 'connected';
    if (movedTo) this.startOver(movedTo, resumed.result);
    else {
      this.applySnapshot(resumed.result, false);
      await this.restartIce();
    }
    this.room.emit('reconnected');
  }

  /**
   * How a new connection reports to this session, and what happens just before its join or resume
   * is answered: it becomes the session's connection, its events wait for the answer.
   */
  private connectionHooks() {
    return {
      handlers: (client: () => SignalingClient) => ({
        onEvent: <E extends keyof SignalingEvents>(event: E, data: SignalingEvents[E]) => this.onEvent(client(), event, data),
        onClose: (code: number, reason: string) => this.onClose(client(), code, reason),
      }),
      beforeAnswer: (client: SignalingClient) => {
        this.signaling = client;
        this.buffered = [];
      },
    };
  }

  /**
   * A moderator on the room's origin node invited us on stage while we watch from another node:
   * join the origin (a new participant there, on stage: a `stage` event follows), then leave here.
   * What we receive starts over on the new connection.
   */
  private async takeStage(invite: ServerEvents['stage-invite']): Promise<void> {
    if (this.state !== 'connected') return;
    const previous = this.signaling;
    // Not 'connected' meanwhile: a refused attempt's closing connection must not start a reconnect.
    this.state = 'reconnecting';
    const moved = await joinAt(invite.signaling_url, { token: this.options.token, stagePass: invite.stage_pass, ...this.connectionHooks() }).catch((err: unknown) => {
      this.signaling = previous;
      this.buffered = null;
      if ((this.state as State) !== 'ended') {
        this.state = 'connected';
        // Our connection here dropped meanwhile (its close was ignored while moving): recover now.
        if (!previous.open) this.onClose(previous, 1006, 'closed while moving to the stage');
      }
      throw err;
    });
    if ((this.state as State) === 'ended') return void moved.client.close();
    this.state = 'connected';
    void previous
      .request('leave', {}, 2000)
      .catch(() => {})
      .finally(() => previous.close());
    this.startOver(moved.url, moved.result);
  }

  /** We are a new participant on another node: our transports stayed with the old one; receive and publish again. */
  private startOver(url: string, result: JoinResult): void {
    this.url = url;
    this.subscriber.reset();
    this.applySnapshot(result, false);
    void this.publisher.republish((err) => this.room.emit('error', err.toJSON()));
  }

  /**
   * A media worker died and the server rebuilt the room's media (same codecs: the device stays): our
   * transports are gone. Drop them, receive again (tracks come back as they are published again)
   * and publish our tracks again.
   */
  private resetMedia(reason: ServerEvents['media-reset']['reason']): void {
    this.subscriber.reset();
    if (this.canSubscribe) this.subscriber.start();
    this.room.emit('media-reset', { reason });
    void this.publisher.republish((err) => this.room.emit('error', err.toJSON()));
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
    void this.breakout?.session.leave();
    this.teardown();
    this.room.emit('disconnected', { reason });
  }

  private teardown(): void {
    (this.signaling as SignalingClient | undefined)?.close(1000, 'left');
    this.publisher.close();
    this.subscriber.close();
    this.hls.player?.destroy();
    this.hls.player = null;
    for (const { track } of this.breakout?.parked ?? []) track.stop();
    this.breakout = null;
    this.onEnded(this);
  }

  // ---- Breakouts: the moderator's `open_breakouts` sends each member a `breakout` event --------

  private move(step: () => Promise<void>): void {
    this.moves = this.moves.then(step).catch((err: unknown) => {
      if (this.state !== 'ended') this.room.emit('error', asLevelChatError(err, 'internal').toJSON());
    });
  }

  /**
   * Joins the breakout (same signaling URL, its own token), pauses the main room's media (this
   * session stays joined, to hear `breakouts {open: false}`), and moves camera and microphone there.
   */
  private async enterBreakout(to: ServerEvents['breakout']): Promise<void> {
    if (this.state === 'ended') return;
    if (this.breakout) await this.leaveBreakout('left');
    const url = new URL(to.signaling_url_path, this.url).toString();
    const session = await LiveSession.open({ token: to.token, signalingUrl: url, roomType: 'meeting', hlsFallback: false }, () => {});
    if ((this.state as State) === 'ended') return void (await session.leave());
    const breakout: Breakout = { roomId: to.room_id, number: to.number, session, parked: [] };
    this.breakout = breakout;
    session.room.on('disconnected', () => this.move(() => (this.breakout === breakout ? this.leaveBreakout('ended') : Promise.resolve())));
    // At once, so listeners on `session.room` see every track of the breakout.
    this.room.emit('breakout-joined', { roomId: to.room_id, number: to.number, session });
    await this.subscriber.suspend();
    // What goes with you: copies of your camera and microphone (the originals stop with their
    // producers here); another copy is kept to publish again when you come back.
    const handles = this.publisher.published;
    for (const h of handles) {
      if ((h.source === 'camera' || h.source === 'microphone') && h.track.readyState === 'live') breakout.parked.push({ source: h.source, track: h.track.clone() });
    }
    await Promise.all(handles.map((h) => h.stop()));
    await Promise.all(
      breakout.parked.map((p) =>
        session.publishTrack(p.source, p.track.clone(), this.cameraSimulcast).catch((err: unknown) => session.room.emit('error', asLevelChatError(err).toJSON())),
      ),
    );
  }

  /** Leaves the breakout and takes up the main room again: media resumes, camera and microphone return. */
  private async leaveBreakout(reason: BreakoutLeftReason): Promise<void> {
    const breakout = this.breakout;
    if (!breakout || this.state === 'ended') return;
    this.breakout = null;
    await breakout.session.leave();
    await this.subscriber.resume();
    for (const p of breakout.parked) {
      await this.publishTrack(p.source, p.track, this.cameraSimulcast).catch((err: unknown) => {
        p.track.stop();
        this.room.emit('error', asLevelChatError(err).toJSON());
      });
    }
    this.room.emit('breakout-left', { roomId: breakout.roomId, number: breakout.number, reason });
  }

  /** Publishes a track you already have (a breakout move), under the same rules as publishCamera/publishMicrophone. */
  private async publishTrack(source: 'camera' | 'microphone', track: MediaStreamTrack, simulcast: boolean): Promise<LocalTrackHandle> {
    try {
      this.requirePublish(source);
      await this.publisher.prepare();
    } catch (err) {
      track.stop();
      throw err;
    }
    return this.publisher.publish(source, track, source === 'camera' && simulcast ? this.publisher.cameraEncodings() : undefined);
  }
}

/** `/hls/...` from the server, against the node the signaling URL points at. */
function absoluteHlsUrl(path: string, signalingUrl: string): string {
  return new URL(path, signalingUrl.replace(/^ws(s?):/, 'http$1:')).toString();
}

/** The (unverified) claims of a room token: who you are, in which room, with what. */
function tokenClaims(token: string): { sub?: string; room?: string; caps?: string[]; name?: string } {
  try {
    const payload = token.split('.')[1] ?? '';
    return JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; room?: string; caps?: string[]; name?: string };
  } catch {
    return {};
  }
}

function closedByEnd(err: LevelChatError): boolean {
  return err.code === 'disconnected' || err.code === 'invalid_state';
}
