// Issue 17, row 12: a session outliving its token. Before: expiry was checked only when a request
// needed a capability, so a session whose token expired kept its transports and kept receiving
// media; and revocation compared the minting node's clock with the revoking node's.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseApiKey } from '../../../src/auth/api-key.js';
import type { Capability } from '../../../src/auth/capabilities.js';
import { CLOSE_CODES } from '../../../src/signaling/protocol.js';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { sleep, waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack();
const clients: SignalingTestClient[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.close();
});

const VIEWER: Capability[] = ['subscribe:all'];

/** A token straight from the node's minter: REST asks for at least 60 s. */
async function shortToken(roomId: string, identity: string, ttlS: number, capabilities = VIEWER): Promise<string> {
  return (await t.stack.control.minter.mint(parseApiKey(t.apiKey)!.id, { roomId, identity, capabilities, ttlS })).token;
}

async function connect(): Promise<SignalingTestClient> {
  const c = await SignalingTestClient.connect(t.url);
  clients.push(c);
  return c;
}

/** The room's transports as mediasoup counts them (0 once the room is gone). */
async function transportsOf(roomId: string): Promise<number> {
  const live = t.stack.liveRooms.rooms.get(roomId);
  if (!live) return 0;
  const dumps = await Promise.all(live.media.allTiers.map((tier) => tier.router.dump()));
  return dumps.reduce((n, d) => n + d.transportIds.length, 0);
}

describe('a session whose token expires', () => {
  it('is told ahead (session-ending), then token-expired, closed with 4010, its media gone', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'expiry' } });
    const keeper = await connect();
    await keeper.ok('join', { token: await shortToken('r_expiry', 'keeper', 3600) });
    const c = await connect();
    const joined = await c.ok('join', { token: await shortToken('r_expiry', 'brief', 3) });
    await c.ok('create_transport', { direction: 'recv' });
    expect(await transportsOf('r_expiry')).toBe(1);
    // Less than the minute's notice is left: told at once.
    const ending = await c.waitEvent('session-ending', () => true, 1000);
    expect(ending.seconds_left).toBeLessThanOrEqual(3);
    expect(await c.waitEvent('token-expired', () => true, 6000)).toEqual({ expired_at: ending.expires_at });
    expect(await c.waitClosed()).toEqual({ code: CLOSE_CODES.tokenExpired, reason: 'token_expired' });
    await waitFor(async () => (await transportsOf('r_expiry')) === 0, { what: 'its transport closed' });
    expect(t.stack.liveRooms.rooms.get('r_expiry')!.participants.has(joined.participant.id)).toBe(false);
    // Nothing to resume with an expired token.
    expect(await (await connect()).errorCode('resume', { token: await shortToken('r_expiry', 'brief', 3600), participant_id: joined.participant.id, resume_token: joined.resume_token })).toBe('resume_failed');
  });

  it('goes on with refresh_token (same identity and room); another identity or room is token_mismatch', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'refresh' } });
    const c = await connect();
    await c.ok('join', { token: await shortToken('r_refresh', 'stay', 3) });
    expect(await c.errorCode('refresh_token', { token: await shortToken('r_refresh', 'someone-else', 3600) })).toBe('token_mismatch');
    expect(await c.errorCode('refresh_token', { token: await shortToken('r_other-room', 'stay', 3600) })).toBe('token_mismatch');
    expect(await c.errorCode('refresh_token', { token: 'not a token' })).toBe('token_malformed');
    const fresh = await shortToken('r_refresh', 'stay', 3600);
    const { expires_at } = await c.ok('refresh_token', { token: fresh });
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now() + 3000 * 1000);
    await sleep(4000);
    expect(c.closed).toBeNull();
    expect(c.events.some((e) => e.event === 'token-expired')).toBe(false);
    // Past the first token's expiry, the session works under the new one.
    await c.ok('create_transport', { direction: 'recv' });
  }, 15_000);
});

describe('revocation on one clock', () => {
  it("a token minted while this node's clock runs 30 s ahead is still revoked by a revocation made after it", async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'skew' } });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 30_000);
    const res = await t.api('/v1/rooms/r_skew/tokens', { method: 'POST', json: { identity: 'skewed', capabilities: VIEWER } });
    vi.useRealTimers();
    const { token } = await readJson(res);
    expect((await t.api('/v1/rooms/r_skew/participants/skewed', { method: 'DELETE' })).status).toBe(204);
    expect(await (await connect()).errorCode('join', { token })).toBe('token_revoked');
  });
});
