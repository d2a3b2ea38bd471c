import { SignalingError } from '../protocol.js';
import type { Feature } from './feature.js';

/** `moderate:participants`: mute someone's track, remove someone, end the room for everyone. */
export const moderationFeature: Feature = {
  async mute_participant({ participant, room }, { participant_id, source }) {
    participant.require('moderate:participants');
    const target = room.participants.get(participant_id);
    if (!target) throw new SignalingError('not_found', `no participant ${participant_id}`);
    const muted: string[] = [];
    for (const [producerId, { producer, source: s }] of target.producers) {
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

  async end_room({ participant, room, services }) {
    participant.require('moderate:participants');
    await services.rooms.end(room.room.owner, room.id);
    return {};
  },
};
