import { hlsUrl } from '../../hls/hls-status.js';
import { SignalingError } from '../signaling-errors.js';
import type { Feature } from './feature.js';

/** A participant who may subscribe can also watch the room's LL-HLS: a playback token for its URL. */
export const playbackFeature: Feature = {
  async playback_token({ participant, room, services }) {
    participant.require('subscribe:all');
    if (!room.room.config.hls) throw new SignalingError('invalid_request', 'this room is not delivered over LL-HLS');
    room.limit(participant, 'playback');
    const token = await services.minter.mintPlayback(room.room.owner, room.id, participant.identity);
    return { hls_url: hlsUrl(room.id), playback_token: token };
  },
};
