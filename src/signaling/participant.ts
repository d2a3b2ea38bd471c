import { randomBytes } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Capability } from '../auth/capabilities.js';
import { PUBLISH_CAPABILITIES } from '../auth/capability-rules.js';
import type { RoomGrant } from '../auth/room-token.js';
import type { ReceiverSlot } from '../sfu/media-room.js';
import { RateLimit } from './rate-limit.js';
import { SignalingError, type MediaSource, type ParticipantInfo, type ServerEvents } from './protocol.js';

/** What a stage invitation grants for the session. */
export const STAGE_CAPABILITIES: readonly Capability[] = ['publish:camera', 'publish:screen'];

/** How the participant is reached; swapped when a dropped connection resumes. */
export interface ParticipantLink {
  send(frame: unknown): void;
  close(code: number, reason: string): void;
}

export interface OwnTransport {
  transport: types.WebRtcTransport;
  direction: 'send' | 'recv';
  /** Where it sits in the cascade (send transports: the origin, holding no reservation). */
  slot: ReceiverSlot;
}

/** One identity in one live room, with its transports, producers and consumers on this node. */
export class Participant {
  readonly id = `p_${randomBytes(8).toString('hex')}`;
  readonly resumeToken = randomBytes(24).toString('base64url');
  link: ParticipantLink | null;
  handRaised = false;
  /** Publish capabilities granted for this session by a moderator (stage invitation). */
  stageGrant: readonly Capability[] = [];
  /** Set while the connection is gone and a resume is still possible. */
  resumeTimer: NodeJS.Timeout | null = null;
  readonly transports = new Map<string, OwnTransport>();
  readonly producers = new Map<string, { producer: types.Producer; source: MediaSource }>();
  readonly consumers = new Map<string, { consumer: types.Consumer; producerId: string; slot: ReceiverSlot }>();
  readonly chatLimit = new RateLimit(5, 1);
  readonly reactionLimit = new RateLimit(10, 3);

  constructor(
    public grant: RoomGrant,
    link: ParticipantLink,
  ) {
    this.link = link;
  }

  get identity(): string {
    return this.grant.identity;
  }

  info(): ParticipantInfo {
    return {
      id: this.id,
      identity: this.grant.identity,
      name: this.grant.name,
      metadata: this.grant.metadata,
      hand_raised: this.handRaised,
      on_stage: this.onStage,
    };
  }

  has(capability: Capability): boolean {
    return this.grant.capabilities.includes(capability) || this.stageGrant.includes(capability);
  }

  get onStage(): boolean {
    return PUBLISH_CAPABILITIES.some((c) => this.has(c));
  }

  /** Capabilities are enforced at the moment of use, not only at join. */
  require(capability: Capability): void {
    if (!this.has(capability)) throw new SignalingError('capability_required', `this action needs the ${capability} capability`);
    if (this.grant.expiresAt.getTime() <= Date.now()) throw new SignalingError('token_expired', 'the token has expired');
  }

  send<E extends keyof ServerEvents>(event: E, data: ServerEvents[E]): void {
    this.link?.send({ event, data });
  }
}
