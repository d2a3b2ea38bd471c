import type { Redis } from 'ioredis';
import type { Revocations } from '../auth/revocations.js';
import { isAudience } from '../auth/capability-rules.js';
import { TokenError, type RoomGrant } from '../auth/room-token.js';
import type { TokenMinter } from '../auth/token-minter.js';
import { roomControlChannel, roomEventsChannel } from '../events/event-keys.js';
import type { RoomControl } from '../events/room-control.js';
import type { RoomEvent } from '../events/room-event.js';
import type { RoomEventEmitter } from '../events/room-event-emitter.js';
import type { Config } from '../config.js';
import type { Logger } from '../../common/logger.js';
import type { AttendanceLog } from '../rooms/attendance.js';
import type { RoomRepository } from '../rooms/room-repository.js';
import { RoomError, type RoomService } from '../rooms/room-service.js';
import type { BroadcastDirector } from '../hls/broadcast-director.js';
import { hlsUrl } from '../hls/hls-status.js';
import type { NodeInfo } from '../cluster/node-registry.js';
import type { NodeWatch } from '../cluster/node-watch.js';
import { canJoinEdge } from '../cluster/placement.js';
import { MediaRoom } from '../sfu/media-room.js';
import type { MediaPipes } from '../sfu/producer-pipe.js';
import type { WorkerPool } from '../sfu/worker-pool.js';
import type { ChatStore } from './chat-store.js';
import type { QuestionStore } from '../rooms/question-store.js';
import type { SignalingServices } from './features/feature.js';
import { LiveRoom } from './live-room.js';
import { Participant, STAGE_CAPABILITIES, type ParticipantLink } from './participant.js';
import { RESUME_WINDOW_MS, SignalingError, signalingUrlOf, type JoinResult, type SignalingErrorCode } from './protocol.js';
import type { RelayMessage, RoomRelay } from './room-relay.js';
import type { StagePasses } from './stage-passes.js';

/** What signaling needs of the cluster: where a room's origin is, the other nodes, who died. */
export interface LiveRoomsCluster {
  id: string;
  region: string;
  origin(roomId: string, regionHint: string | null): Promise<{ here: boolean; node: NodeInfo; nodes: NodeInfo[] }>;
  nodes: { list(): Promise<NodeInfo[]> };
  watch: Pick<NodeWatch, 'on'>;
}

export interface LiveRoomsDeps {
  pool: WorkerPool;
  pipes: MediaPipes;
  cluster: LiveRoomsCluster;
  relay: RoomRelay;
  revocations: Revocations;
  repository: RoomRepository;
  rooms: RoomService;
  minter: TokenMinter;
  events: RoomEventEmitter;
  chat: ChatStore;
  questions: QuestionStore;
  attendance: AttendanceLog;
  /** `webrtcViewerCap`: audience members per broadcast room on this node served over WebRTC; the rest use LL-HLS. */
  rtc: Config['rtc'];
  /** Starts a room's LL-HLS director (broadcast rooms, promoted hybrids). */
  directorFor: (room: LiveRoom) => BroadcastDirector;
  stage: StagePasses;
  logger: Logger;
}

type Removal = Parameters<SignalingServices['remove']>[2];

const CLOSE_GRACE_MS = 250;

/**
 * The live rooms of this node and the way in and out of them: join (token checked, room rules
 * enforced, lifecycle advanced), resume after a dropped connection, leave, kicks and host-ended
 * rooms arriving from any node over Redis.
 */
export class LiveRooms {
  private readonly live = new Map<string, LiveRoom>();
  private readonly opening = new Map<string, Promise<LiveRoom>>();
  private subscriber: Redis | null = null;
  readonly services: SignalingServices;

