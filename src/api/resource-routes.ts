import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Router } from 'express';
import { z } from 'zod';
import { ProblemError, type ProblemCode } from '../../common/problem.js';
import { roomIdSchema } from '../../common/room-id.js';
import type { RoomService } from '../rooms/room-service.js';
import type { Room } from '../rooms/room.js';
import { callerKey } from './authenticate.js';
import { defineRoute } from './route.js';
import { roomIdParams } from './schemas.js';

type AnyObject = z.ZodType<Record<string, unknown>>;

export interface RoomListSpec<Q extends AnyObject> {
  /** The room's sub-resource: the path is `/v1/rooms/:id/<key>`, the response `{ <key>: [...] }`. */
  key: string;
  tag: string;
  summary: string;
  description?: string;
  query?: Q;
  item: z.ZodType;
  /** The OpenAPI id of the list schema. */
  listId: string;
  /** The 200 response's description (what is listed, in which order). */
  listed: string;
}

/** GET /v1/rooms/:id/<key>: 404 unless the caller's key owns the room, then the room's `<key>`. */
export function defineRoomList<Q extends AnyObject = z.ZodObject<{}>>(
  router: Router,
  registry: OpenAPIRegistry,
  rooms: Pick<RoomService, 'get'>,
  spec: RoomListSpec<Q>,
  list: (owner: string, roomId: string, query: z.infer<Q>) => Promise<unknown[]>,
): void {
  const { key, tag, summary, description, query, listed } = spec;
  defineChildList(
    router,
    registry,
    {
      path: `/v1/rooms/:id/${key}`,
      params: roomIdParams,
      key,
      tag,
      summary,
      description,
      query,
      schema: z.object({ [key]: z.array(spec.item) }).meta({ id: spec.listId }),
      listed,
      errors: { 400: 'Invalid room id', 404: 'No such room for this key' },
    },
    (owner, params) => rooms.get(owner, params.id),
    (owner, params, q) => list(owner, params.id, q),
  );
}

export interface ChildListSpec<P extends AnyObject, Q extends AnyObject> {
  /** Below its parent, e.g. `/v1/webhooks/:id/deliveries`; the response is `{ <key>: [...] }` (`schema`). */
  path: string;
  params: P;
  key: string;
  tag: string;
  summary: string;
  description?: string;
  query?: Q;
  schema: z.ZodType;
  /** The 200 response's description (what is listed, in which order). */
  listed: string;
  /** Its 400 (bad path or query) and 404 (no such parent for this key). */
  errors: Record<number, string>;
}

/** GET of what a parent of the caller's key lists: `parent` throws (404) unless the key owns it. */
export function defineChildList<P extends AnyObject, Q extends AnyObject>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: ChildListSpec<P, Q>,
  parent: (owner: string, params: z.infer<P>) => Promise<unknown>,
  list: (owner: string, params: z.infer<P>, query: z.infer<Q>) => Promise<unknown[]>,
): void {
  const { key, listed, schema, ...route } = spec;
  defineRoute(
    router,
    registry,
    { method: 'get', ...route, responses: { 200: { description: listed, schema } } },
    async ({ params, query, res }) => {
      const owner = callerKey(res).id;
      await parent(owner, params);
      return { status: 200, body: { [key]: await list(owner, params, query) } };
    },
  );
}

export interface KeyListSpec {
  /** The collection: the path is `/v1/<key>`, the response `{ <key>: [...] }` (`schema`). */
  key: string;
  tag: string;
  summary: string;
  description?: string;
  schema: z.ZodType;
  /** The 200 response's description. */
  listed: string;
}

/** GET /v1/<key>: what the caller's key has of them. */
export function defineKeyList(router: Router, registry: OpenAPIRegistry, spec: KeyListSpec, list: (owner: string) => Promise<unknown[]>): void {
  const { key, tag, summary, description } = spec;
  defineRoute(
    router,
    registry,
    { method: 'get', path: `/v1/${key}`, tag, summary, description, responses: { 200: { description: spec.listed, schema: spec.schema } } },
    async ({ res }) => ({ status: 200, body: { [key]: await list(callerKey(res).id) } }),
  );
}

export interface ResourceSpec<P extends AnyObject> {
  /** The resource's path, e.g. `/v1/rooms/:id/ingests/:ingest_id`. */
  path: string;
  tag: string;
  params: P;
  /** What it is called in the docs: "The <noun>", "No such <noun> for this key". */
  noun: string;
  schema: z.ZodType;
  notFound: ProblemCode;
  getSummary: string;
  deleteSummary: string;
  deleteDescription?: string;
}

/** An owned resource, e.g. a room's ingest, given its path parameters and the caller's key id. */
export interface ResourceStore<Params> {
  get(owner: string, params: Params): Promise<unknown>;
  /** False when there is no such resource for this key. */
  delete(owner: string, params: Params): Promise<boolean>;
}

