import { randomBytes, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { CAPABILITIES, type Capability } from './capabilities.js';
import { isApiKeyId } from './api-key.js';
import { isEdKeyId, isEdKeyIdShape } from './ed-signing-keys.js';

export const TOKEN_ISSUER = 'levelchat';
export const MAX_TOKEN_TTL_S = 7 * 24 * 3600;
/** Clock skew allowed between a token's `iat_ms` and `exp` beyond the cap. */
const LIFETIME_SLACK_S = 60;

/** HS256: signed with the API key's derived secret. EdDSA: with the cluster's Ed25519 key (JWKS). */
export const TOKEN_ALGS = ['HS256', 'EdDSA'] as const;
export type TokenAlg = (typeof TOKEN_ALGS)[number];

/** The key a token is signed with; `kid` is the API key id (HS256) or the Ed25519 key id (EdDSA). */
export type TokenSigner = { alg: 'HS256'; kid: string; key: Uint8Array } | { alg: 'EdDSA'; kid: string; key: KeyObject };

/** Where verification finds keys. */
export interface TokenKeys {
  /** The HS256 key of an API key; undefined once the key is deleted. */
  signingKey(apiKeyId: string): Promise<Uint8Array | undefined>;
  /** The public half of one of the cluster's Ed25519 keys. */
  edPublicKey(kid: string): Promise<KeyObject | undefined>;
}

/** What a room token grants: one identity in one room, with exactly these capabilities. */
export interface RoomGrant {
  roomId: string;
  identity: string;
  name: string | null;
  capabilities: Capability[];
  metadata: string | null;
  jti: string;
  /** Issue time in ms: revocation compares against it (JWT `iat` only has seconds). */
  issuedAtMs: number;
  expiresAt: Date;
  keyId: string;
}

const claimsSchema = z.object({
  iss: z.literal(TOKEN_ISSUER),
  sub: z.string().min(1).max(128),
  room: z.string().min(1).max(128),
  caps: z.array(z.enum(CAPABILITIES)).max(CAPABILITIES.length),
  name: z.string().max(256).optional(),
  meta: z.string().max(4096).optional(),
  jti: z.string().min(8).max(64),
  iat_ms: z.number().int().positive(),
  exp: z.number().int(),
  // The API key that minted an EdDSA token (its kid names the cluster's key, not the API key).
  key_id: z.string().refine(isApiKeyId).optional(),
});

/** Stable reasons a token is refused; they reach clients as error codes. */
export type TokenErrorCode = 'token_malformed' | 'token_invalid' | 'token_expired' | 'token_not_yet_valid' | 'token_unknown_key';

export class TokenError extends Error {
  constructor(
    readonly code: TokenErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export async function mintRoomToken(
  signer: TokenSigner,
  apiKeyId: string,
  grant: { roomId: string; identity: string; name?: string | null; capabilities: Capability[]; metadata?: string | null; ttlS: number },
  /** The issue time: what revocations compare with. */
  nowMs = Date.now(),
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const jti = randomBytes(12).toString('base64url');
  const exp = Math.floor(nowMs / 1000) + grant.ttlS;
  const token = await new SignJWT({
    room: grant.roomId,
    caps: grant.capabilities,
    ...(grant.name ? { name: grant.name } : {}),
    ...(grant.metadata ? { meta: grant.metadata } : {}),
    iat_ms: nowMs,
    ...(signer.alg === 'EdDSA' ? { key_id: apiKeyId } : {}),
  })
    .setProtectedHeader({ alg: signer.alg, typ: 'JWT', kid: signer.kid })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(grant.identity)
    .setJti(jti)
    .setIssuedAt(Math.floor(nowMs / 1000))
    .setNotBefore(Math.floor(nowMs / 1000) - 5)
    .setExpirationTime(exp)
    .sign(signer.key);
  return { token, jti, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies signature, algorithm (the one the kid's kind of key takes: HS256 for an API key id, EdDSA
 * for an `ed_` id, so `alg: none` and key confusion are refused), issuer, expiry and not-before, the
 * claim shapes, and that the API key behind the token still exists. Revocation and room checks are
 * the caller's.
 */
export async function verifyRoomToken(token: string, keys: TokenKeys): Promise<RoomGrant> {
  if (typeof token !== 'string' || token.length > 8192) throw new TokenError('token_malformed', 'token is not a JWT');
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new TokenError('token_malformed', 'token is not a JWT');
  }
  if (!kid) throw new TokenError('token_invalid', 'token has no key id');
  // Checked by shape before any lookup, so garbage never reaches Redis or a key cache.
  if (typeof kid !== 'string' || !(isApiKeyId(kid) || isEdKeyIdShape(kid))) throw new TokenError('token_malformed', 'token key id is malformed');
  const signedByCluster = isEdKeyId(kid);
  const key = signedByCluster ? await keys.edPublicKey(kid) : await keys.signingKey(kid);
  if (!key) throw new TokenError('token_unknown_key', 'token was signed by an unknown or deleted key');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: [signedByCluster ? 'EdDSA' : 'HS256'], issuer: TOKEN_ISSUER, clockTolerance: 5 }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new TokenError('token_expired', 'token has expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') {
      throw new TokenError('token_not_yet_valid', 'token is not valid yet');
    }
    throw new TokenError('token_invalid', 'token signature or claims are invalid');
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw new TokenError('token_invalid', 'token claims are invalid');
  const c = claims.data;
  // Minting caps lifetimes; a token signed elsewhere (offline, with the derived key) is held to the same cap.
  if (c.exp - Math.floor(c.iat_ms / 1000) > MAX_TOKEN_TTL_S + LIFETIME_SLACK_S) throw new TokenError('token_invalid', `token lifetime exceeds ${MAX_TOKEN_TTL_S} s`);
  const apiKeyId = signedByCluster ? c.key_id : kid;
  if (!apiKeyId) throw new TokenError('token_invalid', 'token does not name the API key that minted it');
  // An HS256 token proves its API key exists by verifying; an EdDSA one must be checked.
  if (signedByCluster && !(await keys.signingKey(apiKeyId))) throw new TokenError('token_unknown_key', 'token was minted by an unknown or deleted API key');
  return {
    roomId: c.room,
    identity: c.sub,
    name: c.name ?? null,
    capabilities: c.caps,
    metadata: c.meta ?? null,
    jti: c.jti,
    issuedAtMs: c.iat_ms,
    expiresAt: new Date(c.exp * 1000),
    keyId: apiKeyId,
  };
}