  constructor(private readonly deps: LiveRoomsDeps) {
    this.services = {
      rtc: deps.rtc,
      chat: deps.chat,
      questions: deps.questions,
      rooms: deps.rooms,
      minter: deps.minter,
      revocations: deps.revocations,
      remove: (room, participant, how) => this.remove(room, participant, how),
      inviteFromOtherNode: (room, participantId) => this.inviteFromOtherNode(room, participantId),
    };
    // Every node forgets a dead node's participants and tracks (only one of them announces it).
    deps.cluster.watch.on('lost', (nodeId) => void this.forgetNode(nodeId));
  }

  get rooms(): ReadonlyMap<string, LiveRoom> {
    return this.live;
  }

  /** Rebuilds the media of every room that had a router on a worker that died. */
  watchWorkers(): void {
    this.deps.pool.on('worker-died', (worker) => {
      for (const room of this.live.values()) {
        if (!room.media.allTiers.some((t) => t.worker === worker)) continue;
        void this.rebuild(room).catch((err: Error) => this.deps.logger.error({ room_id: room.id, err: err.message }, 'could not rebuild the room media'));
      }
    });
  }

  private async rebuild(room: LiveRoom): Promise<void> {
    const hadDirector = room.director !== null;
    await room.director?.close();
    room.director = null;
    const media = await MediaRoom.open(
      { roomId: room.id, preferredCodec: room.room.config.preferred_codec, consumersPerRouter: this.deps.rtc.consumersPerRouter },
      this.deps.pool,
      this.deps.pipes,
      this.deps.logger,
    );
    await room.resetMedia(media);
    if (hadDirector) room.director = this.deps.directorFor(room);
    this.deps.logger.warn({ room_id: room.id, participants: room.participants.size }, 'room media rebuilt after a worker died');
  }

  /** Listens for room events and control commands published by any node, and for relayed room events. */
  async listen(subscriber: Redis): Promise<void> {
    this.subscriber = subscriber;
    const [events, control] = [roomEventsChannel(subscriber), roomControlChannel(subscriber)];
    subscriber.on('message', (channel: string, message: string) => {
      try {
        if (channel === events) this.onRoomEvent(JSON.parse(message) as RoomEvent);
        else if (channel === control) this.onControl(JSON.parse(message) as RoomControl);
        else if (this.deps.relay.roomOfChannel(channel)) this.onRelay(JSON.parse(message) as RelayMessage);
      } catch (err) {
        this.deps.logger.warn({ err: (err as Error).message }, 'bad message on a room channel');
      }
    });
    await subscriber.subscribe(events, control);
  }

