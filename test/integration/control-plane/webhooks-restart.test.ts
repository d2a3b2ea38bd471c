import { describe, expect, it } from 'vitest';
import { startTestStack } from '../../helpers/test-stack.js';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../../bench/lib/wait.js';

describe('webhooks across a restart', () => {
  it('events queued while the receiver is down are delivered, in order, by the next process', async () => {
    const receiver = await startWebhookReceiver();
    receiver.down();
    const first = await startTestStack();
    let second;
    try {
      await first.api('/v1/webhooks', { method: 'POST', json: { url: receiver.url } });
      await first.api('/v1/rooms/r_restart/tokens', { method: 'POST', json: { identity: 'x', capabilities: [] } });
      for (let i = 0; i < 3; i += 1) {
        await first.stack.control.rooms.join('r_restart');
        await first.stack.control.rooms.leave('r_restart');
      }
      await waitFor(() => receiver.all.length >= 2, { what: 'attempts while down' });
      await first.stop();
      receiver.up();
      second = await startTestStack({ after: first });
      await waitFor(() => receiver.accepted().length === 7, { timeoutMs: 15_000, what: 'every event after the restart' });
      expect(receiver.accepted().map((e) => e.type)).toEqual(['room.created', 'room.started', 'room.ended', 'room.started', 'room.ended', 'room.started', 'room.ended']);
    } finally {
      await first.stop();
      await second?.stop();
      await receiver.close();
    }
  });
});
