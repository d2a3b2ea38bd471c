import type { ApiKeyStore } from './api-key-store.js';
import type { Capability } from './capabilities.js';
import { mintPlaybackToken } from './playback-token.js';
import { mintRoomToken } from './room-token.js';

export class KeyGoneError extends Error {
  readonly code = 'invalid_api_key';
}

/** Mints room tokens for an API key (REST tokens, registrations, breakouts). */
export class TokenMinter {
  constructor(private readonly keys: ApiKeyStore) {}

  async mint(keyId: string, grant: { roomId: string; identity: string; name?: string | null; capabilities: Capability[]; metadata?: string | null; ttlS: number }) {
    const signingKey = await this.keys.signingKey(keyId);
    if (!signingKey) throw new KeyGoneError('the API key was deleted');
    return mintRoomToken(signingKey, keyId, { ...grant, capabilities: [...new Set(grant.capabilities)] });
  }

  /** A URL token to watch one room's LL-HLS (rooms that admit registered viewers only). */
  async mintPlayback(keyId: string, roomId: string, identity: string, ttlS?: number): Promise<string> {
    const signingKey = await this.keys.signingKey(keyId);
    if (!signingKey) throw new KeyGoneError('the API key was deleted');
    return mintPlaybackToken(signingKey, keyId, roomId, identity, ttlS);
  }
}

/** An audience token: no publish or moderation capability. */
export function isAudienceGrant(capabilities: readonly Capability[]): boolean {
  return !capabilities.some((c) => c.startsWith('publish:') || c === 'moderate:participants');
}