  async join(link: ParticipantLink, token: string, stagePass?: string): Promise<{ participant: Participant; room: LiveRoom; result: JoinResult }> {
    const grant = await this.admit(token);
    const stored = await this.deps.repository.get(grant.roomId);
    if (!stored || stored.owner !== grant.keyId) throw new SignalingError('room_not_found', 'the room of this token does not exist');
    // Publishers, moderators and hands go to the node holding the room's origin; an audience may
    // join any node, which becomes an edge of the room.
    const origin = await this.deps.cluster.origin(stored.id, stored.config.region_hint);
    if (!origin.here && !canJoinEdge(grant.capabilities)) {
      throw new SignalingError('wrong_node', `this room's publishers and moderators join node ${origin.node.id}`, { signaling_url: signalingUrlOf(origin.node.url) });
    }
    // A viewer invited on stage from another node arrives with a pass: no seat limit, straight on stage.
    const invited = stagePass !== undefined && origin.here && (await this.deps.stage.take(grant.roomId, stagePass, grant.identity));
    const live = this.live.get(grant.roomId);
    if (!invited && live?.isBroadcast && isAudience(grant.capabilities) && live.viewerCount >= this.deps.rtc.webrtcViewerCap) {
      // Another node with WebRTC seats left for this room takes the viewer before LL-HLS does.
      const roomy = canJoinEdge(grant.capabilities) ? await this.nodeWithSeats(stored.id) : null;
      if (roomy) throw new SignalingError('wrong_node', `this node's WebRTC seats for the room are taken: join node ${roomy.id}`, { signaling_url: signalingUrlOf(roomy.url) });
      const gated = stored.config.registration !== 'off';
      throw new SignalingError('webrtc_full', 'this broadcast has as many WebRTC viewers as it takes: watch over LL-HLS', {
        hls_url: stored.config.hls ? hlsUrl(stored.id) : null,
        playback_token: stored.config.hls && gated ? await this.deps.minter.mintPlayback(stored.owner, stored.id, grant.identity) : null,
      });
    }
    let joined;
    try {
      joined = await this.deps.rooms.join(grant.roomId);
    } catch (err) {
      if (err instanceof RoomError) throw new SignalingError(err.code as SignalingErrorCode, err.message);
      throw err;
    }
    const max = joined.config.max_participants;
    if (max !== null && joined.participants > max) {
      await this.deps.rooms.leave(grant.roomId).catch(() => {});
      throw new SignalingError('room_full', `this room holds at most ${max} participants`);
    }
    let room: LiveRoom;
    try {
      room = await this.open(joined);
    } catch (err) {
      await this.deps.rooms.leave(grant.roomId).catch(() => {});
      throw err;
    }
    room.room = joined;
    // LL-HLS is made where the producers are: on the origin node only.
    if (origin.here && joined.config.hls && !room.director) room.director = this.deps.directorFor(room);
    const participant = new Participant(grant, link);
    if (invited) participant.stageGrant = STAGE_CAPABILITIES;
    await this.deps.relay.memberJoined(room.id);
    await room.addParticipant(participant);
    if (invited) room.broadcast('stage', { participant_id: participant.id, on_stage: true });
    this.deps.logger.info({ room_id: room.id, participant_id: participant.id, identity: grant.identity }, 'participant joined');
    return { participant, room, result: await this.snapshot(room, participant, origin.nodes) };
  }

  /** Re-attaches a dropped participant within the resume window: same participant, same media. */
  async resume(link: ParticipantLink, token: string, participantId: string, resumeToken: string): Promise<{ participant: Participant; room: LiveRoom; result: JoinResult }> {
    const grant = await this.admit(token);
    const room = this.live.get(grant.roomId);
    const participant = room?.participants.get(participantId);
    if (!room || !participant || participant.resumeToken !== resumeToken || participant.identity !== grant.identity) {
      throw new SignalingError('resume_failed', 'nothing to resume: join again');
    }
    if (participant.resumeTimer) clearTimeout(participant.resumeTimer);
    participant.resumeTimer = null;
    participant.link?.close(4000, 'resumed elsewhere');
    participant.link = link;
    participant.grant = grant;
    this.deps.logger.info({ room_id: room.id, participant_id: participant.id }, 'participant resumed');
    return { participant, room, result: await this.snapshot(room, participant) };
  }

  /** The connection dropped: keep the participant for the resume window, then remove it. */
  disconnected(room: LiveRoom, participant: Participant): void {
    if (!room.participants.has(participant.id)) return;
    participant.link = null;
    participant.resumeTimer = setTimeout(() => void this.remove(room, participant, { kind: 'left' }), RESUME_WINDOW_MS);
  }

  leave(room: LiveRoom, participant: Participant): Promise<void> {
    return this.remove(room, participant, { kind: 'left' });
  }

  /** Closes every live room (node shutdown). */
  async closeAll(): Promise<void> {
    for (const room of [...this.live.values()]) {
      for (const p of [...room.participants.values()]) await this.remove(room, p, { kind: 'left' });
    }
  }

  private async admit(token: string): Promise<RoomGrant> {
    let grant: RoomGrant;
    try {
      grant = await this.deps.minter.verify(token);
    } catch (err) {
      if (err instanceof TokenError) throw new SignalingError(err.code, err.message);
      throw err;
    }
    if (await this.deps.revocations.isRevoked(grant)) throw new SignalingError('token_revoked', 'this token was revoked');
    return grant;
  }

