import { SignalingError } from '../signaling-errors.js';
import type { Feature } from './feature.js';

/** Ephemeral emoji reactions: never stored, rate-limited per participant. */
export const reactionsFeature: Feature = {
  async reaction({ participant, room }, { emoji }) {
    participant.require('reactions:send');
    if (!participant.reactionLimit.take()) throw new SignalingError('rate_limited', 'too many reactions; slow down');
    room.broadcast('reaction', { participant_id: participant.id, emoji });
    return {};
  },
};
