import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { questionSchema as storedQuestionSchema, type QuestionStore } from '../../rooms/question-store.js';
import type { RoomService } from '../../rooms/room-service.js';
import { defineRoomList } from '../resource-routes.js';

/** A question as the store keeps it (`votes`: counted at read). */
const questionSchema = storedQuestionSchema.meta({ id: 'Question' });

export function questionRoutes({ rooms, questions }: { rooms: RoomService; questions: QuestionStore }, registry: OpenAPIRegistry): Router {
  const router = Router();
  defineRoomList(
    router,
    registry,
    rooms,
    {
      key: 'questions',
      tag: 'Rooms',
      summary: 'The Q&A queue',
      description: 'Every question asked in the room (signaling `ask_question`), most votes first, then oldest first.',
      query: z.object({ state: z.enum(['open', 'all']).default('all') }).strict(),
      item: questionSchema,
      listId: 'QuestionList',
      listed: 'Questions',
    },
    (_owner, roomId, query) => questions.list(roomId, query.state === 'open'),
  );
  return router;
}
