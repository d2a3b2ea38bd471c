import { SignalingError } from '../signaling-errors.js';
import type { Feature } from './feature.js';

/** `moderate:participants`: mute someone's track, remove someone, end the room for everyone. */
export const moderationFeature: Feature = {
  async mute_participant({ participant, room }, { participant_id, source }) {
    participant.require('moderate:participants');
    const target = room.participants.get(participant_id);
    if (!target) throw new SignalingError('not_found', `no participant ${participant_id}`);
    const muted: string[] = [];
    for (const [producerId, { producer, source: s }] of target.media.producers) {
      if (source ? s !== source : producer.kind !== 'audio') continue;
      await producer.pause();
      muted.push(producerId);
      room.broadcast('track-muted', { producer_id: producerId, participant_id, by: participant.id });
    }
    return { muted };
  },

  async kick_participant({ participant, room, services }, { participant_id }) {
    participant.require('moderate:participants');
    const target = room.participants.get(participant_id);
    if (!target) throw new SignalingError('not_found', `no participant ${participant_id}`);
    // A kicked participant's token is revoked so it cannot simply rejoin.
    await services.revocations.revoke(room.id, target.identity);
    await services.remove(room, target, { kind: 'kicked', reason: 'kicked' });
    return {};
  },

  /** Brings an audience member on stage: publish rights for this session, announced to all. */
  async invite_to_stage({ participant, room, services }, { participant_id }) {
    participant.require('moderate:participants');
    const target = room.participants.get(participant_id);
    if (!target) {
      // A viewer watching from another node comes here to take the stage.
      if (await services.inviteFromOtherNode(room, participant_id)) return {};
      throw new SignalingError('not_found', `no participant ${participant_id}`);
    }
    room.inviteOnStage(target);
    return {};
  },

  /** Back to the audience: the session's publish rights and its tracks go. */
  async remove_from_stage({ participant, room }, { participant_id }) {
    participant.require('moderate:participants');
    const target = room.participants.get(participant_id);
    if (!target) throw new SignalingError('not_found', `no participant ${participant_id}`);
    if (!target.invitedOnStage) throw new SignalingError('invalid_request', 'only invited participants can be moved back to the audience');
    await room.removeFromStage(target);
    return {};
  },

  async promote_room({ participant, room, services }) {
    participant.require('moderate:participants');
    await services.rooms.promote(room.room.owner, room.id);
    return {};
  },

  async end_room({ participant, room, services }) {
    participant.require('moderate:participants');
    await services.rooms.end(room.room.owner, room.id);
    return {};
  },
};
