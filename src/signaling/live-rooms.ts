import type { Redis } from 'ioredis';
import type { Logger } from '../../common/logger.js';
import type { Revocations } from '../auth/revocations.js';
import type { RoomGrant } from '../auth/room-token.js';
import type { TokenMinter } from '../auth/token-minter.js';
import type { NodeInfo } from '../cluster/node-registry.js';
import type { NodeWatch } from '../cluster/node-watch.js';
import type { Config, IceServer } from '../config.js';
import type { RoomEventEmitter } from '../events/room-event-emitter.js';
import type { BroadcastDirector } from '../hls/broadcast-director.js';
import type { AttendanceLog } from '../rooms/attendance.js';
import type { QuestionStore } from '../rooms/question-store.js';
import type { RoomRepository } from '../rooms/room-repository.js';
import type { RoomService } from '../rooms/room-service.js';
import type { MediaPipes } from '../sfu/producer-pipe.js';
import type { WorkerPool } from '../sfu/worker-pool.js';
import { Admission, type AdmissionCluster } from './admission.js';
import type { ChatStore } from './chat-store.js';
import type { SignalingServices } from './features/feature.js';
import type { KickControl, StageInviteControl } from './inbox-messages.js';
import { joinSnapshot } from './join-snapshot.js';
import { KeyedLanes } from './keyed-lanes.js';
import type { LiveRoom } from './live-room.js';
import { LiveRoomRegistry } from './live-room-registry.js';
import { Participant, type ParticipantLink } from './participant.js';
import { CLOSE_CODES, RESUME_WINDOW_MS, signalingUrlOf, type JoinResult } from './protocol.js';
import { SignalingError } from './signaling-errors.js';
import { RoomInbox } from './room-inbox.js';
import type { RoomRelay } from './room-relay.js';
import type { StagePasses } from './stage-passes.js';

/** What signaling needs of the cluster: where a room's origin is, the other nodes, who died. */
export interface LiveRoomsCluster extends AdmissionCluster {
  region: string;
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
  /** STUN/TURN servers for a participant's transports (config's `iceServersFor`), sent in every join answer. */
  iceServers?: (identity: string) => readonly IceServer[];
}

type Removal = Parameters<SignalingServices['remove']>[2];

/** A participant in its room, and what it was told on (re)joining. */
export interface Session {
  participant: Participant;
  room: LiveRoom;
  result: JoinResult;
}

const CLOSE_GRACE_MS = 250;
/** Joins of one tenant (API key) this node works on at once; more wait their turn. */
const JOINS_PER_TENANT = 4;

/**
 * The live rooms of this node and the way in and out of them: join (admitted, then placed in its
 * live room), resume after a dropped connection, leave, and what arrives from other nodes (kicks,
 * host-ended and promoted rooms, stage invitations, relayed room events).
 */
export class LiveRooms {
  readonly services: SignalingServices;
  readonly #inbox: RoomInbox;
  readonly #registry: LiveRoomRegistry;
  readonly #admission: Admission;
  /** Joins of one tenant run a few at a time. */
  readonly #joins = new KeyedLanes(JOINS_PER_TENANT);

  constructor(private readonly deps: LiveRoomsDeps) {
    this.#inbox = new RoomInbox(deps.relay, deps.logger);
    this.#registry = new LiveRoomRegistry({ ...deps, inbox: this.#inbox });
    this.#admission = new Admission({ ...deps, live: (roomId) => this.#registry.get(roomId) });
    this.services = {
      rtc: deps.rtc,
      chat: deps.chat,
      questions: deps.questions,
      rooms: deps.rooms,
      minter: deps.minter,
      revocations: deps.revocations,
      verify: (token) => this.#admission.verify(token),
      remove: (room, participant, how) => this.remove(room, participant, how),
      inviteFromOtherNode: (room, participantId) => this.inviteFromOtherNode(room, participantId),
    };
    // Every node forgets a dead node's participants and tracks (only one of them announces it).
    deps.cluster.watch.on('lost', (nodeId) => void this.forgetNode(nodeId));
  }

