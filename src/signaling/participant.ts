import { randomBytes } from 'node:crypto';
import type { types } from 'mediasoup';
import type { Capability } from '../auth/capabilities.js';
import { PUBLISH_CAPABILITIES } from '../auth/capability-rules.js';
import type { RoomGrant } from '../auth/room-token.js';
import type { ReceiverSlot } from '../sfu/media-room.js';
import { RateLimit } from './rate-limit.js';
import type { MediaSource, ParticipantInfo, ServerEvents } from './protocol.js';
import { SignalingError } from './signaling-errors.js';

/** What a stage invitation grants for the session. */
const STAGE_CAPABILITIES: readonly Capability[] = ['publish:camera', 'publish:screen'];

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
  #grant: RoomGrant;
  #link: ParticipantLink | null;
  #handRaised = false;
  /** Publish capabilities granted for this session by a moderator (stage invitation). */
  #stageGrant: readonly Capability[] = [];
  /** Set while the connection is gone and a resume is still possible. */
  #resumeTimer: NodeJS.Timeout | null = null;
  readonly transports = new Map<string, OwnTransport>();
  readonly producers = new Map<string, { producer: types.Producer; source: MediaSource }>();
  readonly consumers = new Map<string, { consumer: types.Consumer; producerId: string; slot: ReceiverSlot }>();
  readonly chatLimit = new RateLimit(5, 1);
  readonly reactionLimit = new RateLimit(10, 3);

  constructor(grant: RoomGrant, link: ParticipantLink) {
    this.#grant = grant;
    this.#link = link;
  }

  get grant(): RoomGrant {
    return this.#grant;
  }

  get identity(): string {
    return this.#grant.identity;
  }

  get handRaised(): boolean {
    return this.#handRaised;
  }

  /** Whether a moderator brought this participant on stage (rather than its token). */
  get invitedOnStage(): boolean {
    return this.#stageGrant.length > 0;
  }

  /** Whether `link` is how this participant is reached now (not replaced by a resume). */
  isReachedBy(link: ParticipantLink): boolean {
    return this.#link === link;
  }

  /** A dropped connection came back within the resume window, maybe with a fresh token. */
  resume(link: ParticipantLink, grant: RoomGrant): void {
    this.#clearResume();
    this.#link?.close(4000, 'resumed elsewhere');
    this.#link = link;
    this.#grant = grant;
  }

  /** The connection dropped: `expired` runs unless the participant resumes within `windowMs`. */
  awaitResume(windowMs: number, expired: () => void): void {
    this.#link = null;
    this.#clearResume();
    this.#resumeTimer = setTimeout(expired, windowMs);
  }

  /** Stops reaching the participant; the link is the caller's to close (or not). */
  detach(): ParticipantLink | null {
    const link = this.#link;
    this.#link = null;
    return link;
  }

  /** Closes the connection for good. */
  disconnect(code: number, reason: string): void {
    this.detach()?.close(code, reason);
  }

  /** The participant left its room: nothing may resume it. */
  close(): void {
    this.#clearResume();
    this.#link = null;
  }

  /** Set by the room's hand queue; true when it changed. */
  setHandRaised(raised: boolean): boolean {
    if (this.#handRaised === raised) return false;
    this.#handRaised = raised;
    return true;
  }

  /** Publish rights for this session (a stage invitation), or back to the token's own. */
  setInvitedOnStage(invited: boolean): void {
    this.#stageGrant = invited ? STAGE_CAPABILITIES : [];
  }

  info(): ParticipantInfo {
    return {
      id: this.id,
      identity: this.#grant.identity,
      name: this.#grant.name,
      metadata: this.#grant.metadata,
      hand_raised: this.#handRaised,
      on_stage: this.onStage,
    };
  }

  has(capability: Capability): boolean {
    return this.#grant.capabilities.includes(capability) || this.#stageGrant.includes(capability);
  }

  get onStage(): boolean {
    return PUBLISH_CAPABILITIES.some((c) => this.has(c));
  }

  /** Capabilities are enforced at the moment of use, not only at join. */
  require(capability: Capability): void {
    if (!this.has(capability)) throw new SignalingError('capability_required', `this action needs the ${capability} capability`);
    if (this.#grant.expiresAt.getTime() <= Date.now()) throw new SignalingError('token_expired', 'the token has expired');
  }

  send<E extends keyof ServerEvents>(event: E, data: ServerEvents[E]): void {
    this.#link?.send({ event, data });
  }

  #clearResume(): void {
    if (this.#resumeTimer) clearTimeout(this.#resumeTimer);
    this.#resumeTimer = null;
  }
}
