import { describe, expect, it } from 'vitest';
import { readJson, startTestStack, useTestStack } from '../../helpers/test-stack.js';

// Two whole nodes on one Redis, in two regions: both list each other, and a token for a room sends
// its holder to the room's origin node, chosen by the room's region_hint.
const eu = useTestStack({ env: { LEVELCHAT_NODE_ID: 'node-eu', LEVELCHAT_REGION: 'eu' } });

describe('two nodes sharing a Redis', () => {
  it('list each other and send participants to the room origin of the hinted region', async () => {
    const us = await startTestStack({ after: eu.t, env: { LEVELCHAT_NODE_ID: 'node-us', LEVELCHAT_REGION: 'us' } });
    try {
      const nodes = await readJson(await eu.t.api('/v1/nodes'));
      expect(nodes.nodes.map((n: { id: string; region: string }) => [n.id, n.region])).toEqual([['node-eu', 'eu'], ['node-us', 'us']]);

      await eu.t.api('/v1/rooms', { method: 'POST', json: { external_id: 'in-us', config: { region_hint: 'us' } } });
      const token = await readJson(await eu.t.api('/v1/rooms/r_in-us/tokens', { method: 'POST', json: { identity: 'a', capabilities: ['subscribe:all'] } }));
      expect(token.signaling_url).toBe(`${us.url.replace(/^http/, 'ws')}/v1/rtc`);
      const local = await readJson(await us.api('/v1/rooms/r_in-us/tokens', { method: 'POST', json: { identity: 'b', capabilities: ['subscribe:all'] } }));
      expect(local.signaling_url).toBe(token.signaling_url);
    } finally {
      await us.stop();
    }
    const after = await readJson(await eu.t.api('/v1/nodes'));
    expect(after.nodes.map((n: { id: string }) => n.id)).toEqual(['node-eu']);
  });
});
