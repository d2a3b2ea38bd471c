import { isAudience } from '../auth/capability-rules.js';
import type { Revocations } from '../auth/revocations.js';
import type { RoomGrant } from '../auth/room-token.js';
import type { TokenMinter } from '../auth/token-minter.js';
import type { NodeInfo } from '../cluster/node-registry.js';
import { canJoinEdge } from '../cluster/placement.js';
import type { Config } from '../config.js';
import { hlsUrl } from '../hls/hls-status.js';
import type { Room } from '../rooms/room.js';
import type { RoomRepository } from '../rooms/room-repository.js';
import type { RoomService } from '../rooms/room-service.js';
import { playbackIsSigned } from '../rooms/room-types.js';
import type { LiveRoom } from './live-room.js';
import { signalingUrlOf } from './protocol.js';
import type { RoomRelay } from './room-relay.js';
import { SignalingError } from './signaling-errors.js';
import type { StagePasses } from './stage-passes.js';

/** Where a room's origin is, and the other live nodes. */
export interface AdmissionCluster {
  id: string;
  origin(roomId: string, regionHint: string | null): Promise<{ here: boolean; node: NodeInfo; nodes: NodeInfo[] }>;
  nodes: { list(): Promise<NodeInfo[]> };
}

export interface AdmissionDeps {
  minter: TokenMinter;
  revocations: Revocations;
  repository: RoomRepository;
  rooms: RoomService;
  cluster: AdmissionCluster;
  relay: Pick<RoomRelay, 'viewersByNode'>;
  stage: Pick<StagePasses, 'take'>;
  rtc: Pick<Config['rtc'], 'webrtcViewerCap'>;
  /** The room if it is live on this node. */
  live(roomId: string): LiveRoom | undefined;
}

/** A join let in: counted in the room's lifecycle, which the caller leaves if it cannot go on. */
export interface Admitted {
  grant: RoomGrant;
  /** The room as the join left it. */
  room: Room;
  /** Whether this node holds the room's origin, and the live nodes as just read. */
  origin: { here: boolean; nodes: NodeInfo[] };
  /** Arrives with a stage invitation (a pass from the node that held it). */
  invited: boolean;
}

/**
 * Who may come in, and where: the token (and its revocation), the room's owner, the node that
 * holds the room's origin, WebRTC seats in a broadcast, and the room's capacity.
 */
export class Admission {
  constructor(private readonly deps: AdmissionDeps) {}

  /** The grant of a valid token that was not revoked. */
  async verify(token: string): Promise<RoomGrant> {
    const grant = await this.deps.minter.verify(token);
    await this.assertNotRevoked(grant);
    return grant;
  }

  async assertNotRevoked(grant: RoomGrant): Promise<void> {
    if (await this.deps.revocations.isRevoked(grant)) throw new SignalingError('token_revoked', 'this token was revoked');
  }

  /** Lets in the holder of `grant` (from `verify`). */
  async admit(grant: RoomGrant, stagePass: string | undefined): Promise<Admitted> {
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
    const live = this.deps.live(grant.roomId);
    if (!invited && live?.isBroadcast && isAudience(grant.capabilities) && live.viewerCount >= this.deps.rtc.webrtcViewerCap) {
      await this.refuseViewer(grant, stored);
    }
    const joined = await this.deps.rooms.join(grant.roomId);
    const max = joined.config.max_participants;
    if (max !== null && joined.participants > max) {
      await this.deps.rooms.leave(grant.roomId).catch(() => {});
      throw new SignalingError('room_full', `this room holds at most ${max} participants`);
    }
    return { grant, room: joined, origin: { here: origin.here, nodes: origin.nodes }, invited };
  }

  /** This node's WebRTC seats for the broadcast are taken: another node's, or LL-HLS. */
  private async refuseViewer(grant: RoomGrant, stored: Room): Promise<never> {
    const roomy = canJoinEdge(grant.capabilities) ? await this.nodeWithSeats(stored.id) : null;
    if (roomy) throw new SignalingError('wrong_node', `this node's WebRTC seats for the room are taken: join node ${roomy.id}`, { signaling_url: signalingUrlOf(roomy.url) });
    const gated = playbackIsSigned(stored.config);
    throw new SignalingError('webrtc_full', 'this broadcast has as many WebRTC viewers as it takes: watch over LL-HLS', {
      hls_url: stored.config.hls ? hlsUrl(stored.id) : null,
      playback_token: stored.config.hls && gated ? await this.deps.minter.mintPlayback(stored.owner, stored.id, grant.identity) : null,
    });
  }

  /** The live node (not this one) with the fewest WebRTC viewers of the room, if it has seats left. */
  private async nodeWithSeats(roomId: string): Promise<NodeInfo | null> {
    const [nodes, viewers] = await Promise.all([this.deps.cluster.nodes.list(), this.deps.relay.viewersByNode(roomId)]);
    const seats = (n: NodeInfo) => this.deps.rtc.webrtcViewerCap - (viewers.get(n.id) ?? 0);
    const candidates = nodes.filter((n) => n.id !== this.deps.cluster.id && seats(n) > 0).sort((a, b) => seats(b) - seats(a));
    return candidates[0] ?? null;
  }
}
