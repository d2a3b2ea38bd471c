import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { webhookEventSchema } from './schemas.js';

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `Authorization: Bearer lc_pk_<id>.<secret>`.',
  });
  // Not used by any route (it is what we POST to integrators), so it is listed as a component.
  registry.registerComponent('schemas', 'WebhookEvent', z.toJSONSchema(webhookEventSchema, { target: 'draft-2020-12' }) as never);
  return registry;
}

/** The OpenAPI 3.1 document, generated from the zod schemas the routes validate with. */
export function openApiDocument(registry: OpenAPIRegistry) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'LevelChat API',
      version: '1.0.0',
      description: 'Rooms, tokens, API keys and webhooks. Every error is application/problem+json with a stable `code`.',
    },
    servers: [{ url: '/' }],
  });
}
