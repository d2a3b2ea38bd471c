import { SOURCE_CAPABILITIES } from '../../auth/capability-rules.js';
import { SignalingError } from '../signaling-errors.js';
import type { Feature } from './feature.js';

/**
 * The session itself: a token expires and ends its session (`session-ending` a minute before,
 * then `token-expired`), unless the client brings a new token of the same identity and room.
 */
export const sessionFeature: Feature = {
  async refresh_token({ participant, room, services }, { token }) {
    const grant = await services.verify(token);
    if (grant.roomId !== room.id || grant.identity !== participant.identity) {
      throw new SignalingError('token_mismatch', 'a refresh token must be for the same room and identity');
    }
    participant.setGrant(grant);
    // Rights are the new token's: what it no longer allows to publish stops now.
    for (const [producerId, { source }] of [...participant.media.producers]) {
      if (!SOURCE_CAPABILITIES[source].some((c) => participant.has(c))) await room.unpublish(producerId);
    }
    return { expires_at: grant.expiresAt.toISOString() };
  },
};
