import { randomBytes } from 'node:crypto';
import type { Capability } from '../auth/capabilities.js';
import { PUBLISH_CAPABILITIES } from '../auth/capability-rules.js';
import type { RoomGrant } from '../auth/room-token.js';
import { ParticipantMedia } from './participant-media.js';
import type { ParticipantInfo, ServerEvents } from './protocol.js';
import { SessionExpiry } from './session-expiry.js';
import { SignalingError } from './signaling-errors.js';

/** What a stage invitation grants for the session. */
const STAGE_CAPABILITIES: readonly Capability[] = ['publish:camera', 'publish:screen'];

/** How the participant is reached; swapped when a dropped connection resumes. */
export interface ParticipantLink {
  send(frame: unknown): void;
  close(code: number, reason: string): void;
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
  /** Its transports, producers and consumers on this node, within their limits. */
  readonly media = new ParticipantMedia();
  /** What ends the session when its token expires (set once it is in its room). */
  #onExpired: (() => void) | null = null;
  readonly #expiry = new SessionExpiry({
    ending: (expiresAt) => this.send('session-ending', { expires_at: expiresAt.toISOString(), seconds_left: Math.max(0, Math.round((expiresAt.getTime() - Date.now()) / 1000)) }),
    expired: () => this.#onExpired?.(),
  });

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
    this.setGrant(grant);
  }

  /**
   * The session lasts as long as its token: `expired` runs when the token expires (the participant
   * is told a minute before), unless a resume or a refresh brings a later one.
   */
  endsWithToken(expired: () => void): void {
    this.#onExpired = expired;
    this.#expiry.watch(this.#grant.expiresAt);
  }

  /** A new token for the same identity and room (a resume, `refresh_token`): its rights and expiry from now on. */
  setGrant(grant: RoomGrant): void {
    this.#grant = grant;
    if (this.#onExpired) this.#expiry.watch(grant.expiresAt);
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
    this.#expiry.cancel();
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
