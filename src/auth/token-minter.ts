import { DomainError } from '../../common/problem.js';
import type { ApiKeyStore } from './api-key-store.js';
import type { Capability } from './capabilities.js';
import type { EdSigningKeys } from './ed-signing-keys.js';
import { mintPlaybackToken } from './playback-token.js';
import type { Clock } from './redis-clock.js';
import { mintRoomToken, verifyRoomToken, type RoomGrant, type TokenAlg, type TokenKeys, type TokenSigner } from './room-token.js';

export class KeyGoneError extends DomainError<'invalid_api_key'> {
  constructor(message: string) {
    super('invalid_api_key', message);
  }
}

/**
 * Mints room tokens for an API key (REST tokens, registrations, breakouts) and verifies them. Issue
 * times come from `clock` (Redis' in a node), the clock revocations are compared with.
 */
export class TokenMinter {
  private readonly tokenKeys: TokenKeys;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly edKeys: EdSigningKeys,
    private readonly clock: Clock,
  ) {
    this.tokenKeys = { signingKey: (id) => keys.signingKey(id), edPublicKey: (kid) => edKeys.publicKey(kid) };
  }

  async mint(
    keyId: string,
    grant: { roomId: string; identity: string; name?: string | null; capabilities: Capability[]; metadata?: string | null; ttlS: number },
    alg: TokenAlg = 'HS256',
  ) {
    const signingKey = await this.keys.signingKey(keyId);
    if (!signingKey) throw new KeyGoneError('the API key was deleted');
    const signer: TokenSigner = alg === 'EdDSA' ? { alg, ...(await this.edKeys.current()) } : { alg, kid: keyId, key: signingKey };
    return mintRoomToken(signer, keyId, { ...grant, capabilities: [...new Set(grant.capabilities)] }, await this.clock());
  }

  /** The grant of a room token of either algorithm; throws a TokenError when it is refused. */
  verify(token: string): Promise<RoomGrant> {
    return verifyRoomToken(token, this.tokenKeys);
  }

  /** A URL token to watch one room's LL-HLS (rooms that admit registered viewers only). */
  async mintPlayback(keyId: string, roomId: string, identity: string, ttlS?: number): Promise<string> {
    const signingKey = await this.keys.signingKey(keyId);
    if (!signingKey) throw new KeyGoneError('the API key was deleted');
    return mintPlaybackToken(signingKey, keyId, { roomId, identity, ttlS }, await this.clock());
  }
}