  private async open(stored: LiveRoom['room']): Promise<LiveRoom> {
    const existing = this.live.get(stored.id);
    if (existing && !existing.isClosed) return existing;
    let pending = this.opening.get(stored.id);
    if (!pending) {
      pending = (async () => {
        const media = await MediaRoom.open(
          { roomId: stored.id, preferredCodec: stored.config.preferred_codec, consumersPerRouter: this.deps.rtc.consumersPerRouter },
          this.deps.pool,
          this.deps.pipes,
          this.deps.logger,
        );
        const room = new LiveRoom(stored, media, this.deps.events, this.deps.attendance, this.deps.relay, this.deps.logger);
        await room.startSpeakerObserver();
        // Relayed events from now on, before anyone reads the room's presence on other nodes.
        await this.subscriber?.subscribe(this.deps.relay.channel(stored.id));
        this.live.set(stored.id, room);
        return room;
      })().finally(() => this.opening.delete(stored.id));
      this.opening.set(stored.id, pending);
    }
    return pending;
  }

  /** What a (re)joining participant gets; `nodes` is the live node list when the caller has just read it. */
  private async snapshot(room: LiveRoom, participant: Participant, nodes?: NodeInfo[]): Promise<JoinResult> {
    // A token without subscribe:all sees nobody: no participants, no tracks (chat still works).
    const sees = participant.has('subscribe:all');
    const remote = sees ? await room.remotePresence() : { participants: [], tracks: [] };
    return {
      room: { id: room.id, type: room.room.type, config: { ...room.room.config }, promoted: room.room.promoted === true },
      participant: { ...participant.info(), capabilities: participant.grant.capabilities },
      router_rtp_capabilities: room.media.rtpCapabilities as unknown as Record<string, unknown>,
      participants: sees
        ? [...[...room.participants.values()].filter((p) => p !== participant && room.isAnnounced(p)).map((p) => p.info()), ...remote.participants.map((p) => p.info)]
        : [],
      viewer_count: room.audience,
      tracks: sees ? [...[...room.tracks.values()].filter((t) => t.participant !== participant).map((t) => room.trackInfo(t)), ...remote.tracks.map((t) => t.info)] : [],
      chat_history: await this.deps.chat.recent(room.id),
      hand_queue: participant.has('moderate:participants') ? [...room.hands.values()] : [],
      questions: await this.deps.questions.list(room.id, true),
      resume_token: participant.resumeToken,
      nodes: await this.otherNodes(nodes),
    };
  }

  /** The live node (not this one) with the fewest WebRTC viewers of the room, if it has seats left. */
  private async nodeWithSeats(roomId: string): Promise<NodeInfo | null> {
    const [nodes, viewers] = await Promise.all([this.deps.cluster.nodes.list(), this.deps.relay.viewersByNode(roomId)]);
    const seats = (n: NodeInfo) => this.deps.rtc.webrtcViewerCap - (viewers.get(n.id) ?? 0);
    const candidates = nodes.filter((n) => n.id !== this.deps.cluster.id && seats(n) > 0).sort((a, b) => seats(b) - seats(a));
    return candidates[0] ?? null;
  }

  /** Signaling URLs of the other live nodes, this node's region first: where the SDK goes if this node dies. */
  private async otherNodes(known?: NodeInfo[]): Promise<string[]> {
    const { id, region } = this.deps.cluster;
    const nodes = (known ?? (await this.deps.cluster.nodes.list().catch(() => []))).filter((n) => n.id !== id);
    nodes.sort((a, b) => Number(b.region === region) - Number(a.region === region));
    return nodes.map((n) => signalingUrlOf(n.url));
  }

  private async remove(room: LiveRoom, participant: Participant, how: Removal, lifecycle = true): Promise<void> {
    if (!room.participants.has(participant.id)) return;
    if (how.kind === 'kicked') participant.send('kicked', { reason: how.reason });
    participant.link?.close(4001, how.kind === 'kicked' ? how.reason : 'left');
    participant.link = null;
    const empty = await room.removeParticipant(participant);
    this.deps.logger.info({ room_id: room.id, participant_id: participant.id, how: how.kind }, 'participant left');
    await this.deps.relay.memberLeft(room.id).catch(() => {});
    if (lifecycle) await this.deps.rooms.leave(room.id).catch((err: Error) => this.deps.logger.warn({ room_id: room.id, err: err.message }, 'lifecycle leave failed'));
    if (empty) {
      if (this.live.get(room.id) === room) {
        this.live.delete(room.id);
        await this.subscriber?.unsubscribe(this.deps.relay.channel(room.id)).catch(() => {});
      }
      await room.close();
    }
  }