/** GET and DELETE of one resource of the caller's key: 404 `notFound` when there is none. */
export function defineGetAndDelete<P extends AnyObject>(
  router: Router,
  registry: OpenAPIRegistry,
  spec: ResourceSpec<P>,
  store: ResourceStore<z.infer<P>>,
): void {
  const { path, tag, params, noun } = spec;
  const errors = { 400: 'Invalid id', 404: `No such ${noun} for this key` };
  defineRoute(
    router,
    registry,
    { method: 'get', path, tag, summary: spec.getSummary, params, responses: { 200: { description: `The ${noun}`, schema: spec.schema } }, errors },
    async ({ params, res }) => {
      const found = await store.get(callerKey(res).id, params);
      if (!found) throw new ProblemError(spec.notFound);
      return { status: 200, body: found };
    },
  );
  defineRoute(
    router,
    registry,
    { method: 'delete', path, tag, summary: spec.deleteSummary, description: spec.deleteDescription, params, responses: { 204: { description: 'Deleted' } }, errors },
    async ({ params, res }) => {
      if (!(await store.delete(callerKey(res).id, params))) throw new ProblemError(spec.notFound);
      return { status: 204 };
    },
  );
}

/** A room's sub-resources as their service keeps them: by the caller's key id, the room and their id. */
export interface RoomResources {
  list(owner: string, roomId: string): Promise<unknown[]>;
  get(owner: string, roomId: string, id: string): Promise<unknown>;
  delete(owner: string, roomId: string, id: string): Promise<boolean>;
}

/** POST /v1/rooms/:id/<key>: one more of them, in a room of the caller's that is not archived. */
export interface RoomResourceCreate<B extends AnyObject> {
  summary: string;
  /** Followed by the per-room limit. */
  description: string;
  body: B;
  /** The 201 response. */
  created: { description: string; schema: z.ZodType };
  /** A 409 of the route's own, besides room_archived and the per-room limit (`<noun>_limit`). */
  conflict?: string;
  /** Beyond 400 (invalid body), 404 (no such room for this key) and 409. */
  errors: Record<number, string>;
  /** The 201 response's body. */
  run: (owner: string, room: Room, body: z.infer<B>) => Promise<unknown>;
}

export interface RoomResourcesSpec<B extends AnyObject> {
  /** The collection, `/v1/rooms/:id/<key>`, and the response field that lists them. */
  key: string;
  /** One of them: "The <noun>", and its path parameter `<noun>_id`. */
  noun: string;
  idPattern: RegExp;
  /** How many a room may have. */
  perRoom: number;
  tag: string;
  schema: z.ZodType;
  listId: string;
  listed: string;
  notFound: ProblemCode;
  summaries: { list: string; get: string; delete: string };
  deleteDescription?: string;
  create: RoomResourceCreate<B>;
}

/** POST and GET /v1/rooms/:id/<key>, and GET and DELETE /v1/rooms/:id/<key>/:<noun>_id. */
export function defineRoomResources<B extends AnyObject>(router: Router, registry: OpenAPIRegistry, rooms: Pick<RoomService, 'get'>, spec: RoomResourcesSpec<B>, resources: RoomResources): void {
  const { key, noun, tag, schema, summaries, create } = spec;
  const idParam = `${noun}_id`;
  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: `/v1/rooms/:id/${key}`,
      tag,
      summary: create.summary,
      description: `${create.description} A room has at most ${spec.perRoom} ${key}.`,
      params: roomIdParams,
      body: create.body,
      responses: { 201: create.created },
      errors: {
        400: 'Invalid body',
        404: 'No such room for this key',
        409: `The room is archived (room_archived), ${create.conflict ? `${create.conflict}, ` : ''}or has ${spec.perRoom} ${key} (${noun}_limit)`,
        ...create.errors,
      },
    },
    async ({ params, body, res }) => {
      const owner = callerKey(res).id;
      return { status: 201, body: await create.run(owner, await writableRoom(rooms, owner, params.id), body) };
    },
  );
  defineRoomList(router, registry, rooms, { key, tag, summary: summaries.list, item: schema, listId: spec.listId, listed: spec.listed }, (owner, roomId) => resources.list(owner, roomId));
  defineGetAndDelete(
    router,
    registry,
    {
      path: `/v1/rooms/:id/${key}/:${idParam}`,
      tag,
      params: z.object({ id: roomIdSchema, [idParam]: z.string().regex(spec.idPattern) }).strict(),
      noun,
      schema,
      notFound: spec.notFound,
      getSummary: summaries.get,
      deleteSummary: summaries.delete,
      deleteDescription: spec.deleteDescription,
    },
    // The params schema has both, but a computed key types every field as optional.
    {
      get: (owner, params) => resources.get(owner, params.id!, params[idParam]!),
      delete: (owner, params) => resources.delete(owner, params.id!, params[idParam]!),
    },
  );
}

/** The caller's room, to add something to: 404 when it is not the key's, 409 room_archived when archived. */
async function writableRoom(rooms: Pick<RoomService, 'get'>, owner: string, roomId: string): Promise<Room> {
  const room = await rooms.get(owner, roomId);
  if (room.state === 'archived') throw new ProblemError('room_archived', 'an archived room is read-only');
  return room;
}
