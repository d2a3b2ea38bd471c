import type { Feature } from './feature.js';

/** Raise or lower a hand (`hand:raise`); everyone sees it. */
export const handFeature: Feature = {
  async raise_hand({ participant, room }, { raised }) {
    participant.require('hand:raise');
    participant.handRaised = raised;
    room.broadcast('hand', { participant_id: participant.id, raised });
    return {};
  },
};