  get rooms(): ReadonlyMap<string, LiveRoom> {
    return this.#registry.rooms;
  }

  /** Rebuilds the media of every room that had a router on a worker that died. */
  watchWorkers(): void {
    this.#registry.watchWorkers();
  }

  /** Acts on room events, control commands and relayed events published by any node. */
  listen(subscriber: Redis): Promise<void> {
    return this.#inbox.listen(subscriber, {
      promoted: ({ room_id }) => this.onPromoted(room_id),
      hostEnded: ({ room_id }) => this.onHostEnded(room_id),
      kick: (control) => this.onKick(control),
      stageInvite: (control) => {
        void this.sendToStage(control).catch((err: Error) => this.deps.logger.warn({ room_id: control.room_id, err: err.message }, 'could not forward a stage invitation'));
      },
      relayed: (message) => this.#registry.get(message.room_id)?.deliverRelayed(message),
    });
  }

  /** Joins in the lane of the token's tenant (see KeyedLanes). */
  async join(link: ParticipantLink, token: string, stagePass?: string): Promise<Session> {
    const grant = await this.#admission.verify(token);
    return this.#joins.run(grant.keyId, () => this.#join(link, grant, stagePass));
  }

  async #join(link: ParticipantLink, verified: RoomGrant, stagePass: string | undefined): Promise<Session> {
    const { grant, room: joined, origin, invited } = await this.#admission.admit(verified, stagePass);
    let room: LiveRoom;
    try {
      room = await this.#registry.open(joined);
    } catch (err) {
      await this.deps.rooms.leave(grant.roomId).catch(() => {});
      throw err;
    }
    room.refresh(joined);
    // LL-HLS is made where the producers are: on the origin node only.
    if (origin.here && joined.config.hls) room.startDirector();
    const participant = new Participant(grant, link);
    await this.deps.relay.memberJoined(room.id);
    await room.addParticipant(participant, invited);
    this.deps.logger.info({ room_id: room.id, participant_id: participant.id, identity: grant.identity }, 'participant joined');
    const result = await this.snapshot(room, participant, origin.nodes);
    // Watched from here: a notice due at once (a short token) follows the answer rather than racing it.
    participant.endsWithToken(() => void this.remove(room, participant, { kind: 'expired' }));
    return { participant, room, result };
  }

  /** Re-attaches a dropped participant within the resume window: same participant, same media. */
  async resume(link: ParticipantLink, token: string, participantId: string, resumeToken: string): Promise<Session> {
    const grant = await this.#admission.verify(token);
    const room = this.#registry.get(grant.roomId);
    const participant = room?.participants.get(participantId);
    if (!room || !participant || participant.resumeToken !== resumeToken || participant.identity !== grant.identity) {
      throw new SignalingError('resume_failed', 'nothing to resume: join again');
    }
    participant.resume(link, grant);
    this.deps.logger.info({ room_id: room.id, participant_id: participant.id }, 'participant resumed');
    return { participant, room, result: await this.snapshot(room, participant) };
  }

  /** The grant of a valid token that was not revoked (HTTP sessions check it before joining). */
  verify(token: string): Promise<RoomGrant> {
    return this.#admission.verify(token);
  }

  /** Refuses a request of a participant whose token was revoked since it joined. */
  assertNotRevoked(grant: RoomGrant): Promise<void> {
    return this.#admission.assertNotRevoked(grant);
  }

  /** The connection dropped: keep the participant for the resume window, then remove it. */
  disconnected(room: LiveRoom, participant: Participant): void {
    if (!room.participants.has(participant.id)) return;
    participant.awaitResume(RESUME_WINDOW_MS, () => void this.remove(room, participant, { kind: 'left' }));
  }

  leave(room: LiveRoom, participant: Participant): Promise<void> {
    return this.remove(room, participant, { kind: 'left' });
  }

  /** Closes every live room (node shutdown). */
  async closeAll(): Promise<void> {
    for (const room of [...this.#registry.rooms.values()]) {
      for (const p of [...room.participants.values()]) await this.remove(room, p, { kind: 'left' });
    }
  }

  /** `nodes`: the live node list when the caller has just read it. */
  private async snapshot(room: LiveRoom, participant: Participant, nodes?: NodeInfo[]): Promise<JoinResult> {
    return joinSnapshot(room, participant, await this.otherNodes(nodes), this.deps);
  }

  /** Signaling URLs of the other live nodes, this node's region first: where the SDK goes if this node dies. */
  private async otherNodes(known?: NodeInfo[]): Promise<string[]> {
    const { id, region } = this.deps.cluster;
    const nodes = (known ?? (await this.deps.cluster.nodes.list().catch(() => []))).filter((n) => n.id !== id);
    nodes.sort((a, b) => Number(b.region === region) - Number(a.region === region));
    return nodes.map((n) => signalingUrlOf(n.url));
  }

  /** `lifecycle`: also leave the room's lifecycle (not when the room ended already). */
  private async remove(room: LiveRoom, participant: Participant, how: Removal, lifecycle = true): Promise<void> {
    if (!room.participants.has(participant.id)) return;
    if (how.kind === 'kicked') participant.send('kicked', { reason: how.reason });
    if (how.kind === 'expired') {
      participant.send('token-expired', { expired_at: participant.grant.expiresAt.toISOString() });
      participant.disconnect(CLOSE_CODES.tokenExpired, 'token_expired');
    } else participant.disconnect(4001, how.kind === 'kicked' ? how.reason : 'left');
    const empty = await room.removeParticipant(participant);
    this.deps.logger.info({ room_id: room.id, participant_id: participant.id, how: how.kind }, 'participant left');
    await this.deps.relay.memberLeft(room.id).catch(() => {});
    if (lifecycle) await this.deps.rooms.leave(room.id).catch((err: Error) => this.deps.logger.warn({ room_id: room.id, err: err.message }, 'lifecycle leave failed'));
    if (empty) await room.close();
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

  private onPromoted(roomId: string): void {
    const room = this.#registry.get(roomId);
    if (!room) return;
    room.markPromoted();
    if (room.room.config.hls) void this.startDirectorIfOrigin(room);
  }

  private async startDirectorIfOrigin(room: LiveRoom): Promise<void> {
    const origin = await this.deps.cluster.origin(room.id, room.room.config.region_hint).catch(() => null);
    if (origin?.here) room.startDirector();
  }

  private onHostEnded(roomId: string): void {
    const room = this.#registry.get(roomId);
    if (!room) return;
    room.broadcast('room-ended', { reason: 'host_ended' });
    void (async () => {
      for (const p of [...room.participants.values()]) {
        const link = p.detach();
        // A short grace lets in-flight answers (the moderator's own end_room) reach the client.
        setTimeout(() => link?.close(4002, 'host_ended'), CLOSE_GRACE_MS).unref();
        await this.remove(room, p, { kind: 'left' }, false);
      }
    })();
  }

  private onKick(control: KickControl): void {
    const room = this.#registry.get(control.room_id);
    if (!room) return;
    for (const p of [...room.participants.values()]) {
      if (p.identity === control.identity) void this.remove(room, p, { kind: 'kicked', reason: control.reason });
    }
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
  private async sendToStage(control: StageInviteControl): Promise<void> {
    const participant = this.#registry.get(control.room_id)?.participants.get(control.participant_id);
    if (!participant) return;
    const stagePass = await this.deps.stage.issue(control.room_id, participant.identity);
    participant.send('stage-invite', { signaling_url: control.signaling_url, stage_pass: stagePass });
  }
}
