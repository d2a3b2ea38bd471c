// Issue 17, row 7: amplification through room features. Before: upvote_question needed no
// capability and had no rate limit (200 of 200 accepted, each broadcast to the whole room);
// raise_hand toggled without limit, each raise a webhook event; breakouts opened and closed without
// limit; Q&A storage had no bound and every join snapshot carried all of it.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { QuestionStore } from '../../../src/rooms/question-store.js';
import { FEATURE_RATES, ROOM_FEATURE_RATES } from '../../../src/signaling/feature-limits.js';
import { FRAME_BURST, FRAMES_PER_SECOND } from '../../../src/signaling/frame-pacing.js';
import { SNAPSHOT_QUESTIONS } from '../../../src/signaling/join-snapshot.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { useRoomJoiner } from '../../helpers/room-joiner.js';
import { sleep, waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack();
const { joined } = useRoomJoiner(t, 'webinar');

async function answers(c: SignalingTestClient, n: number, method: string, data: (i: number) => unknown) {
  const frames = await Promise.all(Array.from({ length: n }, (_, i) => c.request(method, data(i))));
  return { ok: frames.filter((f) => f.ok).length, limited: frames.filter((f) => f.error?.code === 'rate_limited'), other: frames.filter((f) => !f.ok && f.error?.code !== 'rate_limited') };
}

const ATTENDEE = ['subscribe:all', 'chat:send'];

describe('room features cannot be used to amplify', () => {
  it('200 upvotes at once: chat:send required, a burst of them accepted (one identity, any number of sockets), the room hears only those', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'amp-votes', type: 'webinar', config: { registration: 'off' } } });
    const asker = await joined('r_amp-votes', 'asker', ATTENDEE);
    const listener = await joined('r_amp-votes', 'listener', ['subscribe:all']);
    const { question } = await asker.c.ok('ask_question', { text: 'why?' });
    expect(await listener.c.errorCode('upvote_question', { question_id: question.id })).toBe('capability_required');

    const voter = await joined('r_amp-votes', 'voter', ATTENDEE);
    const again = await joined('r_amp-votes', 'voter', ATTENDEE);
    const heardBefore = listener.c.events.filter((e) => e.event === 'question').length;
    const flood = await answers(voter.c, 100, 'upvote_question', () => ({ question_id: question.id }));
    const second = await answers(again.c, 100, 'upvote_question', () => ({ question_id: question.id }));
    const accepted = flood.ok + second.ok;
    expect(accepted).toBeGreaterThanOrEqual(FEATURE_RATES.vote.burst);
    expect(accepted).toBeLessThanOrEqual(FEATURE_RATES.vote.burst + 2);
    expect(flood.other).toEqual([]);
    expect(second.limited[0]!.error).toMatchObject({ code: 'rate_limited', retry_after_ms: expect.any(Number) });
    // One vote per identity still; the room heard one event per accepted vote and none for the refused.
    await listener.c.waitEvent('question', (q) => q.id === question.id && q.votes === 1);
    await sleep(300);
    expect(listener.c.events.filter((e) => e.event === 'question').every((e) => e.data.votes <= 1)).toBe(true);
    expect(listener.c.events.filter((e) => e.event === 'question').length - heardBefore).toBe(accepted);
  });

  it('raise_hand toggled 50 times: a burst accepted, the rest rate_limited, one participant.hand_raised webhook event', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['participant.hand_raised'] } });
      const student = await joined('r_amp-hands', 'student', ['subscribe:all', 'hand:raise'], 'classroom');
      const flood = await answers(student.c, 50, 'raise_hand', (i) => ({ raised: i % 2 === 0 }));
      expect(flood.ok).toBeGreaterThanOrEqual(FEATURE_RATES.hand.burst);
      expect(flood.ok).toBeLessThanOrEqual(FEATURE_RATES.hand.burst + 1);
      expect(flood.limited.length).toBe(50 - flood.ok);
      await waitFor(() => receiver.accepted().length >= 1, { what: 'the hand_raised webhook' });
      await sleep(1000);
      // Two raises were accepted; the second came within the coalescing window of the first.
      expect(receiver.accepted().map((e) => e.type)).toEqual(['participant.hand_raised']);
    } finally {
      await receiver.close();
    }
  });

  it(`many identities of one room chatting at once share the room's rate (${ROOM_FEATURE_RATES.chat!.burst} at once)`, async () => {
    const crowd = await Promise.all(Array.from({ length: 30 }, (_, i) => joined('r_amp-crowd', `talker-${i}`, ATTENDEE, 'meeting')));
    const answers = await Promise.all(crowd.map((p) => p.c.request('chat', { text: 'all at once' })));
    const accepted = answers.filter((a) => a.ok).length;
    expect(accepted).toBeGreaterThanOrEqual(ROOM_FEATURE_RATES.chat!.burst);
    expect(accepted).toBeLessThanOrEqual(ROOM_FEATURE_RATES.chat!.burst + 2);
    expect(answers.filter((a) => !a.ok).every((a) => a.error?.code === 'rate_limited')).toBe(true);
  });

  it(`a connection sending ${FRAME_BURST + 100} frames at once is read at its pace: every one answered, the last after ~2 s`, async () => {
    const p = await joined('r_amp-pace', 'fast', ATTENDEE, 'meeting');
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: FRAME_BURST + 100 }, () => p.c.request('pause_consumer', { consumer_id: 'c_none' })));
    const elapsedMs = Date.now() - started;
    expect(answers.every((a) => a.error?.code === 'not_found')).toBe(true);
    expect(elapsedMs).toBeGreaterThanOrEqual((100 / FRAMES_PER_SECOND) * 1000 * 0.8);
  });

  it('breakouts opened and closed in a loop: refused with rate_limited after the burst', async () => {
    const teacher = await joined('r_amp-breakouts', 'teacher', ['moderate:participants', 'subscribe:all'], 'classroom');
    await joined('r_amp-breakouts', 'kid', ['subscribe:all'], 'classroom');
    const codes: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const open = await teacher.c.request('open_breakouts', { count: 2 });
      codes.push(open.ok ? 'ok' : open.error!.code);
      if (!open.ok) break;
      const close = await teacher.c.request('close_breakouts');
      codes.push(close.ok ? 'ok' : close.error!.code);
    }
    expect(codes).toEqual(['ok', 'ok', 'rate_limited']);
  });

  it(`a join shows the ${SNAPSHOT_QUESTIONS} most recent open questions, however many were asked`, async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'amp-qa', type: 'webinar', config: { registration: 'off' } } });
    for (let i = 0; i < SNAPSHOT_QUESTIONS + 30; i += 1) await t.stack.control.questions.ask('r_amp-qa', { participant_id: 'p_x', identity: `asker-${i % 10}` }, `question ${i}`);
    const late = await joined('r_amp-qa', 'late', ATTENDEE);
    expect(late.result.questions).toHaveLength(SNAPSHOT_QUESTIONS);
    const texts = new Set(late.result.questions.map((q: { text: string }) => q.text));
    expect(texts.has(`question ${SNAPSHOT_QUESTIONS + 29}`)).toBe(true);
    expect(texts.has('question 0')).toBe(false);
    // The REST list still has them all.
    expect((await readJson(await t.api('/v1/rooms/r_amp-qa/questions'))).questions).toHaveLength(SNAPSHOT_QUESTIONS + 30);
  });

  it('Q&A storage is capped per room and per asker, also when asked all at once (one Lua step)', async () => {
    const redis = new Redis(t.redisUrl);
    try {
      const store = new QuestionStore(redis, { perRoom: 30, perIdentity: 5 });
      const one = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.ask('r_amp-cap', { participant_id: 'p_a', identity: 'greedy' }, `q${i}`)));
      expect(one.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      expect(one.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(Array(7).fill('question_limit'));
      const many = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => store.ask('r_amp-cap', { participant_id: 'p_b', identity: `asker-${i}` }, `q${i}`)));
      expect(many.filter((r) => r.status === 'fulfilled')).toHaveLength(25);
      expect(await store.list('r_amp-cap')).toHaveLength(30);
    } finally {
      await redis.quit();
    }
  });

  it('asking through signaling past the cap answers question_limit', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'amp-ask', type: 'webinar', config: { registration: 'off' } } });
    const store = t.stack.control.questions;
    // The asker's share is used up from an earlier session.
    for (let i = 0; i < 20; i += 1) await store.ask('r_amp-ask', { participant_id: 'p_old', identity: 'chatty' }, `earlier ${i}`);
    const chatty = await joined('r_amp-ask', 'chatty', ATTENDEE);
    expect(await chatty.c.errorCode('ask_question', { text: 'one more?' })).toBe('question_limit');
  });
});
