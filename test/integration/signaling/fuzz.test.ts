import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SIGNALING_ERROR_CODES } from '../../../src/signaling/protocol.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';

const { t } = useTestStack();

const METHODS = ['join', 'resume', 'create_transport', 'connect_transport', 'restart_ice', 'produce', 'consume', 'resume_consumer', 'set_preferred_layers', 'chat', 'reaction', 'raise_hand', 'lower_hand', 'mute_participant', 'kick_participant', 'open_breakouts', 'ask_question', 'upvote_question', 'delete_chat', 'invite_to_stage', 'promote_room', 'nonsense', '__proto__', 'constructor'];

const frame = fc.oneof(
  fc.record({ id: fc.nat(), method: fc.constantFrom(...METHODS), data: fc.jsonValue({ maxDepth: 4 }) }).map((f) => JSON.stringify(f)),
  fc.record({ id: fc.oneof(fc.nat(), fc.string(), fc.constant(-1)), method: fc.string({ maxLength: 20 }), data: fc.anything() }).map((f) => JSON.stringify(f) ?? '{}'),
  fc.string({ maxLength: 300 }),
  fc.constant('{"id":1,"method":"chat","data":' + '['.repeat(3000) + ']'.repeat(3000) + '}'),
);

describe('signaling fuzzing (fast-check)', () => {
  it('answers every frame with a result or a known error code, and the node keeps serving', async () => {
    const res = await t.api('/v1/rooms/r_fuzz/tokens', { method: 'POST', json: { identity: 'fuzzer', capabilities: ['publish:camera', 'subscribe:all', 'chat:send', 'moderate:participants', 'hand:raise'] } });
    const token = (await readJson(res)).token;
    const c = await SignalingTestClient.connect(t.url);
    await c.ok('join', { token });
    const known = new Set<string>(SIGNALING_ERROR_CODES);
    await fc.assert(
      fc.asyncProperty(frame, async (text) => {
        const before = c.events.length;
        let parsed: { id?: unknown } | undefined;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        if (parsed && typeof parsed === 'object' && typeof parsed.id === 'number' && Number.isInteger(parsed.id) && parsed.id >= 0) {
          const answer = await c.request((parsed as { method: string }).method, (parsed as { data?: unknown }).data).catch(() => null);
          expect(answer).not.toBeNull();
          if (!answer!.ok) expect(known.has(answer!.error!.code)).toBe(true);
        } else {
          c.ws.send(text);
          await new Promise((r) => setTimeout(r, 5));
          for (const e of c.events.slice(before)) if (e.event === 'error') expect(known.has(e.data.code)).toBe(true);
        }
      }),
      { numRuns: 250 },
    );
    expect(c.closed).toBeNull();
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    c.close();
  });
});
