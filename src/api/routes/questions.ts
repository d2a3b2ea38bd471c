import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import type { QuestionStore } from '../../rooms/question-store.js';
import type { RoomService } from '../../rooms/room-service.js';
import { callerKey } from '../authenticate.js';
import { defineRoute } from '../route.js';
import { roomIdParams } from '../schemas.js';

const questionSchema = z
  .object({
    id: z.string(),
    participant_id: z.string(),
    identity: z.string(),
    text: z.string(),
    votes: z.number().int(),
    state: z.enum(['open', 'answered', 'dismissed']),
    answer: z.string().nullable(),
    asked_at: z.string(),
  })
  .meta({ id: 'Question' });

export function questionRoutes({ rooms, questions }: { rooms: RoomService; questions: QuestionStore }, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoute(
    router,
    registry,
    {
      method: 'get',
      path: '/v1/rooms/:id/questions',
      tag: 'Rooms',
      summary: 'The Q&A queue',
      description: 'Every question asked in the room (signaling `ask_question`), most votes first, then oldest first.',
      params: roomIdParams,
      query: z.object({ state: z.enum(['open', 'all']).default('all') }).strict(),
      responses: { 200: { description: 'Questions', schema: z.object({ questions: z.array(questionSchema) }).meta({ id: 'QuestionList' }) } },
      errors: { 400: 'Invalid room id', 401: 'Missing or invalid API key', 404: 'No such room for this key' },
    },
    async ({ params, query, res }) => {
      await rooms.get(callerKey(res).id, params.id);
      return { status: 200, body: { questions: await questions.list(params.id, query.state === 'open') } };
    },
  );
  return router;
}
