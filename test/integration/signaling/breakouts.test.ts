import { afterEach, describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack();
const clients: SignalingTestClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

async function connectWith(token: string) {
  const c = await SignalingTestClient.connect(t.url);
  clients.push(c);
  const result = await c.ok('join', { token });
  return { c, result, id: result.participant.id as string };
}

async function joined(roomId: string, identity: string, capabilities: string[]) {
  const res = await t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities, type: 'classroom' } });
  return connectWith((await readJson(res)).token);
}

const STUDENT = ['publish:camera', 'subscribe:all', 'chat:send', 'hand:raise'];

describe('classroom breakouts', () => {
  it('split the class into breakout rooms with their own media and chat, then bring everyone back', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await t.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url, events: ['breakout.opened', 'breakout.closed'] } });
      const teacher = await joined('r_school', 'teacher', ['moderate:participants', 'subscribe:all', 'chat:send']);
      const students = [];
      for (const name of ['s1', 's2', 's3', 's4']) students.push(await joined('r_school', name, STUDENT));
      expect(await students[0]!.c.errorCode('open_breakouts', { count: 2 })).toBe('capability_required');
      expect(await teacher.c.errorCode('open_breakouts', { count: 2, assignments: { p_nobody: 1 } })).toBe('not_found');

      // s4 is sent to breakout 1 explicitly; the others are spread evenly.
      const opened = await teacher.c.ok('open_breakouts', { count: 2, assignments: { [students[3]!.id]: 1 } });
      expect(opened.rooms.map((r: { room_id: string }) => r.room_id)).toEqual(['r_school.b1', 'r_school.b2']);
      expect(opened.rooms.flatMap((r: { identities: string[] }) => r.identities).sort()).toEqual(['s1', 's2', 's3', 's4']);
      expect(opened.rooms[0].identities).toContain('s4');
      expect(await teacher.c.errorCode('open_breakouts', { count: 2 })).toBe('invalid_request');

      const moves = await Promise.all(students.map((s) => s.c.waitEvent('breakout')));
      expect(moves[3]).toMatchObject({ room_id: 'r_school.b1', number: 1 });
      const inBreakout = await Promise.all(moves.map((m) => connectWith(m.token)));
      for (const [i, b] of inBreakout.entries()) {
        expect(b.result.room.id).toBe(moves[i]!.room_id);
        expect(b.result.participant.capabilities).toEqual(STUDENT);
      }
      const child = await readJson(await t.api('/v1/rooms/r_school.b1'));
      expect(child).toMatchObject({ parent_id: 'r_school', state: 'active' });

      // Each breakout has its own chat (and media): b1 does not hear b2.
      const b1 = inBreakout.filter((_, i) => moves[i]!.number === 1);
      const b2 = inBreakout.filter((_, i) => moves[i]!.number === 2);
      await b1[0]!.c.ok('chat', { text: 'only for b1' });
      await b1[1]!.c.waitEvent('chat');
      await new Promise((r) => setTimeout(r, 100));
      for (const b of b2) expect(b.c.events.filter((e) => e.event === 'chat')).toEqual([]);

      await teacher.c.ok('close_breakouts');
      for (const b of inBreakout) expect(await b.c.waitEvent('room-ended')).toEqual({ reason: 'host_ended' });
      for (const s of students) expect(await s.c.waitEvent('breakouts', (d) => d.open === false)).toMatchObject({ open: false });
      expect((await readJson(await t.api('/v1/rooms/r_school.b2'))).state).toBe('ended');
      // Everyone is still in the main room.
      await students[0]!.c.ok('chat', { text: 'back' });
      expect(await teacher.c.waitEvent('chat', (m) => m.text === 'back')).toBeDefined();

      await waitFor(() => receiver.accepted().length === 2, { what: 'breakout webhooks' });
      expect(receiver.accepted().map((e) => [e.type, e.room_id])).toEqual([['breakout.opened', 'r_school'], ['breakout.closed', 'r_school']]);
    } finally {
      await receiver.close();
    }
  });
});
