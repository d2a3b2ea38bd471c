import { afterEach } from 'vitest';
import { SignalingTestClient } from './signaling-client.js';
import { readJson, type TestStack } from './test-stack.js';

/**
 * Signaling clients of rooms on `t`, with fresh tokens (rooms of `defaultType` unless told; with
 * neither, the token names no type and the room is created with the server's default); every client
 * is closed after each test.
 */
export function useRoomJoiner(t: TestStack, defaultType?: string) {
  const clients: SignalingTestClient[] = [];
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  /** A room token minted with `apiKey` (the stack's own by default). */
  async function token(roomId: string, identity: string, capabilities: string[], type = defaultType, apiKey?: string): Promise<string> {
    const res = await t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities, type }, ...(apiKey ? { key: apiKey } : {}) });
    if (res.status !== 201) throw new Error(`minting a token for ${identity} in ${roomId}: HTTP ${res.status} ${await res.text()}`);
    return (await readJson(res)).token as string;
  }
  /** A connected signaling socket that has not joined. */
  async function client(): Promise<SignalingTestClient> {
    const c = await SignalingTestClient.connect(t.url);
    clients.push(c);
    return c;
  }
  async function joined(roomId: string, identity: string, capabilities: string[], type = defaultType, apiKey?: string) {
    const minted = await token(roomId, identity, capabilities, type, apiKey);
    const c = await client();
    const result = await c.ok('join', { token: minted });
    return { c, result, token: minted, id: result.participant.id as string };
  }
  return { clients, token, client, joined };
}
