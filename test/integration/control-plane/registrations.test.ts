import { describe, expect, it } from 'vitest';
import { readJson, useTestStack } from '../../helpers/test-stack.js';

const { t } = useTestStack();

const mint = (roomId: string, identity: string, capabilities: string[]) => t.api(`/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities, type: 'webinar' } });

describe('webinar registration gating', () => {
  it('open registration: registrants get a personal token and link; non-registrants get no audience token', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'webinar-open', type: 'webinar' } });
    const refused = await mint('r_webinar-open', 'stranger', ['subscribe:all']);
    expect(refused.status).toBe(403);
    expect((await readJson(refused)).code).toBe('registration_required');
    // Hosts (publish or moderate) are not gated.
    expect((await mint('r_webinar-open', 'host', ['publish:camera', 'moderate:participants'])).status).toBe(201);

    const res = await t.api('/v1/rooms/r_webinar-open/registrations', { method: 'POST', json: { identity: 'ann', name: 'Ann', email: 'ann@example.com' } });
    expect(res.status).toBe(201);
    const admitted = await readJson(res);
    expect(admitted.registration).toMatchObject({ identity: 'ann', state: 'approved', email: 'ann@example.com' });
    expect(admitted.join_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#room=r_webinar-open&token=ey/);
    const grant = await t.stack.control.minter.verify(admitted.token);
    expect(grant).toMatchObject({ roomId: 'r_webinar-open', identity: 'ann', capabilities: ['subscribe:all', 'chat:send', 'reactions:send'] });
    expect((await mint('r_webinar-open', 'ann', ['subscribe:all'])).status).toBe(201);

    const again = await t.api('/v1/rooms/r_webinar-open/registrations', { method: 'POST', json: { identity: 'ann' } });
    expect(again.status).toBe(200);
    expect((await readJson(again)).registration.id).toBe(admitted.registration.id);
  });

  it('approval registration: pending until approved; rejected registrants stay out', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'webinar-approval', type: 'webinar', config: { registration: 'approval' } } });
    const pending = await t.api('/v1/rooms/r_webinar-approval/registrations', { method: 'POST', json: { identity: 'bob' } });
    expect(pending.status).toBe(202);
    const { registration, token } = await readJson(pending);
    expect(registration.state).toBe('pending');
    expect(token).toBeNull();
    expect((await mint('r_webinar-approval', 'bob', ['subscribe:all'])).status).toBe(403);

    const approved = await readJson(await t.api(`/v1/rooms/r_webinar-approval/registrations/${registration.id}/approve`, { method: 'POST' }));
    expect(approved.registration.state).toBe('approved');
    expect(approved.token).toEqual(expect.any(String));
    expect((await mint('r_webinar-approval', 'bob', ['subscribe:all'])).status).toBe(201);

    const carol = await readJson(await t.api('/v1/rooms/r_webinar-approval/registrations', { method: 'POST', json: { identity: 'carol' } }));
    await t.api(`/v1/rooms/r_webinar-approval/registrations/${carol.registration.id}/reject`, { method: 'POST' });
    expect((await mint('r_webinar-approval', 'carol', ['subscribe:all'])).status).toBe(403);

    const list = await readJson(await t.api('/v1/rooms/r_webinar-approval/registrations'));
    expect(list.registrations.map((r: { identity: string; state: string }) => [r.identity, r.state])).toEqual([['bob', 'approved'], ['carol', 'rejected']]);
  });

  it('refuses bad input and rooms without registration', async () => {
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'meeting-noreg' } });
    const off = await t.api('/v1/rooms/r_meeting-noreg/registrations', { method: 'POST', json: { identity: 'x' } });
    expect((await readJson(off)).code).toBe('registration_off');
    await t.api('/v1/rooms', { method: 'POST', json: { external_id: 'webinar-bad', type: 'webinar' } });
    for (const json of [{}, { identity: '' }, { identity: 'x', email: 'not-an-email' }, { identity: 'x', admin: true }]) {
      expect((await t.api('/v1/rooms/r_webinar-bad/registrations', { method: 'POST', json })).status).toBe(400);
    }
    expect((await t.api('/v1/rooms/r_webinar-bad/registrations/reg_nope/approve', { method: 'POST' })).status).toBe(400);
    expect((await t.api('/v1/rooms/r_webinar-bad/registrations/reg_0123456789abcdef/approve', { method: 'POST' })).status).toBe(404);
  });
});
