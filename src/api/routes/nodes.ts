import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { callerKey } from '../authenticate.js';
import { ProblemError } from '../../../common/problem.js';
import { defineRoute } from '../route.js';
import type { NodeInfo } from '../../cluster/node-registry.js';

export const nodeSchema = z
  .object({
    id: z.string(),
    region: z.string(),
    url: z.string().meta({ description: 'Public HTTP URL of the node.' }),
    rtc_address: z.string().meta({ description: 'Address other nodes reach its media PipeTransports at.' }),
    workers: z.number().int(),
    load: z.object({
      cpu: z.number().meta({ description: 'CPU of the media workers, 0-1.' }),
      consumers: z.number().int(),
      rooms: z.number().int(),
      bitrate: z.number().optional().meta({ description: 'Bits per second sent to subscribers.' }),
    }),
    started_at: z.string(),
  })
  .meta({ id: 'Node' });

export const nodeListSchema = z.object({ nodes: z.array(nodeSchema) }).meta({ id: 'NodeList' });

/**
 * `GET /v1/nodes`: the live nodes of the cluster with their last reported load. Operators only:
 * keys from LEVELCHAT_API_KEYS, not the tenant keys created over the API (addresses are internal).
 */
export function nodeRoutes(nodes: { list(): Promise<NodeInfo[]> }, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/nodes',
      tag: 'Cluster',
      summary: 'List the live nodes',
      description: 'Every node sharing this Redis that sent a heartbeat within the last seconds, by id. Only for keys from `LEVELCHAT_API_KEYS`.',
      responses: { 200: { description: 'The live nodes', schema: nodeListSchema } },
      errors: { 403: 'A key created over the API (operator_only)' },
    },
    async ({ res }) => {
      if (callerKey(res).source !== 'config') {
        throw new ProblemError('operator_only', 'the node list needs a key from LEVELCHAT_API_KEYS');
      }
      return { status: 200, body: { nodes: await nodes.list() } };
    },
  );
  return router;
}
