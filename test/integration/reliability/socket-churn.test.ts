import { readdirSync } from 'node:fs';
import WebSocket from 'ws';
import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack({ env: { LEVELCHAT_WORKERS: '2' } });

const openFds = () => readdirSync('/proc/self/fd').length;

async function mediaCounts() {
  const dumps = await Promise.all(t.stack.workers.all.map((w) => w.dump()));
  const routers = dumps.flatMap((d) => d.routerIds);
  let transports = 0;
  for (const room of t.stack.liveRooms.rooms.values()) for (const p of room.participants.values()) transports += p.media.transports.size;
  return { routers: routers.length, transports, liveRooms: t.stack.liveRooms.rooms.size };
}

describe('1,000 signaling sockets connecting and dropping at random', () => {
  it('leaves file descriptors, routers, transports and consumers at their baseline', async () => {
    const tokens = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => (await readJson(await t.api(`/v1/rooms/r_churn-${i % 3}/tokens`, { method: 'POST', json: { identity: `u${i}`, capabilities: ['subscribe:all', 'publish:camera', 'chat:send'] } }))).token as string),
    );
    await new Promise((r) => setTimeout(r, 200));
    const baseline = { fds: openFds(), ...(await mediaCounts()) };

    let next = 0;
    const one = async (i: number) => {
      const ws = new WebSocket(`${t.url.replace('http', 'ws')}/v1/rtc`);
      await new Promise<void>((resolve) => {
        ws.on('open', () => {
          const roll = i % 4;
          if (roll === 0) return ws.terminate();
          ws.send(JSON.stringify({ id: 1, method: 'join', data: { token: tokens[i % tokens.length] } }));
          ws.on('message', (raw) => {
            const frame = JSON.parse(raw.toString());
            if (frame.id === 1 && frame.ok && roll === 1) ws.send(JSON.stringify({ id: 2, method: 'create_transport', data: { direction: 'recv' } }));
            if (frame.id === 1 && roll === 2) ws.send(JSON.stringify({ id: 3, method: 'leave', data: {} }));
            if ((frame.id === 2 || frame.id === 1) && roll !== 2) setTimeout(() => ws.terminate(), Math.random() * 30);
          });
        });
        ws.on('close', () => resolve());
        ws.on('error', () => resolve());
      });
    };
    const workers = Array.from({ length: 50 }, async () => {
      while (next < 1000) await one(next++);
    });
    await Promise.all(workers);

    // Dropped participants are kept for the 10 s resume window, then removed.
    await waitFor(async () => (await mediaCounts()).liveRooms === 0, { timeoutMs: 20_000, what: 'every live room gone' });
    await waitFor(() => openFds() <= baseline.fds + 5, { timeoutMs: 5000, what: `fds back to ${baseline.fds} (now ${openFds()})` });
    const after = await mediaCounts();
    expect(after).toMatchObject({ routers: baseline.routers, transports: 0, liveRooms: 0 });
    for (const i of [0, 1, 2]) expect((await readJson(await t.api(`/v1/rooms/r_churn-${i}`))).participant_count).toBe(0);
  }, 60_000);
});
