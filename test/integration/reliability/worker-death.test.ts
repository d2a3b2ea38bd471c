import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack({ env: { LEVELCHAT_WORKERS: '2' } });

const ALL = ['publish:camera', 'subscribe:all', 'chat:send'];

async function joined(identity: string) {
  const res = await t.api('/v1/rooms/r_crash/tokens', { method: 'POST', json: { identity, capabilities: ALL } });
  const c = await SignalingTestClient.connect(t.url);
  const result = await c.ok('join', { token: (await readJson(res)).token });
  return { c, id: result.participant.id as string };
}

describe('a mediasoup worker is killed mid-session', () => {
  it('rebuilds the room on a live worker and tells clients to set up media again within 3 s; the room is intact', async () => {
    const a = await joined('a');
    const b = await joined('b');
    try {
      await a.c.ok('create_transport', { direction: 'send' });
      await b.c.ok('create_transport', { direction: 'recv' });
      await a.c.ok('chat', { text: 'before' });
      const live = t.stack.liveRooms.rooms.get('r_crash')!;
      const dead = live.media.origin.worker;
      const killedAt = Date.now();
      process.kill(dead.pid, 'SIGKILL');

      for (const c of [a.c, b.c]) {
        const reset = await c.waitEvent('media-reset', () => true, 3000);
        expect(reset.reason).toBe('worker_died');
        expect(reset.router_rtp_capabilities.codecs.length).toBeGreaterThan(0);
      }
      expect(Date.now() - killedAt).toBeLessThan(3000);
      const rebuilt = t.stack.liveRooms.rooms.get('r_crash')!;
      expect(rebuilt.media.origin.worker).not.toBe(dead);
      expect(rebuilt.media.origin.router.closed).toBe(false);
      expect([...rebuilt.participants.values()].map((p) => p.identity).sort()).toEqual(['a', 'b']);
      expect(a.c.closed).toBeNull();

      // Media can be set up again at once; chat history and the room survive.
      const send = await a.c.ok('create_transport', { direction: 'send' });
      expect(send.id).toEqual(expect.any(String));
      await b.c.ok('create_transport', { direction: 'recv' });
      await waitFor(() => t.stack.workers.size === 2, { timeoutMs: 5000, what: 'a replacement worker' });
      const late = await joined('late');
      expect(late.c).toBeDefined();
      late.c.close();
      expect((await readJson(await t.api('/v1/rooms/r_crash'))).state).toBe('active');
    } finally {
      a.c.close();
      b.c.close();
    }
  });
});
