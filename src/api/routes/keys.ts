import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { ApiKeyStore } from '../../auth/api-key-store.js';
import type { KeyRetirement } from '../../auth/key-retirement.js';
import { callerKey } from '../authenticate.js';
import { ProblemError } from '../../../common/problem.js';
import { defineKeyList } from '../resource-routes.js';
import { defineRoute } from '../route.js';
import { KEYS_PER_TREE } from '../../auth/key-tree.js';
import { keyListSchema, createKeyBody, createdKeySchema, deleteKeyQuery, keyIdParams } from '../schemas.js';

export interface KeyRoutesDeps {
  keys: ApiKeyStore;
  /** A deleted key's live rooms end and its webhooks go with it. */
  retirement: Pick<KeyRetirement, 'retire'>;
}

export function keyRoutes({ keys, retirement }: KeyRoutesDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'API keys';

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/keys',
      tag,
      summary: 'Create an API key',
      description:
        'The new key is a scope of its own: it sees only the rooms and webhooks it creates. The secret is shown once. ' +
        `It joins the caller's key tree (the config key it descends from), which shares one rate limit and holds at most ${KEYS_PER_TREE} keys made here.`,
      body: createKeyBody,
      responses: { 201: { description: 'The key, with its secret', schema: createdKeySchema } },
      errors: { 400: 'Invalid body', 409: `The key tree holds ${KEYS_PER_TREE} keys already (key_limit)` },
    },
    async ({ body, res }) => {
      const { record, key } = await keys.create(callerKey(res).id, body.name ?? '');
      return { status: 201, body: { ...record, key } };
    },
  );

  defineKeyList(
    router,
    registry,
    { key: 'keys', tag, summary: 'List API keys', description: 'The calling key and the keys it created. Secrets are never returned.', schema: keyListSchema, listed: 'Keys' },
    (owner) => keys.listVisibleTo(owner),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/keys/:id',
      tag,
      summary: 'Delete an API key',
      description:
        'A key can delete itself or the keys it created. With `cascade=true` every key below it is deleted too; without, the keys it created ' +
        'are handed to its own creator. What every deleted key made stops with it: its rooms that are not over end (participants are sent ' +
        'away with `host_ended`; the rooms and their recordings stay, ended), and its webhooks are deleted (nothing more is delivered to them), ' +
        'before the answer; should the server stop half way, another node finishes it within about 90 s. ' +
        'Keys from LEVELCHAT_API_KEYS are removed from the config instead.',
      params: keyIdParams,
      query: deleteKeyQuery,
      responses: { 204: { description: 'Deleted' } },
      errors: { 400: 'Invalid key id', 404: 'No such key visible to the caller', 409: 'A key from the config (key_from_config)' },
    },
    async ({ params, query, res }) => {
      const outcome = await keys.delete(callerKey(res).id, params.id, query.cascade === 'true');
      if (outcome === 'not_found') throw new ProblemError('key_not_found');
      if (outcome === 'config_key') throw new ProblemError('key_from_config', 'remove it from LEVELCHAT_API_KEYS');
      // Before answering, as the description promises; if that fails half way, the sweep finishes it.
      await retirement.retire(outcome);
      return { status: 204 };
    },
  );
  return router;
}