  /** A dead node's participants leave their rooms (which end if nobody else is left). */
  private async forgetNode(nodeId: string): Promise<void> {
    try {
      for (const { roomId, members } of await this.deps.relay.forgetNode(nodeId)) {
        for (let i = 0; i < members; i += 1) await this.deps.rooms.leave(roomId).catch(() => {});
      }
    } catch (err) {
      this.deps.logger.warn({ node_id: nodeId, err: (err as Error).message }, 'could not forget a lost node');
    }
  }

  private async startDirectorIfOrigin(room: LiveRoom): Promise<void> {
    const origin = await this.deps.cluster.origin(room.id, room.room.config.region_hint).catch(() => null);
    if (!origin?.here || room.director || room.isClosed) return;
    room.director = this.deps.directorFor(room);
    room.onAirMayChange();
  }

  private onRelay(message: RelayMessage): void {
    if (message.node === this.deps.cluster.id) return;
    const room = this.live.get(message.room_id);
    room?.deliver(message.event, message.data as never);
  }

  private onRoomEvent(event: RoomEvent): void {
    const room = this.live.get(event.room_id);
    if (!room) return;
    if (event.type === 'room.promoted') {
      room.room = { ...room.room, promoted: true, config: { ...room.room.config, hls: !room.room.config.e2ee } };
      if (room.room.config.hls && !room.director) void this.startDirectorIfOrigin(room);
      room.broadcast('promoted', { hls_url: room.room.config.hls ? hlsUrl(room.id) : null });
      return;
    }
    if (event.type !== 'room.ended' || event.data.reason !== 'host_ended') return;
    room.broadcast('room-ended', { reason: 'host_ended' });
    void (async () => {
      for (const p of [...room.participants.values()]) {
        const link = p.link;
        p.link = null;
        // A short grace lets in-flight answers (the moderator's own end_room) reach the client.
        setTimeout(() => link?.close(4002, 'host_ended'), CLOSE_GRACE_MS).unref();
        await this.remove(room, p, { kind: 'left' }, false);
      }
    })();
  }

  /** The room's origin (this node) invites on stage a participant some other node may hold. */
  private async inviteFromOtherNode(room: LiveRoom, participantId: string): Promise<boolean> {
    const nodes = await this.deps.cluster.nodes.list();
    const here = nodes.find((n) => n.id === this.deps.cluster.id);
    if (!here || nodes.length < 2) return false;
    await this.deps.stage.forward(room.id, participantId, signalingUrlOf(here.url));
    return true;
  }

  /** Sends an invited participant of this node to the origin, with a pass waiting there. */
  private async sendToStage(control: Extract<RoomControl, { type: 'stage-invite' }>): Promise<void> {
    const participant = this.live.get(control.room_id)?.participants.get(control.participant_id);
    if (!participant) return;
    const stagePass = await this.deps.stage.issue(control.room_id, participant.identity);
    participant.send('stage-invite', { signaling_url: control.signaling_url, stage_pass: stagePass });
  }

  private onControl(control: RoomControl): void {
    if (control.type === 'stage-invite') {
      void this.sendToStage(control).catch((err: Error) => this.deps.logger.warn({ room_id: control.room_id, err: err.message }, 'could not forward a stage invitation'));
      return;
    }
    const room = this.live.get(control.room_id);
    if (!room) return;
    for (const p of [...room.participants.values()]) {
      if (p.identity === control.identity) void this.remove(room, p, { kind: 'kicked', reason: control.reason });
    }
  }
}
