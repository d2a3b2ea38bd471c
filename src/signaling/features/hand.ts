import { SignalingError } from '../protocol.js';
import type { Feature } from './feature.js';

/**
 * Raised hands (`hand:raise`): everyone sees who raised; moderators also get the ordered queue and
 * can lower (dismiss) anyone's hand.
 */
export const handFeature: Feature = {
  async raise_hand({ participant, room }, { raised }) {
    participant.require('hand:raise');
    if (raised === participant.handRaised) return { position: raised ? [...room.hands.keys()].indexOf(participant.id) + 1 : null };
    participant.handRaised = raised;
    if (raised) room.hands.set(participant.id, { participant_id: participant.id, identity: participant.identity, raised_at: new Date().toISOString() });
    else room.hands.delete(participant.id);
    room.broadcast('hand', { participant_id: participant.id, raised });
    room.publishHandQueue();
    if (raised) await room.emit('participant.hand_raised', { participant_id: participant.id, identity: participant.identity });
    return { position: raised ? room.hands.size : null };
  },

  async lower_hand({ participant, room }, { participant_id }) {
    participant.require('moderate:participants');
    const target = room.participants.get(participant_id);
    if (!target) throw new SignalingError('not_found', `no participant ${participant_id}`);
    if (!target.handRaised) return {};
    target.handRaised = false;
    room.hands.delete(target.id);
    room.broadcast('hand', { participant_id: target.id, raised: false });
    room.publishHandQueue();
    return {};
  },
};
