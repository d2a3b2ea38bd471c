// Issue 17, row 5: rejecting an approved webinar registration. Before: it revoked nothing; the
// registrant's 7-day room token still joined, its 6 h playback token still played, a live session
// stayed, and that session could mint a fresh playback token over signaling.
import { afterEach, describe, expect, it } from 'vitest';
import { SignalingTestClient } from '../../helpers/signaling-client.js';
import { readJson, useTestStack } from '../../helpers/test-stack.js';
import { waitFor } from '../../../bench/lib/wait.js';

const { t } = useTestStack();
const clients: SignalingTestClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});

const master = (roomId: string, token: string) => fetch(`${t.url}/hls/${roomId}/master.m3u8?token=${encodeURIComponent(token)}`);

async function connect(): Promise<SignalingTestClient> {
  const c = await SignalingTestClient.connect(t.url);
  clients.push(c);
  return c;
}

async function decide(roomId: string, registrationId: string, decision: 'approve' | 'reject') {
  const res = await t.api(`/v1/rooms/${roomId}/registrations/${registrationId}/${decision}`, { method: 'POST' });
  expect(res.status).toBe(200);
  return readJson(res);
}

describe('rejecting an approved webinar registration', () => {
  it('revokes its room and playback tokens, kicks its live sessions, and refuses further mints', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'reg-reject', type: 'webinar', config: { registration: 'approval' } } });
    const pending = await readJson(await t.api('/v1/rooms/r_reg-reject/registrations', { method: 'POST', json: { identity: 'mallory' } }));
    expect(pending.registration.state).toBe('pending');
    const approved = await decide('r_reg-reject', pending.registration.id, 'approve');
    const playback = new URL(approved.playback_url).searchParams.get('token')!;
    // Admitted: the token joins, the playback token passes the gate (the stream is not on air).
    expect((await readJson(await master('r_reg-reject', playback))).code).toBe('stream_not_found');
    const watching = await connect();
    await watching.ok('join', { token: approved.token });
    const minting = await connect();
    await minting.ok('join', { token: approved.token });

    const rejected = await decide('r_reg-reject', pending.registration.id, 'reject');
    expect(rejected).toMatchObject({ registration: { state: 'rejected' }, token: null, playback_url: null });

    // Live sessions are told and closed; one racing a mint gets token_revoked, never a token.
    const mint = await Promise.race([minting.request('playback_token'), minting.waitClosed().then(() => null)]);
    if (mint) expect(mint.error?.code).toBe('token_revoked');
    expect(await watching.waitEvent('kicked')).toEqual({ reason: 'revoked' });
    expect((await watching.waitClosed()).code).toBe(4001);
    expect((await minting.waitClosed()).code).toBe(4001);

    // The 7-day room token no longer joins; the 6 h playback token no longer plays (within the gate's 2 s cache).
    expect(await (await connect()).errorCode('join', { token: approved.token })).toBe('token_revoked');
    await waitFor(async () => (await readJson(await master('r_reg-reject', playback))).code === 'playback_token_invalid', { timeoutMs: 5000, what: 'the playback token refused' });
    const refused = await master('r_reg-reject', playback);
    expect(refused.status).toBe(403);

    // Approving again issues tokens that work.
    const again = await decide('r_reg-reject', pending.registration.id, 'approve');
    await (await connect()).ok('join', { token: again.token });
    expect((await readJson(await master('r_reg-reject', new URL(again.playback_url).searchParams.get('token')!))).code).toBe('stream_not_found');
  });
});
