// Issue 17, rows 6 and 11: what a client without a valid token can make a node do over signaling.
// Before: one socket could send any number of joins (each a token check), an address could open
// any number of sockets, and a token whose `kid` was a number was answered `internal` and logged at
// error level once per frame.
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../common/logger.js';
import { CLOSE_CODES, JOIN_ATTEMPTS_PER_SOCKET } from '../../../src/signaling/protocol.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { sleep, waitFor } from '../../../bench/lib/wait.js';

/** Every line the node logs, parsed (debug and up). */
const logged: { level: number; msg: string; code?: string }[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n')) if (line) logged.push(JSON.parse(line));
    done();
  },
});
const WARN = 40;

const SOCKETS = 20;
const UNJOINED = 10;
const { t } = useTestStack({
  env: { LEVELCHAT_SIGNALING_SOCKETS_PER_ADDRESS: String(SOCKETS), LEVELCHAT_SIGNALING_UNJOINED_PER_ADDRESS: String(UNJOINED) },
  logger: createLogger('debug', sink),
});
const clients: SignalingTestClient[] = [];
afterEach(async () => {
  const open = clients.splice(0);
  for (const c of open) c.close();
  // Closed on both ends, so the next test starts with the address's places free.
  await waitFor(() => open.every((c) => c.closed), { what: 'every socket closed' });
  await sleep(100);
});

/** A socket (the server may refuse it right after opening: see `closed`). */
async function connect(): Promise<SignalingTestClient> {
  const c = await SignalingTestClient.connect(t.url);
  clients.push(c);
  return c;
}

async function token(roomId: string, identity: string): Promise<string> {
  return (await readJson(await t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities: ['subscribe:all'] } }))).token;
}

type Try = { ws: WebSocket } | { status: number; body: any };

/** An open socket, or the HTTP refusal of its upgrade (status and problem body). */
function tryConnect(): Promise<Try> {
  const ws = new WebSocket(`${t.url.replace(/^http/, 'ws')}/v1/rtc`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      opened.push(ws);
      resolve({ ws });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}
const opened: WebSocket[] = [];
afterEach(() => {
  for (const ws of opened.splice(0)) ws.close();
});

const refusals = (tries: Try[]) => tries.filter((r): r is { status: number; body: any } => 'status' in r);
const sockets = (tries: Try[]) => tries.filter((r): r is { ws: WebSocket } => 'ws' in r).map((r) => r.ws);

/** Joins on a raw socket; resolves with the answer frame. */
function joinOn(ws: WebSocket, token: string): Promise<{ ok: boolean }> {
  return new Promise((resolve) => {
    ws.once('message', (raw) => resolve(JSON.parse(raw.toString())));
    ws.send(JSON.stringify({ id: 1, method: 'join', data: { token } }));
  });
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('unauthenticated clients (issue 17 row 6)', () => {
  it(`one socket guessing tokens gets ${JOIN_ATTEMPTS_PER_SOCKET} join attempts, then too_many_join_attempts and close ${CLOSE_CODES.tooManyJoinAttempts}`, async () => {
    const c = await connect();
    for (let i = 0; i < JOIN_ATTEMPTS_PER_SOCKET; i += 1) {
      expect(await c.errorCode('join', { token: `${b64({ alg: 'HS256', kid: `guess${String(i).padStart(4, '0')}` })}.${b64({ n: i })}.x` })).toBe('token_unknown_key');
    }
    // 20 more at once: none reaches a token check.
    for (let i = 0; i < 20; i += 1) c.ws.send(JSON.stringify({ id: 100 + i, method: 'join', data: { token: 'guess' } }));
    expect(await c.waitClosed()).toEqual({ code: CLOSE_CODES.tooManyJoinAttempts, reason: 'too_many_join_attempts' });
  });

  it(`an address opening sockets without joining holds ${UNJOINED}; the next upgrades are answered 429 too_many_connections`, async () => {
    const first = await Promise.all(Array.from({ length: UNJOINED + 5 }, () => tryConnect()));
    expect(sockets(first)).toHaveLength(UNJOINED);
    expect(refusals(first)).toEqual(Array(5).fill({ status: 429, body: expect.objectContaining({ code: 'too_many_connections' }) }));
    // Joined sockets no longer count as unjoined; the address's total still holds.
    const live = sockets(first);
    for (const [i, ws] of live.entries()) expect((await joinOn(ws, await token('r_unauth-sockets', `viewer-${i}`))).ok).toBe(true);
    const more = await Promise.all(Array.from({ length: SOCKETS - UNJOINED + 3 }, () => tryConnect()));
    expect(refusals(more)).toHaveLength(3);
    // Closing frees the places.
    for (const ws of [...live, ...sockets(more)]) ws.close();
    await waitFor(async () => 'ws' in (await tryConnect()), { what: 'a socket admitted again' });
  });
});

describe('malformed tokens (issue 17 row 11)', () => {
  it('a numeric kid is token_malformed over a real socket, and 50 such joins log nothing above debug', async () => {
    const numericKid = `${b64({ alg: 'HS256', typ: 'JWT', kid: 123 })}.${b64({ sub: 'x' })}.c2ln`;
    const before = logged.length;
    for (let socket = 0; socket < 10; socket += 1) {
      const c = await connect();
      for (let i = 0; i < JOIN_ATTEMPTS_PER_SOCKET; i += 1) expect(await c.errorCode('join', { token: numericKid })).toBe('token_malformed');
      c.close();
    }
    // Garbage frames too: client errors, never the node's.
    const c = await connect();
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ id: 1, method: 'nonsense' }));
    await waitFor(() => c.events.length === 1, { what: 'the invalid frame answered' });
    expect(await c.errorCode('nonsense')).toBe('unknown_method');
    const lines = logged.slice(before);
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'signaling request refused' && l.code === 'token_malformed')).toHaveLength(50);
  });
});
