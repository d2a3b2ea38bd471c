// The demo console (served at / under its strict CSP) as a new user meets it: "Create room" makes the
// room typed in the room field (r_<external id>), the reaction buttons are words (no emoji font
// needed), and once a broadcast is on air the Audience panel shows it: on air, the LL-HLS URL to
// share, the viewer count and the viewers' latency chart drawn from GET /v1/rooms/{id}.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../../bench/lib/wait.js';
import { readJson } from '../helpers/test-stack.js';
import { useBrowserStack } from './browser-stack.js';

// The page's globals, as the functions below use them inside the page (this project's tsconfig has no DOM lib).
declare const document: { getElementById(id: string): any };

const { t, browser } = useBrowserStack({ env: { LEVELCHAT_WORKERS: '1' } });

describe('demo console: rooms by name, reactions as words, the audience panel', () => {
  it('creates the typed room, publishes a broadcast and charts its viewers without breaking the CSP', async () => {
    const name = `console-${randomBytes(3).toString('hex')}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
    });
    await page.goto(`${t.url}/`);
    await page.fill('#api-key', t.apiKey);
    await page.dispatchEvent('#api-key', 'change');
    await page.fill('#room-id', name);
    await page.selectOption('#room-type', 'broadcast');
    await page.click('#create-room');
    await page.waitForFunction((id) => document.getElementById('room-id').value === id, `r_${name}`);
    const created = await readJson(await t.api(`/v1/rooms/r_${name}`));
    expect(created.type).toBe('broadcast');

    // Reactions are labelled with words; the emoji is what is sent.
    const labels = await page.$$eval('.reactions button', (bs) => bs.map((b) => [b.textContent, b.getAttribute('data-emoji')]));
    expect(labels).toEqual([['Like', '👍'], ['Cheer', '🎉'], ['Love', '❤️']]);

    await page.fill('#identity', 'host');
    await page.click('#mint');
    await page.waitForFunction(() => document.getElementById('token').value.length > 20);
    await page.click('#join');
    await page.waitForSelector('#live:not([hidden])', { timeout: 10_000 });
    await page.click('#camera');
    await page.click('#mic');

    // On air, with the LL-HLS URL to share.
    await page.waitForFunction(() => document.getElementById('on-air').textContent === 'on air: host', undefined, { timeout: 25_000 });
    expect(await page.inputValue('#hls-share')).toBe(`${t.url}/hls/r_${name}/master.m3u8`);
    expect(await page.isVisible('#copy-hls')).toBe(true);

    // A viewer's player reports (POST telemetry with a playback token): the panel counts it and charts its latency.
    const playback = await readJson(await t.api(`/v1/rooms/r_${name}/playback-tokens`, { method: 'POST', json: { identity: 'viewer' } }));
    const reported = await fetch(`${t.url}/v1/rooms/r_${name}/telemetry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${playback.token}` },
      body: JSON.stringify({ session: 'console-test-viewer', delivery: 'llhls', latency_s: 1.25, rebuffers: 0 }),
    });
    expect(reported.status).toBe(204);
    await page.waitForFunction(() => /^1 viewer/.test(document.getElementById('viewers-now').textContent), undefined, { timeout: 10_000 });
    expect(await page.textContent('#latency-now')).toContain('p50 1.25 s');
    // The chart has drawn something besides its background.
    const inked = await page.evaluate(() => {
      const canvas = document.getElementById('latency-chart');
      const data: ArrayLike<number> = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(200);

    // A reaction comes back as a word.
    await page.click('.reactions button[data-emoji="🎉"]');
    await waitFor(async () => (await page.$$eval('.flash', (els) => els.map((e) => e.textContent))).includes('Cheer') || undefined, { what: 'the reaction flashed as a word', timeoutMs: 5000 });

    expect(problems).toEqual([]);
    await page.click('#leave');
    await context.close();
  }, 60_000);
});
