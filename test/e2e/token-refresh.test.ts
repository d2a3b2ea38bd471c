// @levelchat/web and a session's token (issue 17 row 12): `session-ending` comes ahead of the
// token's expiry; `live.refreshToken()` carries the session on under a new token, and without it
// the session ends with `disconnected { reason: token_expired }`.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { parseApiKey } from '../../src/auth/api-key.js';
import { callOrThrow, h, joinOrThrow, mintToken, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { sleep } from '../../bench/lib/wait.js';
import { useBrowserStack } from './browser-stack.js';

const { t: stack, browser } = useBrowserStack();
const pages: Page[] = [];
afterEach(async () => {
  for (const page of pages.splice(0)) await page.context().close();
});

const CAPS = ['subscribe:all', 'chat:send'] as const;

/** Joins a page with a token that expires in `ttlS` (minted by the node's minter: REST asks for 60 s at least). */
async function joinShortLived(roomId: string, identity: string, ttlS: number): Promise<Page> {
  const page = await openHarness(browser, stack.url, identity);
  pages.push(page);
  const { token } = await stack.stack.control.minter.mint(parseApiKey(stack.apiKey)!.id, { roomId, identity, capabilities: [...CAPS], ttlS });
  await joinOrThrow(page, { token, signalingUrl: `${stack.url.replace(/^http/, 'ws')}/v1/rtc`, roomType: 'meeting' }, identity);
  return page;
}

describe('a session whose token expires, in Chromium', () => {
  it('session-ending, then refreshToken() goes on; without it, disconnected token_expired', async () => {
    const roomId = `r_e2e-refresh-${randomBytes(4).toString('hex')}`;
    await stack.api('/v1/rooms', { method: 'POST', json: { external_id: roomId.slice(2), type: 'meeting' } });
    // 10 s tokens: long enough for two Chromium joins on a loaded 2-core CI box before either expires.
    const staying = await joinShortLived(roomId, 'staying', 10);
    const leaving = await joinShortLived(roomId, 'leaving', 10);
    const [ending] = await waitEvents(staying, 'session-ending', () => true, 1, 8000);
    expect(ending!.args[0]).toMatchObject({ expiresAt: expect.any(String), secondsLeft: expect.any(Number) });
    const fresh = await mintToken(stack.url, stack.apiKey, roomId, 'staying', [...CAPS], 'meeting');
    expect(Date.parse(await callOrThrow<string>(staying, 'refreshToken', fresh.token))).toBeGreaterThan(Date.now() + 60_000);
    const [gone] = await waitEvents(leaving, 'disconnected', () => true, 1, 15_000);
    expect(gone!.args[0]).toEqual({ reason: 'token_expired' });
    await sleep(1000);
    expect(await h(staying, 'events', 'disconnected')).toEqual([]);
    await callOrThrow(staying, 'sendChat', 'still here');
  }, 45_000);
});
