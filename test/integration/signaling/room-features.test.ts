import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { useRoomJoiner } from '../../helpers/room-joiner.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack();
const { clients, joined } = useRoomJoiner(t, 'meeting');

const STUDENT = ['publish:camera', 'subscribe:all', 'chat:send', 'hand:raise'];
const MODERATOR = ['moderate:participants', 'chat:send', 'subscribe:all'];

describe('meeting: capacity', () => {
  it('takes 50 participants by default; the 51st join gets room_full', async () => {
    const members = [];
    for (let i = 0; i < 50; i += 1) members.push(await joined('r_full-meeting', `m${i}`, ['subscribe:all']));
    expect(members).toHaveLength(50);
    const res = await t.api('/v1/rooms/r_full-meeting/tokens', { method: 'POST', json: { identity: 'm50', capabilities: ['subscribe:all'] } });
    const c = await SignalingTestClient.connect(t.url);
    clients.push(c);
    expect(await c.errorCode('join', { token: (await readJson(res)).token })).toBe('room_full');
    expect((await readJson(await t.api('/v1/rooms/r_full-meeting'))).participant_count).toBe(50);
  });
});

describe('classroom: raised-hand queue', () => {
  it('orders hands, shows the queue to moderators only, lets them dismiss, and sends participant.hand_raised', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['participant.hand_raised'] } });
      const teacher = await joined('r_class', 'teacher', MODERATOR, 'classroom');
      const s1 = await joined('r_class', 's1', STUDENT, 'classroom');
      const s2 = await joined('r_class', 's2', STUDENT, 'classroom');
      const viewer = await joined('r_class', 'auditor', ['subscribe:all'], 'classroom');
      expect(await viewer.c.errorCode('raise_hand', { raised: true })).toBe('capability_required');

      expect((await s2.c.ok('raise_hand', { raised: true })).position).toBe(1);
      expect((await s1.c.ok('raise_hand', { raised: true })).position).toBe(2);
      const queue = await teacher.c.waitEvent('hand-queue', (d) => d.queue.length === 2);
      expect(queue.queue.map((h: { identity: string }) => h.identity)).toEqual(['s2', 's1']);
      expect(s1.c.events.filter((e) => e.event === 'hand-queue')).toEqual([]);
      expect(await s1.c.waitEvent('hand', (d) => d.participant_id === s2.id)).toEqual({ participant_id: s2.id, raised: true });

      expect(await s1.c.errorCode('lower_hand', { participant_id: s2.id })).toBe('capability_required');
      await teacher.c.ok('lower_hand', { participant_id: s2.id });
      const after = await teacher.c.waitEvent('hand-queue', (d) => d.queue.length === 1 && d.queue[0].identity === 's1');
      expect(after.queue[0].identity).toBe('s1');
      const late = await joined('r_class', 'assistant', MODERATOR, 'classroom');
      expect(late.result.hand_queue.map((h: { identity: string }) => h.identity)).toEqual(['s1']);

      await waitFor(() => receiver.accepted().length === 2, { what: 'hand webhooks' });
      expect(receiver.accepted().map((e) => e.data.identity)).toEqual(['s2', 's1']);
    } finally {
      await receiver.close();
    }
  });
});

describe('classroom: attendance', () => {
  it('records join/leave intervals per identity, as JSON and CSV, also after the room ended', async () => {
    const a = await joined('r_attend', 'ada', STUDENT, 'classroom');
    const b = await joined('r_attend', '=cmd()', STUDENT, 'classroom');
    await b.c.ok('leave');
    const again = await joined('r_attend', '=cmd()', STUDENT, 'classroom');
    await again.c.ok('leave');
    await a.c.ok('leave');
    expect((await readJson(await t.api('/v1/rooms/r_attend'))).state).toBe('ended');

    const report = await readJson(await t.api('/v1/rooms/r_attend/attendance'));
    expect(report.attendance.map((r: { identity: string }) => r.identity)).toEqual(['ada', '=cmd()']);
    const twice = report.attendance[1];
    expect(twice.intervals).toHaveLength(2);
    for (const i of [...twice.intervals, ...report.attendance[0].intervals]) expect(Date.parse(i.left_at)).toBeGreaterThanOrEqual(Date.parse(i.joined_at));

    const csv = await t.api('/v1/rooms/r_attend/attendance?format=csv');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('identity,participant_id,joined_at,left_at,total_s');
    expect(lines).toHaveLength(4);
    expect(lines.filter((l) => l.startsWith("'=cmd()"))).toHaveLength(2);
    expect((await t.api('/v1/rooms/r_attend/attendance?format=xml')).status).toBe(400);
  });
});

