import type { Feature } from './feature.js';

/** Ephemeral emoji reactions: never stored, rate-limited per participant. */
export const reactionsFeature: Feature = {
  async reaction({ participant, room }, { emoji }) {
    participant.require('reactions:send');
    room.limit(participant, 'reaction');
    room.broadcast('reaction', { participant_id: participant.id, emoji });
    return {};
  },
};
