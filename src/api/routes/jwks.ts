import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { EdSigningKeys } from '../../auth/ed-signing-keys.js';
import { defineRoute } from '../route.js';
import { jwksSchema } from '../schemas.js';

/** Keys change rarely (rotation keeps the old ones listed), so verifiers may cache the set a while. */
const CACHE_CONTROL = 'public, max-age=300';

/** The public keys of EdDSA room tokens, without authentication: third parties verify tokens with them. */
export function jwksRoutes(edKeys: EdSigningKeys, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/.well-known/jwks.json',
      tag: 'Tokens',
      summary: 'Public keys of EdDSA room tokens',
      description: 'A JSON Web Key Set with the Ed25519 keys EdDSA room tokens are signed with (`kid` in the token header). Every node serves the same set.',
      authenticated: false,
      responses: { 200: { description: 'The key set', schema: jwksSchema } },
      errors: {},
    },
    async ({ res }) => {
      res.set('Cache-Control', CACHE_CONTROL);
      return { status: 200, body: await edKeys.jwks() };
    },
  );
  return router;
}
