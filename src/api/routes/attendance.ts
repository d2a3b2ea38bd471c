import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { attendanceCsv, type AttendanceLog } from '../../rooms/attendance.js';
import type { RoomService } from '../../rooms/room-service.js';
import { callerKey } from '../authenticate.js';
import { defineRoute } from '../route.js';
import { roomIdParams } from '../schemas.js';

export const attendanceQuery = z.object({ format: z.enum(['json', 'csv']).default('json') }).strict();

export const attendanceSchema = z
  .object({
    room_id: z.string(),
    attendance: z.array(
      z.object({
        identity: z.string(),
        intervals: z.array(z.object({ participant_id: z.string(), joined_at: z.string(), left_at: z.string().nullable() })),
        total_s: z.number(),
      }),
    ),
  })
  .meta({ id: 'Attendance' });

export function attendanceRoutes({ rooms, attendance }: { rooms: RoomService; attendance: AttendanceLog }, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/rooms/:id/attendance',
      tag: 'Rooms',
      summary: 'Attendance: join/leave intervals per identity',
      description: 'Available while the room runs, after it ended and after it was archived. `format=csv` answers text/csv, one row per interval.',
      params: roomIdParams,
      query: attendanceQuery,
      responses: { 200: { description: 'Attendance (JSON, or CSV with format=csv)', schema: attendanceSchema } },
      errors: { 400: 'Invalid room id or format', 404: 'No such room for this key' },
    },
    async ({ params, query, res }) => {
      await rooms.get(callerKey(res).id, params.id);
      const records = await attendance.report(params.id);
      if (query.format === 'csv') {
        res.set('Content-Disposition', `attachment; filename="${params.id}-attendance.csv"`);
        return { status: 200, body: attendanceCsv(records), contentType: 'text/csv; charset=utf-8' };
      }
      return { status: 200, body: { room_id: params.id, attendance: records } };
    },
  );
  return router;
}
