import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

/** Ed25519 key ids start with `ed_`; API key ids are letters and digits only, so they never meet. */
const ED_KEY_ID_PREFIX = 'ed_';
const ED_KEY_ID_PATTERN = /^ed_[A-Za-z0-9_-]{16}$/;

export const isEdKeyId = (kid: string): boolean => kid.startsWith(ED_KEY_ID_PREFIX);
/** Whether `kid` has the exact shape of an Ed25519 key id (checked before any lookup). */
export const isEdKeyIdShape = (kid: string): boolean => ED_KEY_ID_PATTERN.test(kid);

/** Every key ever made (kid → private JWK) stays here, so tokens it signed verify and the JWKS lists it. */
const KEYS = 'lc:tokenkeys:ed25519';
/** The kid new tokens are signed with. */
const CURRENT = 'lc:tokenkeys:ed25519:current';

/** A stored private key: the JWK node:crypto exports for an Ed25519 key. */
const privateJwkSchema = z.object({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), d: z.string() });

// The first node to get here makes its key the current one; the others adopt it.
const ADOPT_OR_CREATE_LUA = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
end
return redis.call('GET', KEYS[1])
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcAdoptEdKey(current: string, keys: string, kid: string, privateJwk: string): Result<string, Context>;
  }
}

/**
 * The cluster's Ed25519 token signing keys, shared by every node through Redis. The private keys are
 * stored there as JWKs: Redis is trusted (whoever can read it can also forge rooms and API keys).
 * One key is current, made on first use. Rotating means pointing `current` at a new kid; older keys
 * stay listed so the tokens they signed keep verifying. A node signs with the key it loaded until it restarts.
 */
export class EdSigningKeys {
  private readonly privateKeys = new Map<string, KeyObject>();
  private currentKey: Promise<{ kid: string; key: KeyObject }> | undefined;

  constructor(private readonly redis: Redis) {
    redis.defineCommand('lcAdoptEdKey', { numberOfKeys: 2, lua: ADOPT_OR_CREATE_LUA });
  }

  /** The private key new EdDSA tokens are signed with, and its kid. */
  current(): Promise<{ kid: string; key: KeyObject }> {
    this.currentKey ??= this.adoptOrCreate().catch((err: unknown) => {
      this.currentKey = undefined;
      throw err;
    });
    return this.currentKey;
  }

  /** The public key of `kid`, or undefined when the cluster never made it. */
  async publicKey(kid: string): Promise<KeyObject | undefined> {
    const privateKey = await this.privateKey(kid);
    return privateKey && createPublicKey(privateKey);
  }

  /** Every key's public half, the current one included (made now if there is none yet). */
  async jwks() {
    await this.current();
    const stored = await this.redis.hgetall(KEYS);
    const keys = Object.entries(stored).map(([kid, jwk]) => {
      const { x } = createPublicKey(parsePrivateJwk(jwk, kid)).export({ format: 'jwk' });
      return { kty: 'OKP', crv: 'Ed25519', x: x!, kid, alg: 'EdDSA', use: 'sig' } as const;
    });
    return { keys };
  }

  private async adoptOrCreate(): Promise<{ kid: string; key: KeyObject }> {
    const kid = `${ED_KEY_ID_PREFIX}${randomBytes(12).toString('base64url')}`;
    const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
    const currentKid = await this.redis.lcAdoptEdKey(CURRENT, KEYS, kid, JSON.stringify(jwk));
    const key = await this.privateKey(currentKid);
    if (!key) throw new Error(`Ed25519 key ${currentKid} is current but missing from ${KEYS}`);
    return { kid: currentKid, key };
  }

  private async privateKey(kid: string): Promise<KeyObject | undefined> {
    if (!ED_KEY_ID_PATTERN.test(kid)) return undefined;
    const cached = this.privateKeys.get(kid);
    if (cached) return cached;
    const jwk = await this.redis.hget(KEYS, kid);
    if (!jwk) return undefined;
    const key = parsePrivateJwk(jwk, kid);
    this.privateKeys.set(kid, key);
    return key;
  }
}

function parsePrivateJwk(json: string, kid: string): KeyObject {
  return createPrivateKey({ key: parseJsonWith(privateJwkSchema, json, `Ed25519 key ${kid}`), format: 'jwk' });
}
