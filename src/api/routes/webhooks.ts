import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { WEBHOOK_BACKLOG_MAX, WEBHOOK_QUEUE_MAX } from '../../events/event-keys.js';
import type { DeliveryLog } from '../../webhooks/delivery-log.js';
import type { DestinationGuard } from '../../webhooks/destination-guard.js';
import { WEBHOOKS_PER_KEY, type WebhookStore } from '../../webhooks/webhook-store.js';
import { callerKey } from '../authenticate.js';
import { ProblemError } from '../../../common/problem.js';
import { defineChildList, defineGetAndDelete, defineKeyList } from '../resource-routes.js';
import { defineRoute } from '../route.js';
import { createWebhookBody, createdWebhookSchema, deliveriesQuery, deliveryListSchema, webhookIdParams, webhookListSchema, webhookSchema } from '../schemas.js';

export interface WebhookRoutesDeps {
  webhooks: WebhookStore;
  deliveries: DeliveryLog;
  destinations: DestinationGuard;
}

export function webhookRoutes({ webhooks, deliveries, destinations }: WebhookRoutesDeps, registry: OpenAPIRegistry): Router {
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
        'exponential backoff for over 24 hours with the same `id` (dedupe on it). ' +
        `At most ${WEBHOOK_QUEUE_MAX} events wait per room for one webhook, and ${WEBHOOK_BACKLOG_MAX} over all its rooms; later events are not ` +
        'queued for it while that many wait, and the webhook\'s `dropped_events` counts them; its `queued_events` is how many wait now. ' +
        `A key has at most ${WEBHOOKS_PER_KEY} webhooks. The URL's host must resolve to public addresses only (no loopback, private, ` +
        'link-local, CGNAT, multicast or unspecified address, nor IPv6 forms of them); it is checked again at every delivery.',
      body: createWebhookBody,
      responses: { 201: { description: 'The webhook, with its signing secret', schema: createdWebhookSchema } },
      errors: {
        400: 'Invalid body',
        409: `The key has ${WEBHOOKS_PER_KEY} webhooks already (webhook_limit)`,
        422: 'The URL does not resolve to public addresses only (webhook_destination_refused)',
      },
    },
    async ({ body, res }) => {
      if (!(await destinations.allows(body.url))) {
        throw new ProblemError('webhook_destination_refused', 'the URL\'s host must resolve, and only to public addresses (no loopback, private, link-local, multicast or unspecified address)');
      }
      const caller = callerKey(res);
      const created = await webhooks.create(caller.id, caller.tree, body.url, body.events ? [...new Set(body.events)] : null);
      if (created === 'limit') throw new ProblemError('webhook_limit', `a key has at most ${WEBHOOKS_PER_KEY} webhooks; delete one first`);
      return { status: 201, body: { ...created.webhook, secret: created.secret } };
    },
  );

  defineKeyList(router, registry, { key: 'webhooks', tag, summary: 'List webhooks', schema: webhookListSchema, listed: 'Webhooks' }, (owner) => webhooks.list(owner));

  defineGetAndDelete(
    router,
    registry,
    {
      path: '/v1/webhooks/:id',
      tag,
      params: webhookIdParams,
      noun: 'webhook',
      schema: webhookSchema,
      notFound: 'webhook_not_found',
      getSummary: 'Get a webhook',
      deleteSummary: 'Delete a webhook',
      deleteDescription: 'Pending deliveries to it are dropped.',
    },
    {
      get: (owner, { id }) => webhooks.get(owner, id),
      delete: async (owner, { id }) => {
        if (!(await webhooks.delete(owner, id))) return false;
        await deliveries.clear(id);
        return true;
      },
    },
  );

  defineChildList(
    router,
    registry,
    {
      path: '/v1/webhooks/:id/deliveries',
      params: webhookIdParams,
      key: 'deliveries',
      tag,
      summary: 'Recent delivery attempts',
      description: 'Newest first: each attempt with its event, status, HTTP status or error, and duration.',
      query: deliveriesQuery,
      schema: deliveryListSchema,
      listed: 'Attempts',
      errors: { 400: 'Invalid id or query', 404: 'No such webhook for this key' },
    },
    async (owner, { id }) => {
      if (!(await webhooks.get(owner, id))) throw new ProblemError('webhook_not_found');
    },
    (_owner, { id }, query) => deliveries.recent(id, query.limit),
  );
  return router;
}
