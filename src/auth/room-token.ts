import { randomBytes } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { z } from 'zod';
import { CAPABILITIES, type Capability } from './capabilities.js';

export const TOKEN_ISSUER = 'levelchat';
export const MAX_TOKEN_TTL_S = 7 * 24 * 3600;

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
  signingKey: Uint8Array,
  keyId: string,
  grant: { roomId: string; identity: string; name?: string | null; capabilities: Capability[]; metadata?: string | null; ttlS: number },
): Promise<{ token: string; jti: string; expiresAt: Date }> {
  const nowMs = Date.now();
  const jti = randomBytes(12).toString('base64url');
  const exp = Math.floor(nowMs / 1000) + grant.ttlS;
  const token = await new SignJWT({
    room: grant.roomId,
    caps: grant.capabilities,
    ...(grant.name ? { name: grant.name } : {}),
    ...(grant.metadata ? { meta: grant.metadata } : {}),
    iat_ms: nowMs,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: keyId })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(grant.identity)
    .setJti(jti)
    .setIssuedAt(Math.floor(nowMs / 1000))
    .setNotBefore(Math.floor(nowMs / 1000) - 5)
    .setExpirationTime(exp)
    .sign(signingKey);
  return { token, jti, expiresAt: new Date(exp * 1000) };
}

/**
 * Verifies signature, algorithm (HS256 only: `alg: none` and key confusion are refused), issuer,
 * expiry and not-before, and the claim shapes. Revocation and room checks are the caller's.
 */
export async function verifyRoomToken(token: string, signingKeyFor: (keyId: string) => Promise<Uint8Array | undefined>): Promise<RoomGrant> {
  if (typeof token !== 'string' || token.length > 8192) throw new TokenError('token_malformed', 'token is not a JWT');
  let kid: string | undefined;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch {
    throw new TokenError('token_malformed', 'token is not a JWT');
  }
  if (!kid) throw new TokenError('token_invalid', 'token has no key id');
  const key = await signingKeyFor(kid);
  if (!key) throw new TokenError('token_unknown_key', 'token was signed by an unknown or deleted API key');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, clockTolerance: 5 }));
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
  return {
    roomId: c.room,
    identity: c.sub,
    name: c.name ?? null,
    capabilities: c.caps,
    metadata: c.meta ?? null,
    jti: c.jti,
    issuedAtMs: c.iat_ms,
    expiresAt: new Date(c.exp * 1000),
    keyId: kid,
  };
}
