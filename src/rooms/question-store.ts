import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

/** A question as stored; its `votes` there is a placeholder, the count lives in the votes hash. */
export const questionSchema = z.object({
  id: z.string(),
  participant_id: z.string(),
  identity: z.string(),
  text: z.string(),
  votes: z.number(),
  state: z.enum(['open', 'answered', 'dismissed']),
  answer: z.string().nullable(),
  asked_at: z.string(),
});

export type Question = z.infer<typeof questionSchema>;

const questionsKey = (roomId: string) => `lc:room:${roomId}:questions`;
const votesKey = (roomId: string) => `lc:room:${roomId}:question-votes`;
const votersKey = (roomId: string, questionId: string) => `lc:room:${roomId}:question-voters:${questionId}`;

/** A webinar's Q&A queue in Redis: questions, one vote per identity, answered or dismissed. */
export class QuestionStore {
  constructor(private readonly redis: Redis) {}

  async ask(roomId: string, from: { participant_id: string; identity: string }, text: string): Promise<Question> {
    const question: Question = {
      id: `q_${randomBytes(8).toString('hex')}`,
      ...from,
      text,
      votes: 0,
      state: 'open',
      answer: null,
      asked_at: new Date().toISOString(),
    };
    await this.redis.hset(questionsKey(roomId), question.id, JSON.stringify(question));
    return question;
  }

  async get(roomId: string, questionId: string): Promise<Question | undefined> {
    const [raw, votes] = await Promise.all([this.redis.hget(questionsKey(roomId), questionId), this.redis.hget(votesKey(roomId), questionId)]);
    return raw ? { ...parseQuestion(raw, roomId, questionId), votes: Number(votes ?? 0) } : undefined;
  }

  /** Counts one vote per identity; returns the question as it now stands. */
  async upvote(roomId: string, questionId: string, identity: string): Promise<Question | undefined> {
    if (!(await this.redis.hexists(questionsKey(roomId), questionId))) return undefined;
    if ((await this.redis.sadd(votersKey(roomId, questionId), identity)) === 1) await this.redis.hincrby(votesKey(roomId), questionId, 1);
    return this.get(roomId, questionId);
  }

  async close(roomId: string, questionId: string, state: 'answered' | 'dismissed', answer: string | null): Promise<Question | undefined> {
    const question = await this.get(roomId, questionId);
    if (!question) return undefined;
    const closed: Question = { ...question, state, answer };
    await this.redis.hset(questionsKey(roomId), questionId, JSON.stringify(closed));
    return closed;
  }

  /** Every question, most votes first, then oldest first. */
  async list(roomId: string, onlyOpen = false): Promise<Question[]> {
    const [raw, votes] = await Promise.all([this.redis.hgetall(questionsKey(roomId)), this.redis.hgetall(votesKey(roomId))]);
    return Object.entries(raw)
      .map(([id, j]) => {
        const q = parseQuestion(j, roomId, id);
        return { ...q, votes: Number(votes[q.id] ?? 0) };
      })
      .filter((q) => !onlyOpen || q.state === 'open')
      .sort((a, b) => b.votes - a.votes || a.asked_at.localeCompare(b.asked_at));
  }
}

function parseQuestion(json: string, roomId: string, id: string): Question {
  return parseJsonWith(questionSchema, json, `question ${id} of room ${roomId}`);
}
