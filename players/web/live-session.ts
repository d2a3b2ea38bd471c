// One joined live room, as the app sees it: `room` emits the room's events, the methods publish
// media and talk. A facade over the parts that each own one concern: the connection (joins,
// resumes, node moves), the room state, the media, the breakouts; or, beyond a broadcast's WebRTC
// seats, the LL-HLS viewer.
import type { Device } from 'mediasoup-client';
import { publishRequirement } from '../../src/auth/capability-rules.js';
import type { JoinResult, MediaSource, Method, RequestData } from '../../src/signaling/protocol.js';
import type { Player, PlayerOptions } from '../player/index.js';
import { Emitter } from '../shared/emitter.js';
import { Breakouts, type BreakoutEventMap, type JoinedBreakout } from './breakouts.js';
import type { CameraOptions, MicrophoneOptions, ScreenOptions } from './capture.js';
import { Connection, type ConnectionState, type Rejoin } from './connection.js';
import { LevelChatError, asLevelChatError } from './errors.js';
import { hlsViewer, type HlsViewer } from './hls-fallback.js';
import { loadPlayer } from './llhls.js';
import type { LocalTrackHandle } from './publisher.js';
import { toChatMessage, toQuestion, type ChatMessage, type DisconnectReason, type LocalParticipant, type Participant, type Question, type RaisedHand } from './room-data.js';
import { RoomState, type RoomStateEventMap } from './room-state.js';
import { SessionMedia, createDevice, loadDevice, type MediaEventMap } from './session-media.js';
import type { TelemetryOptions } from '../shared/telemetry.js';
import { reportWebRtcPlayout } from './viewer-telemetry.js';
import type { TransportIce } from './media-link.js';
import type { Result, SignalingEvent } from './signaling-client.js';

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
  /**
   * Latency reports (POST /v1/rooms/{id}/telemetry, with this session's token): every 5 s while video
   * plays, over WebRTC and LL-HLS alike. `onReport` sees each one; `false` sends none. Default on.
   */
  telemetry?: false | { onReport?: TelemetryOptions['onReport'] };
  /**
   * `'relay'`: send and receive media through the TURN servers of the join answer (`ice_servers`) only,
   * never directly (for networks that block UDP to the media ports; tests). Default `'all'`.
   */
  iceTransportPolicy?: RTCIceTransportPolicy;
}

/** How a session receives the room: WebRTC (a participant), or LL-HLS (an audience member beyond the WebRTC cap). */
export type LiveMode = 'webrtc' | 'hls';

/** Everything `live.room` emits: what each part reports, and the session's own life. */
export interface RoomEventMap extends RoomStateEventMap, MediaEventMap, BreakoutEventMap<LiveSession> {
  disconnected: [info: { reason: DisconnectReason }];
  /** The session's token expires soon: `refreshToken()` with a new one, or the session ends (`disconnected`, `token_expired`). */
  'session-ending': [info: { expiresAt: string; secondsLeft: number }];
  /** The connection dropped and the SDK is resuming (`disconnected` follows if it cannot). */
  reconnecting: [];
  reconnected: [];
}

/** `live.room`: subscribe with `on(event, listener)`; `on` returns an unsubscribe function. */
export class RoomEvents extends Emitter<RoomEventMap> {}

/** The parts of a WebRTC session (an LL-HLS viewer has none). */
interface WebRtc {
  connection: Connection;
  media: SessionMedia;
  breakouts: Breakouts<LiveSession>;
}

/**
 * Created by `LevelChat.joinLive()`. Over 500 lines on purpose: it is the SDK's public surface, one
 * short method per room action (chat, Q&A, hands, stage, moderation, breakouts, publishing) that
 * delegates to the parts above (connection, room state, media, breakouts, LL-HLS fallback); cutting it
 * would split the public API, not a concept.
 */
export class LiveSession {
  readonly room = new RoomEvents();
  /** `webrtc`: joined over signaling; `hls`: watching the LL-HLS stream (no signaling, no WebRTC). */
  readonly mode: LiveMode;
  readonly #state: RoomState;
  readonly #webrtc: WebRtc | null;
  readonly #onEnded: (session: LiveSession) => void;
  #player: Player | null = null;
  readonly #telemetry: JoinLiveOptions['telemetry'];
  #token: () => string;
  #stopTelemetry: (() => void) | null = null;
  #endReason: DisconnectReason | 'left' | null = null;
  /** Breakout and stage moves, one at a time. */
  #moves: Promise<void> = Promise.resolve();

