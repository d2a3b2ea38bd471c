import { SignalingError } from '../signaling-errors.js';
import type { Feature } from './feature.js';

/**
 * Raised hands (`hand:raise`): everyone sees who raised; moderators also get the ordered queue and
 * can lower (dismiss) anyone's hand. Raising and lowering is rate-limited per identity: each change
 * reaches the whole room.
 */
export const handFeature: Feature = {
  async raise_hand({ participant, room }, { raised }) {
    participant.require('hand:raise');
    room.limit(participant, 'hand');
    if (!raised) {
      room.lowerHand(participant);
      return { position: null };
    }
    return { position: await room.raiseHand(participant) };
  },

  async lower_hand({ participant, room }, { participant_id }) {
    participant.require('moderate:participants');
    const target = room.participants.get(participant_id);
    if (!target) throw new SignalingError('not_found', `no participant ${participant_id}`);
    room.lowerHand(target);
    return {};
  },
};
