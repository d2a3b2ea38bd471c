import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { RoomRepository } from '../../rooms/room-repository.js';
import type { RoomService } from '../../rooms/room-service.js';
import { roomView } from '../../rooms/room.js';
import { callerKey } from '../authenticate.js';
import { defineRoute } from '../route.js';
import type { HlsStatusStore } from '../../hls/hls-status.js';
import type { ViewerLatencyWindow } from '../../rooms/viewer-latency.js';
import { createRoomBody, listRoomsQuery, roomIdParams, roomListSchema, roomSchema, roomWithHlsSchema } from '../schemas.js';

export interface RoomRoutesDeps {
  rooms: RoomService;
  repository: RoomRepository;
  hlsStatus: HlsStatusStore;
  /** The players' latency reports (GET shows the room's p50/p95 and viewer count). */
  viewers: Pick<ViewerLatencyWindow, 'summary'>;
}

export function roomRoutes({ rooms, repository, hlsStatus, viewers }: RoomRoutesDeps, registry: OpenAPIRegistry): Router {
  const router = Router();
  const tag = 'Rooms';

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/rooms',
      tag,
      summary: 'Create a room',
      description: 'Creating a room with an `external_id` that this key already used returns that room with 200 (idempotent).',
      body: createRoomBody,
      responses: { 201: { description: 'Created', schema: roomSchema }, 200: { description: 'Already existed', schema: roomSchema } },
      errors: { 400: 'Invalid body', 409: 'The id belongs to another key (room_id_taken)', 413: 'Body over 64 KB', 415: 'Body is not JSON' },
    },
    async ({ body, res }) => {
      const { room, created } = await rooms.create(callerKey(res).id, body);
      return { status: created ? 201 : 200, body: roomView(room) };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/rooms',
      tag,
      summary: 'List rooms',
      description: 'Newest first. Pass `next_cursor` as `cursor` for the next page; `null` means there is none.',
      query: listRoomsQuery,
      responses: { 200: { description: 'A page of rooms', schema: roomListSchema } },
      errors: { 400: 'Invalid query or cursor' },
    },
    async ({ query, res }) => {
      const page = await repository.list(callerKey(res).id, query);
      return { status: 200, body: { rooms: page.rooms.map(roomView), next_cursor: page.next_cursor } };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/rooms/:id',
      tag,
      summary: 'Get a room',
      params: roomIdParams,
      responses: { 200: { description: 'The room with its lifecycle transitions and its LL-HLS state', schema: roomWithHlsSchema } },
      errors: { 400: 'Invalid room id', 404: 'No such room for this key' },
    },
    async ({ params, res }) => {
      const room = await rooms.get(callerKey(res).id, params.id);
      const [hls, seen] = await Promise.all([hlsStatus.get(room.id), viewers.summary(room.id)]);
      const viewerLatency = { count: seen.viewers, capped: seen.capped, latency_p50_s: seen.p50_s, latency_p95_s: seen.p95_s, window_s: seen.window_s };
      return { status: 200, body: { ...roomView(room), hls, viewers: viewerLatency } };
    },
  );

  defineRoute(
    router,
    registry,
    {
      method: 'delete',
      path: '/v1/rooms/:id',
      tag,
      summary: 'End a room',
      description: 'The room becomes `ended`; every participant is disconnected with reason `host_ended`; `room.ended` is sent to webhooks.',
      params: roomIdParams,
      responses: { 200: { description: 'The ended room', schema: roomSchema } },
      errors: { 400: 'Invalid room id', 404: 'No such room for this key', 409: 'Already ended by the host, or archived' },
    },
    async ({ params, res }) => ({ status: 200, body: roomView(await rooms.end(callerKey(res).id, params.id)) }),
  );

  defineRoute(
    router,
    registry,
    {
      method: 'post',
      path: '/v1/rooms/:id/promote',
      tag,
      summary: 'Promote a hybrid room to a broadcast',
      description:
        'Mid-session, without dropping anyone: current participants stay on stage, new joiners with viewer tokens become the audience ' +
        '(announced as a count), LL-HLS delivery is switched on. Sends `room.promoted` to webhooks.',
      params: roomIdParams,
      responses: { 200: { description: 'The promoted room', schema: roomSchema } },
      errors: { 400: 'Invalid room id', 404: 'No such room for this key', 409: 'Not hybrid, already promoted, ended or archived' },
    },
    async ({ params, res }) => ({ status: 200, body: roomView(await rooms.promote(callerKey(res).id, params.id)) }),
  );

  return router;
}
