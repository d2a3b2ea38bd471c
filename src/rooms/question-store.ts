import { randomBytes } from 'node:crypto';
import type { Redis, Result } from 'ioredis';
import { z } from 'zod';
import { parseJsonWith } from '../../common/json-payload.js';

/** A question as stored; its `votes` there is a placeholder, the count lives in the votes hash. */
export const questionSchema = z.object({
  id: z.string(),
  participant_id: z.string(),
  identity: z.string(),
  text: z.string(),
  votes: z.number().int(),
  state: z.enum(['open', 'answered', 'dismissed']),
  answer: z.string().nullable(),
  asked_at: z.string(),
});

export type Question = z.infer<typeof questionSchema>;

/** Questions one room keeps (every state): what a flood of questions can store. */
export const QUESTIONS_PER_ROOM = 1000;
/** Questions one identity may ask in a room, so one asker cannot take the whole room's share. */
export const QUESTIONS_PER_IDENTITY = 20;

const questionsKey = (roomId: string) => `lc:room:${roomId}:questions`;
const votesKey = (roomId: string) => `lc:room:${roomId}:question-votes`;
const votersKey = (roomId: string, questionId: string) => `lc:room:${roomId}:question-voters:${questionId}`;
/** Open questions by ask time (ms): the recent ones are read without reading them all. */
const openKey = (roomId: string) => `lc:room:${roomId}:questions-open`;
/** Questions asked per identity. */
const askersKey = (roomId: string) => `lc:room:${roomId}:question-askers`;

/** A question refused because the room, or its asker, has asked as many as it may. */
export class QuestionLimitError extends Error {
  readonly code = 'question_limit';
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    lcAskQuestion(questions: string, open: string, askers: string, id: string, json: string, askedMs: number, identity: string, perRoom: number, perIdentity: number): Result<number, Context>;
  }
}

// The caps and the write are one step, so concurrent asks (from any node) cannot pass a cap
// together. 1: stored, 0: the room is full, -1: the asker has asked its share.
const ASK_LUA = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[5]) then return 0 end
if tonumber(redis.call('HGET', KEYS[3], ARGV[4]) or '0') >= tonumber(ARGV[6]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
return 1
`;

/** A webinar's Q&A queue in Redis: questions, one vote per identity, answered or dismissed. */
export class QuestionStore {
  constructor(
    private readonly redis: Redis,
    private readonly caps = { perRoom: QUESTIONS_PER_ROOM, perIdentity: QUESTIONS_PER_IDENTITY },
  ) {
    redis.defineCommand('lcAskQuestion', { numberOfKeys: 3, lua: ASK_LUA });
  }

  /** Stores a question; throws QuestionLimitError when the room or the asker has asked its cap. */
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
    const { perRoom, perIdentity } = this.caps;
    const stored = await this.redis.lcAskQuestion(questionsKey(roomId), openKey(roomId), askersKey(roomId), question.id, JSON.stringify(question), Date.parse(question.asked_at), from.identity, perRoom, perIdentity);
    if (stored === 0) throw new QuestionLimitError(`this room holds at most ${perRoom} questions`);
    if (stored === -1) throw new QuestionLimitError(`one may ask at most ${perIdentity} questions in a room`);
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
    await this.redis.multi().hset(questionsKey(roomId), questionId, JSON.stringify(closed)).zrem(openKey(roomId), questionId).exec();
    return closed;
  }

  /**
   * The `count` most recently asked open questions, most votes first, then oldest first: what a
   * join shows, bounded however many were asked.
   */
  async recentOpen(roomId: string, count: number): Promise<Question[]> {
    const ids = await this.redis.zrevrange(openKey(roomId), 0, count - 1);
    if (ids.length === 0) return [];
    const [raw, votes] = await Promise.all([this.redis.hmget(questionsKey(roomId), ...ids), this.redis.hmget(votesKey(roomId), ...ids)]);
    const questions: Question[] = [];
    ids.forEach((id, i) => {
      const json = raw[i];
      if (json) questions.push({ ...parseQuestion(json, roomId, id), votes: Number(votes[i] ?? 0) });
    });
    return questions.sort(byVotesThenAge);
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
      .sort(byVotesThenAge);
  }
}

const byVotesThenAge = (a: Question, b: Question) => b.votes - a.votes || a.asked_at.localeCompare(b.asked_at);

function parseQuestion(json: string, roomId: string, id: string): Question {
  return parseJsonWith(questionSchema, json, `question ${id} of room ${roomId}`);
}