  private constructor(
    onEnded: (session: LiveSession) => void,
    how: { joined: { connection: Connection; result: JoinResult }; device: Device } | { viewer: HlsViewer; token: string },
    telemetry: JoinLiveOptions['telemetry'] = {},
    iceTransportPolicy: RTCIceTransportPolicy = 'all',
  ) {
    this.#onEnded = onEnded;
    this.#telemetry = telemetry;
    if ('viewer' in how) {
      const { token } = how;
      this.#token = () => token;
      this.mode = 'hls';
      this.#state = new RoomState(how.viewer, this.room);
      this.#webrtc = null;
      return;
    }
    this.mode = 'webrtc';
    const { connection, result } = how.joined;
    this.#token = () => connection.token;
    this.#state = RoomState.joined(result, connection.url, this.room);
    // Each join answer (resumes and node moves too) brings TURN credentials made then: new transports take the latest.
    const ice: TransportIce = { iceServers: result.ice_servers ?? [], iceTransportPolicy };
    connection.on('answer', (answer) => {
      ice.iceServers = answer.ice_servers ?? [];
    });
    const media = new SessionMedia(
      how.device,
      {
        request: (method, data) => connection.request(method, data),
        get connected() {
          return connection.state === 'connected';
        },
        ice,
      },
      this.room,
    );
    const breakouts = new Breakouts<LiveSession>(
      {
        ended: () => this.#endReason !== null,
        media,
        join: (to) => LiveSession.#joinBreakout(new URL(to.signaling_url_path, connection.url).toString(), to.token),
        move: (step) => this.#move(step),
        publishMoved: (source, track, simulcast) => this.#publishMoved(source, track, simulcast),
      },
      this.room,
    );
    this.#webrtc = { connection, media, breakouts };
    connection.on('answer', (answer, how) => this.#rejoined(answer, how));
    connection.on('event', (e) => this.#dispatch(e));
    connection.on('reconnecting', () => this.room.emit('reconnecting'));
    connection.on('reconnected', (how) => void this.#reconnected(how));
    connection.on('lost', (reason) => this.#end(reason));
    connection.on('error', (error) => this.room.emit('error', error));
    if (telemetry !== false && this.#state.canSubscribe) {
      this.#stopTelemetry = reportWebRtcPlayout({
        watchTracks: (added, removed) => {
          const offAdded = this.room.on('track-subscribed', added);
          const offRemoved = this.room.on('track-unsubscribed', removed);
          return () => {
            offAdded();
            offRemoved();
          };
        },
        nodeUrl: () => connection.url,
        roomId: this.#state.roomId,
        token: () => connection.token,
        ...(telemetry.onReport ? { onReport: telemetry.onReport } : {}),
      });
    }
    if (this.#state.canSubscribe) media.receive(result.tracks);
    connection.release();
  }

  /** Connects, joins with the token, loads the device and starts receiving. */
  static async open(options: JoinLiveOptions, onEnded: (session: LiveSession) => void): Promise<LiveSession> {
    const device = createDevice();
    const opened = await Connection.open(options.signalingUrl, options.token, (answer) => loadDevice(device, answer));
    if ('connection' in opened) return new LiveSession(onEnded, { joined: opened, device: await device }, options.telemetry, options.iceTransportPolicy);
    if (options.hlsFallback === false) throw opened.full;
    const session = new LiveSession(onEnded, { viewer: hlsViewer(options.token, opened.hlsUrl, options.roomType), token: options.token }, options.telemetry);
    if (options.hlsVideo) void session.playHls(options.hlsVideo, options.hlsPlayer).catch((err: unknown) => session.room.emit('error', asLevelChatError(err).toJSON()));
    return session;
  }

  /** A breakout room is a session of its own (same node, its own token); the main session moves media into it. */
  static async #joinBreakout(signalingUrl: string, token: string): Promise<JoinedBreakout<LiveSession>> {
    const session = await LiveSession.open({ token, signalingUrl, roomType: 'meeting', hlsFallback: false }, () => {});
    return {
      session,
      leave: () => session.leave(),
      onEnded: (listener) => void session.room.on('disconnected', listener),
      publishMoved: (source, track, simulcast) => session.#publishMoved(source, track, simulcast),
    };
  }

  get roomId(): string {
    return this.#state.roomId;
  }

  get roomType(): string {
    return this.#state.roomType;
  }

  /** Everybody else in the room, by participant id. */
  get participants(): ReadonlyMap<string, Participant> {
    return this.#state.participants;
  }

  get localParticipant(): LocalParticipant {
    return this.#state.local;
  }

  /** Recent chat, oldest first (history from before you joined included). */
  get chatHistory(): readonly ChatMessage[] {
    return this.#state.chat;
  }

  /**
   * Open questions of the room's Q&A, most votes first then oldest first; kept up to date from
   * `question` events (answered and dismissed ones leave the list).
   */
  get questions(): readonly Question[] {
    return this.#state.questions;
  }

  /** Moderators: raised hands in the order they went up (empty for others). */
  get handQueue(): readonly RaisedHand[] {
    return this.#state.hands;
  }

  /** Tracks you publish. */
  get localTracks(): readonly LocalTrackHandle[] {
    return this.#webrtc?.media.published ?? [];
  }

  get connectionState(): ConnectionState {
    if (this.#endReason) return 'ended';
    return this.#webrtc?.connection.state ?? 'connected';
  }

  /** The room's LL-HLS master playlist (absolute URL), when it is delivered over LL-HLS; else null. */
  get hlsUrl(): string | null {
    return this.#state.hlsUrl;
  }

  /** The LL-HLS player started by `playHls` (or by the fallback), if any. */
  get player(): Player | null {
    return this.#player;
  }

  /** Broadcast rooms: how many viewers watch over WebRTC (they are counted, not announced). */
  get viewerCount(): number {
    return this.#state.viewers;
  }

  /** The breakout room you are in (its own session), or null. */
  get breakoutSession(): LiveSession | null {
    return this.#webrtc?.breakouts.session ?? null;
  }

  /**
   * Plays the room's LL-HLS stream in `video` (loads /sdk/levelchat-player.js on first use). The
   * fallback session does this itself when given `hlsVideo`; a WebRTC participant can too once the
   * room is delivered over LL-HLS (broadcasts, promoted hybrids).
   */
  async playHls(video: HTMLVideoElement, options: Omit<PlayerOptions, 'url'> = {}): Promise<Player> {
    this.#checkHere();
    const url = this.#state.hlsUrl;
    if (!url) throw new LevelChatError('invalid_state', 'this room is not delivered over LL-HLS');
    const createPlayer = await loadPlayer();
    this.#checkHere();
    this.#player?.destroy();
    // The player reports its own latency, with this session's token (a room token is taken for the room it names).
    const telemetry = this.#telemetry;
    const reporting: Pick<PlayerOptions, 'telemetry'> = telemetry === false ? { telemetry: false } : { telemetry: { token: () => this.#token(), ...(telemetry?.onReport ? { onReport: telemetry.onReport } : {}) } };
    this.#player = createPlayer(video, { ...reporting, ...options, url });
    return this.#player;
  }

  publishCamera(options: CameraOptions = {}): Promise<LocalTrackHandle> {
    return this.#publishing('camera', (media) => media.publishCamera(options));
  }

  publishMicrophone(options: MicrophoneOptions = {}): Promise<LocalTrackHandle> {
    return this.#publishing('microphone', (media) => media.publishMicrophone(options));
  }

  /** Shares a screen, window or tab; `stop()` stops its audio too when it had some. */
  publishScreen(options: ScreenOptions = {}): Promise<LocalTrackHandle> {
    return this.#publishing('screen', (media) => media.publishScreen(options));
  }

  async sendChat(text: string): Promise<ChatMessage> {
    const { message } = await this.#action('chat', { text });
    return toChatMessage(message);
  }

  async sendReaction(emoji: string): Promise<void> {
    await this.#action('reaction', { emoji });
  }

  async raiseHand(): Promise<void> {
    await this.#action('raise_hand', { raised: true });
    this.#state.setOwnHand(true);
  }

  /** Lowers your hand; moderators (`moderate:participants`) pass a participant id to lower theirs. */
  async lowerHand(participantId?: string): Promise<void> {
    if (participantId === undefined) {
      await this.#action('raise_hand', { raised: false });
      this.#state.setOwnHand(false);
      return;
    }
    await this.#action('lower_hand', { participant_id: participantId });
  }

  /** Asks the room's Q&A a question (`chat:send`); everyone gets a `question` event. */
  async askQuestion(text: string): Promise<Question> {
    const { question } = await this.#action('ask_question', { text });
    return toQuestion(question);
  }

  /** Upvotes a question (once per identity: voting again changes nothing). */
  async upvoteQuestion(questionId: string): Promise<Question> {
    const { question } = await this.#action('upvote_question', { question_id: questionId });
    return toQuestion(question);
  }

  /** Moderators: mark a question answered, optionally with a written answer. */
  async answerQuestion(questionId: string, answer?: string): Promise<Question> {
    const { question } = await this.#action('answer_question', { question_id: questionId, ...(answer !== undefined ? { answer } : {}) });
    return toQuestion(question);
  }

  /** Moderators: dismiss a question without answering it. */
  async dismissQuestion(questionId: string): Promise<Question> {
    const { question } = await this.#action('dismiss_question', { question_id: questionId });
    return toQuestion(question);
  }

  /** Moderators: delete a chat message for everyone (and from the room's history). */
  async deleteChat(messageId: string): Promise<void> {
    await this.#action('delete_chat', { message_id: messageId });
  }

  /** Prefers a simulcast/SVC layer (0 = lowest) for a participant's video (e.g. small tiles). */
  setPreferredLayers(participantId: string, spatialLayer: number, temporalLayer?: number): Promise<void> {
    return this.#reported(async () => this.#webrtc?.media.setPreferredLayers(participantId, spatialLayer, temporalLayer));
  }

  /** Moderators (`moderate:participants`): mute a participant's microphone (or the given source). */
  async muteParticipant(participantId: string, source?: MediaSource): Promise<string[]> {
    const { muted } = await this.#action('mute_participant', { participant_id: participantId, ...(source ? { source } : {}) });
    return muted;
  }

  /** Moderators: invite a participant on stage (broadcast rooms: they may publish). */
  async inviteToStage(participantId: string): Promise<void> {
    await this.#action('invite_to_stage', { participant_id: participantId });
  }

  async removeFromStage(participantId: string): Promise<void> {
    await this.#action('remove_from_stage', { participant_id: participantId });
  }

  /** Moderators of a hybrid room: promote it to a broadcast (LL-HLS starts; everyone gets `promoted`). */
  async promote(): Promise<void> {
    await this.#action('promote_room', {});
  }

  /**
   * Moderators: split the room into `count` breakouts. `assignments` maps participant ids to a
   * breakout number (1-based); everyone else but moderators is spread evenly. Moderators assigned
   * to a breakout move too (and keep this session to close them).
   */
  async openBreakouts(count: number, assignments?: Record<string, number>): Promise<void> {
    await this.#action('open_breakouts', { count, ...(assignments ? { assignments } : {}) });
  }

  /** Moderators: close the breakouts; everyone returns to the main room. */
  async closeBreakouts(): Promise<void> {
    await this.#action('close_breakouts', {});
  }

  /** Moderators: remove a participant (its token is revoked). */
  async kickParticipant(participantId: string): Promise<void> {
    await this.#action('kick_participant', { participant_id: participantId });
  }

  /** Moderators: end the room for everyone (each is disconnected with `host_ended`). */
  async endRoom(): Promise<void> {
    try {
      await this.#action('end_room', {});
    } catch (err) {
      // The room may end (and close this connection) before the answer arrives.
      if (this.#endReason !== 'host_ended') throw err;
    }
  }

  /**
   * Continues the session under a new token of the same identity and room (mint it server-side when
   * `session-ending` fires); answers its expiry time. Resumes after a drop present it from now on.
   */
  async refreshToken(token: string): Promise<string> {
    return this.#reported(async () => {
      if (!this.#webrtc) throw new LevelChatError('invalid_state', 'watching over LL-HLS: the playback token is refreshed by joining again');
      return this.#webrtc.connection.refresh(token);
    });
  }

  /** Leaves the room: unpublishes everything, stops the local devices, closes the connection. */
  async leave(): Promise<void> {
    if (this.#endReason) return;
    this.#endReason = 'left';
    await Promise.all([this.#webrtc?.connection.leave(), this.#webrtc?.breakouts.close()]);
    this.#teardown();
  }

  /** Signaling for a request: an LL-HLS viewer has none. */
  async #send<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>> {
    if (this.#webrtc) return this.#webrtc.connection.request(method, data);
    this.#checkHere(`${method}: `);
    throw new LevelChatError('invalid_state', `${method}: you watch over LL-HLS (the broadcast's WebRTC seats are full)`);
  }

  /** A user action: refusals reject the promise and fire `error` on the room. */
  #action<M extends Method>(method: M, data: RequestData<M>): Promise<Result<M>> {
    return this.#reported(() => this.#send(method, data));
  }

  async #reported<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const error = asLevelChatError(err);
      // Requests cut short because the host ended the room are not refusals.
      const endedByHost = (error.code === 'disconnected' || error.code === 'invalid_state') && this.#endReason === 'host_ended';
      if (!endedByHost) this.room.emit('error', error.toJSON());
      throw error;
    }
  }

  #checkHere(prefix = ''): void {
    if (this.#endReason) throw new LevelChatError('invalid_state', `${prefix}you are no longer in the room`);
  }

  /** Checked here so a viewer's camera never lights up; the server checks again (and knows the stage). */
  #checkPublish(source: MediaSource): void {
    this.#checkHere();
    if (!this.#state.mayPublish(source)) throw new LevelChatError('capability_required', publishRequirement(source));
  }

  /** A publish the app asked for: refused by the rules here, or by the media (an LL-HLS viewer has none). */
  #publishing(source: MediaSource, publish: (media: SessionMedia) => Promise<LocalTrackHandle>): Promise<LocalTrackHandle> {
    return this.#reported(async () => {
      this.#checkPublish(source);
      if (!this.#webrtc) throw new LevelChatError('invalid_state', 'watching over LL-HLS: no WebRTC media in this session');
      return publish(this.#webrtc.media);
    });
  }

  /** A camera or microphone moved to or from a breakout: a refusal stops the track and is reported here. */
  async #publishMoved(source: 'camera' | 'microphone', track: MediaStreamTrack, simulcast: boolean): Promise<void> {
    try {
      this.#checkPublish(source);
      await this.#webrtc!.media.publishMoved(source, track, simulcast);
    } catch (err) {
      track.stop();
      this.room.emit('error', asLevelChatError(err).toJSON());
    }
  }

  #move(step: () => Promise<void>): void {
    this.#moves = this.#moves.then(step).catch((err: unknown) => {
      if (!this.#endReason) this.room.emit('error', asLevelChatError(err, 'internal').toJSON());
    });
  }

  /** A server event: each goes to the part it concerns. */
  #dispatch(e: SignalingEvent): void {
    const { connection, media, breakouts } = this.#webrtc!;
    switch (e.event) {
      case 'track-published':
        if (this.#state.canSubscribe && e.data.participant_id !== this.#state.local.id) media.subscribe(e.data);
        return;
      case 'track-unpublished':
        media.unsubscribe(e.data.producer_id);
        return;
      case 'consumer-closed':
        media.unsubscribeConsumer(e.data.consumer_id);
        return;
      case 'media-reset':
        media.reset(e.data.reason, this.#state.canSubscribe);
        return;
      case 'track-muted':
        return;
      case 'breakout':
        this.#move(() => breakouts.enter(e.data));
        return;
      case 'breakouts':
        this.#state.handle(e, connection.url);
        if (!e.data.open) this.#move(() => breakouts.leave('closed'));
        return;
      case 'stage-invite':
        this.#move(() => connection.takeStage(e.data));
        return;
      case 'kicked':
        this.#end(e.data.reason);
        return;
      case 'room-ended':
        this.#end('host_ended');
        return;
      case 'session-ending':
        // A short token's notice comes right after the join answer, before joinLive() has resolved and
        // the app could listen: emitted on the next task, after the app's first listeners are on.
        setTimeout(() => this.room.emit('session-ending', { expiresAt: e.data.expires_at, secondsLeft: e.data.seconds_left }), 0);
        return;
      case 'token-expired':
        this.#end('token_expired');
        return;
      case 'error':
        this.room.emit('error', { code: e.data.code, message: e.data.message });
        return;
      default:
        this.#state.handle(e, connection.url);
    }
  }

  /** A later answer: the same participant resumed, or a new one on another node (whose media starts over). */
  #rejoined(result: JoinResult, how: Rejoin): void {
    const { connection, media } = this.#webrtc!;
    if (how === 'moved') media.leaveNode();
    this.#state.rejoined(result, connection.url);
    if (this.#state.canSubscribe) media.receive(result.tracks);
    if (how === 'moved') media.republish();
  }

  async #reconnected(how: Rejoin): Promise<void> {
    if (how === 'resumed') await this.#webrtc!.media.restartIce();
    this.room.emit('reconnected');
  }

  #end(reason: DisconnectReason): void {
    if (this.#endReason) return;
    this.#endReason = reason;
    void this.#webrtc?.breakouts.close();
    this.#teardown();
    this.room.emit('disconnected', { reason });
  }

  #teardown(): void {
    this.#stopTelemetry?.();
    this.#stopTelemetry = null;
    this.#webrtc?.connection.close();
    this.#webrtc?.media.close();
    this.#player?.destroy();
    this.#player = null;
    this.#onEnded(this);
  }
}
