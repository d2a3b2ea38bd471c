import { SignalingError } from '../signaling-errors.js';
import { speaker, type Feature } from './feature.js';

/**
 * Q&A (webinars, and any room): attendees with `chat:send` ask and upvote (once per identity),
 * moderators answer or dismiss. Every change is sent to everyone; asked/answered also go to
 * webhooks. Asking and voting are rate-limited per identity, and the store caps questions per room
 * and per asker, since each reaches the whole room.
 */
export const questionsFeature: Feature = {
  async ask_question(ctx, { text }) {
    const { room, services } = ctx;
    const question = await services.questions.ask(room.id, speaker(ctx, 'question'), text);
    room.broadcast('question', question);
    await room.emit('question.asked', { question_id: question.id, identity: question.identity, text });
    return { question };
  },

  async upvote_question({ participant, room, services }, { question_id }) {
    participant.require('chat:send');
    room.limit(participant, 'vote');
    const question = await services.questions.upvote(room.id, question_id, participant.identity);
    if (!question) throw new SignalingError('not_found', `no question ${question_id}`);
    room.broadcast('question', question);
    return { question };
  },

  async answer_question({ participant, room, services }, { question_id, answer }) {
    participant.require('moderate:participants');
    const question = await services.questions.close(room.id, question_id, 'answered', answer ?? null);
    if (!question) throw new SignalingError('not_found', `no question ${question_id}`);
    room.broadcast('question', question);
    await room.emit('question.answered', { question_id, answer: question.answer });
    return { question };
  },

  async dismiss_question({ participant, room, services }, { question_id }) {
    participant.require('moderate:participants');
    const question = await services.questions.close(room.id, question_id, 'dismissed', null);
    if (!question) throw new SignalingError('not_found', `no question ${question_id}`);
    room.broadcast('question', question);
    return { question };
  },
};
