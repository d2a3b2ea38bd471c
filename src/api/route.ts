import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { problemSchema } from './schemas.js';
import { validate } from './validate.js';

type AnyObject = z.ZodType<Record<string, unknown>>;

/** Every REST route lives under this prefix; routers are mounted there, specs carry full paths. */
export const API_PREFIX = '/v1';

/** What every API-key route answers without a valid key. */
const API_KEY_401 = 'Missing or invalid API key';

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends AnyObject> {
  method: 'get' | 'post' | 'delete';
  /** Express-style path, e.g. `/v1/rooms/:id`. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Success responses; error responses (problem+json) are listed by status. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** An API-key route's 401 is implied. */
  errors?: Record<number, string>;
  /** Whether the route needs an API key (default yes); `'roomToken'`: a viewer's or participant's own token instead (documented so). */
  authenticated?: boolean | 'roomToken';
}

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export type RouteResult = { status: number; body?: unknown; contentType?: string };

/**
 * Declares one REST route: the express handler validates path, query and body with the spec's zod
 * schemas, and the same spec documents the route in the OpenAPI registry.
 */
export function defineRoute<P extends AnyObject, Q extends AnyObject, B extends AnyObject>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: RouteSpec<P, Q, B>,
  handler: (input: RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<RouteResult>,
): void {
  if (!spec.path.startsWith(`${API_PREFIX}/`)) throw new Error(`route ${spec.path} must start with ${API_PREFIX}/`);
  router[spec.method](spec.path.slice(API_PREFIX.length), async (req, res, next) => {
    try {
      const params = spec.params ? validate(spec.params, req.params, 'path') : {};
      const query = spec.query ? validate(spec.query, req.query, 'query') : {};
      const body = spec.body ? validate(spec.body, req.body, 'body') : {};
      const result = await handler({ params, query, body, req, res } as RouteInput<z.infer<P>, z.infer<Q>, z.infer<B>>);
      res.status(result.status);
      if (result.body === undefined) res.end();
      else if (result.contentType) res.type(result.contentType).send(result.body);
      else res.json(result.body);
    } catch (err) {
      next(err);
    }
  });

  const problem = { content: { 'application/problem+json': { schema: problemSchema } } };
  const authenticated = spec.authenticated ?? true;
  const errors = { ...(authenticated === true ? { 401: API_KEY_401 } : {}), ...spec.errors };
  registry.registerPath({
    method: spec.method,
    path: spec.path.replace(/:([A-Za-z_]+)/g, '{$1}'),
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(authenticated === false ? {} : { security: [{ [authenticated === 'roomToken' ? 'roomToken' : 'apiKey']: [] }] }),
    request: {
      ...(spec.params ? { params: spec.params as never } : {}),
      ...(spec.query ? { query: spec.query as never } : {}),
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body } } } } : {}),
    },
    responses: {
      ...Object.fromEntries(
        Object.entries(spec.responses).map(([status, r]) => [
          status,
          { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}) },
        ]),
      ),
      ...Object.fromEntries(Object.entries(errors).map(([status, description]) => [status, { description, ...problem }])),
    },
  });
}
