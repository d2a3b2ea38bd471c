import { afterEach } from 'vitest';
import { SignalingTestClient } from './signaling-client.js';
import { readJson, type TestStack } from './test-stack.js';

/**
 * Joins participants to rooms on `t` with fresh tokens (rooms of `defaultType` unless told; with neither,
 * the token names no type and the room is created with the server's default);
 * every client in `clients` is closed after each test.
 */
export function useRoomJoiner(t: TestStack, defaultType?: string) {
  const clients: SignalingTestClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  async function joined(roomId: string, identity: string, capabilities: string[], type = defaultType) {
    const res = await t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities, type } });
    const token = (await readJson(res)).token as string;
    const c = await SignalingTestClient.connect(t.url);
    clients.push(c);
    const result = await c.ok('join', { token });
    return { c, result, token, id: result.participant.id as string };
  }
  return { clients, joined };
}