describe('chat moderation', () => {
  it('a moderator deletes a message for everyone and from the history; others cannot', async () => {
    const mod = await joined('r_chatmod', 'mod', MODERATOR);
    const a = await joined('r_chatmod', 'a', STUDENT);
    const { message } = await a.c.ok('chat', { text: 'oops' });
    expect(await a.c.errorCode('delete_chat', { message_id: message.id })).toBe('capability_required');
    await mod.c.ok('delete_chat', { message_id: message.id });
    expect(await a.c.waitEvent('chat-deleted')).toEqual({ message_id: message.id, by: mod.id });
    expect(await mod.c.errorCode('delete_chat', { message_id: message.id })).toBe('not_found');
    expect(await mod.c.errorCode('delete_chat', { message_id: '../../x' })).toBe('invalid_request');
    const late = await joined('r_chatmod', 'late', ['subscribe:all']);
    expect(late.result.chat_history).toEqual([]);
  });
});

describe('webinar: Q&A queue', () => {
  it('attendees ask and upvote once, ordered by votes then time; moderators answer; viewers (no chat:send) cannot ask nor vote', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['question.asked', 'question.answered'] } });
      await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'web', type: 'webinar', config: { registration: 'off' } } });
      const host = await joined('r_web', 'host', MODERATOR, 'webinar');
      const a = await joined('r_web', 'a', ['subscribe:all', 'chat:send'], 'webinar');
      const b = await joined('r_web', 'b', ['subscribe:all', 'chat:send'], 'webinar');
      const silent = await joined('r_web', 'silent', ['subscribe:all'], 'webinar');
      expect(await silent.c.errorCode('ask_question', { text: 'may I?' })).toBe('capability_required');

      const q1 = (await a.c.ok('ask_question', { text: 'first?' })).question;
      const q2 = (await b.c.ok('ask_question', { text: 'second?' })).question;
      await a.c.ok('upvote_question', { question_id: q2.id });
      await a.c.ok('upvote_question', { question_id: q2.id });
      expect(await silent.c.errorCode('upvote_question', { question_id: q2.id })).toBe('capability_required');
      const voted = (await b.c.ok('upvote_question', { question_id: q2.id })).question;
      expect(voted.votes).toBe(2);
      expect(await host.c.waitEvent('question', (q) => q.id === q2.id && q.votes === 2)).toMatchObject({ text: 'second?' });

      const listed = await readJson(await t.api('/v1/rooms/r_web/questions'));
      expect(listed.questions.map((q: { id: string }) => q.id)).toEqual([q2.id, q1.id]);

      expect(await b.c.errorCode('answer_question', { question_id: q1.id })).toBe('capability_required');
      await host.c.ok('answer_question', { question_id: q2.id, answer: 'yes' });
      await host.c.ok('dismiss_question', { question_id: q1.id });
      expect(await a.c.waitEvent('question', (q) => q.id === q2.id && q.state === 'answered')).toMatchObject({ answer: 'yes' });
      expect((await readJson(await t.api('/v1/rooms/r_web/questions?state=open'))).questions).toEqual([]);
      expect(await host.c.errorCode('answer_question', { question_id: 'q_missing' })).toBe('not_found');

      await waitFor(() => receiver.accepted().length === 3, { what: 'Q&A webhooks' });
      expect(receiver.accepted().map((e) => e.type)).toEqual(['question.asked', 'question.asked', 'question.answered']);
    } finally {
      await receiver.close();
    }
  });
});
