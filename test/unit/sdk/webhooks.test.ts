import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../../../sdk/node/index.js';
import { signWebhook } from '../../../src/webhooks/signature.js';

const secret = 'whsec_unit';
const event = { id: 'evt_1', type: 'room.ended', room_id: 'r_a', created_at: '2026-04-25T10:00:00.000Z', data: { reason: 'host_ended' } };
const body = JSON.stringify(event);
const now = () => Math.floor(Date.now() / 1000);
const signature = signWebhook(secret, body, now());

describe('verifyWebhook', () => {
  it('returns the event, finding the header in any case, in Headers or a single-value array', () => {
    expect(verifyWebhook(body, { 'LevelChat-Signature': signature }, secret)).toEqual(event);
    expect(verifyWebhook(body, { 'content-type': 'application/json', 'levelchat-signature': signature }, secret)).toEqual(event);
    expect(verifyWebhook(body, { 'LEVELCHAT-SIGNATURE': [signature] }, secret)).toEqual(event);
    expect(verifyWebhook(body, new Headers({ 'levelchat-signature': signature }), secret)).toEqual(event);
  });

  it.each([
    ['a tampered body', body.replace('host_ended', 'empty'), { 'levelchat-signature': signature }, secret],
    ['the wrong secret', body, { 'levelchat-signature': signature }, 'whsec_other'],
    ['a missing header', body, { 'content-type': 'application/json' }, secret],
    ['an empty header', body, { 'levelchat-signature': '' }, secret],
    ['two signature headers', body, { 'levelchat-signature': [signature, signature] }, secret],
    ['a signature older than 5 minutes', body, { 'levelchat-signature': signWebhook(secret, body, now() - 301) }, secret],
    ['a garbled header', body, { 'levelchat-signature': 't=abc,v1=zz' }, secret],
  ])('refuses %s', (_, b, headers, s) => {
    expect(() => verifyWebhook(b, headers, s)).toThrow(WebhookVerificationError);
  });

  it('refuses a correctly signed body that is not JSON', () => {
    expect(() => verifyWebhook('nope', { 'levelchat-signature': signWebhook(secret, 'nope', now()) }, secret)).toThrow(/not JSON/);
  });
});
