import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { DeliveryLog } from '../../webhooks/delivery-log.js';
import type { WebhookStore } from '../../webhooks/webhook-store.js';
import { callerKey } from '../authenticate.js';
import { ProblemError } from '../../../common/problem.js';
import { defineRoute } from '../route.js';
import { createWebhookBody, createdWebhookSchema, deliveriesQuery, deliveryListSchema, webhookIdParams, webhookListSchema, webhookSchema } from '../schemas.js';

export interface WebhookRoutesDeps {
  webhooks: WebhookStore;
  deliveries: DeliveryLog;
}

const notFound = () => new ProblemError('webhook_not_found');

export function webhookRoutes({ webhooks, deliveries }: WebhookRoutesDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'Webhooks';

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/webhooks',
      tag,
      summary: 'Register a webhook',
      description:
        'Events of this key\'s rooms are POSTed as JSON `{ id, type, room_id, created_at, data }` with header ' +
        '`LevelChat-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, in order per room, retried with ' +
        'exponential backoff for over 24 hours with the same `id` (dedupe on it).',
      body: createWebhookBody,
      responses: { 201: { description: 'The webhook, with its signing secret', schema: createdWebhookSchema } },
      errors: { 400: 'Invalid body', 401: 'Missing or invalid API key' },
    },
    async ({ body, res }) => {
      const { webhook, secret } = await webhooks.create(callerKey(res).id, body.url, body.events ? [...new Set(body.events)] : null);
      return { status: 201, body: { ...webhook, secret } };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/webhooks',
      tag,
      summary: 'List webhooks',
      responses: { 200: { description: 'Webhooks', schema: webhookListSchema } },
      errors: { 401: 'Missing or invalid API key' },
    },
    async ({ res }) => ({ status: 200, body: { webhooks: await webhooks.list(callerKey(res).id) } }),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/webhooks/:id',
      tag,
      summary: 'Get a webhook',
      params: webhookIdParams,
      responses: { 200: { description: 'The webhook', schema: webhookSchema } },
      errors: { 400: 'Invalid id', 401: 'Missing or invalid API key', 404: 'No such webhook for this key' },
    },
    async ({ params, res }) => {
      const webhook = await webhooks.get(callerKey(res).id, params.id);
      if (!webhook) throw notFound();
      return { status: 200, body: webhook };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/webhooks/:id',
      tag,
      summary: 'Delete a webhook',
      description: 'Pending deliveries to it are dropped.',
      params: webhookIdParams,
      responses: { 204: { description: 'Deleted' } },
      errors: { 400: 'Invalid id', 401: 'Missing or invalid API key', 404: 'No such webhook for this key' },
    },
    async ({ params, res }) => {
      if (!(await webhooks.delete(callerKey(res).id, params.id))) throw notFound();
      await deliveries.clear(params.id);
      return { status: 204 };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/webhooks/:id/deliveries',
      tag,
      summary: 'Recent delivery attempts',
      description: 'Newest first: each attempt with its event, status, HTTP status or error, and duration.',
      params: webhookIdParams,
      query: deliveriesQuery,
      responses: { 200: { description: 'Attempts', schema: deliveryListSchema } },
      errors: { 400: 'Invalid id or query', 401: 'Missing or invalid API key', 404: 'No such webhook for this key' },
    },
    async ({ params, query, res }) => {
      if (!(await webhooks.get(callerKey(res).id, params.id))) throw notFound();
      return { status: 200, body: { deliveries: await deliveries.recent(params.id, query.limit) } };
    },
  );
  return router;
}
