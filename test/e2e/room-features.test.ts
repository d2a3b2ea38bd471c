// Webinar room features through @levelchat/web in Chromium: Q&A (ask, upvote, answer; a viewer
// without chat:send is refused), the moderators' raised-hand queue (lower_hand), and chat deleted by
// a moderator; then the demo console's Q&A and hands panels on the same room. Pages are
// /harness.html (window.harness drives the SDK and records its events) and the console at `/`.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { readJson } from '../helpers/test-stack.js';
import { arg, callOrThrow, h, joinOrThrow, mintToken, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { useBrowserStack } from './browser-stack.js';

const { t, browser } = useBrowserStack();

const MODERATOR = ['moderate:participants', 'subscribe:all', 'chat:send'];
const ATTENDEE = ['subscribe:all', 'chat:send', 'hand:raise'];
const VIEWER = ['subscribe:all'];

interface Q {
  id: string;
  text: string;
  votes: number;
  state: string;
  answer: string | null;
}

async function join(page: Page, roomId: string, identity: string, caps: string[]): Promise<string> {
  const minted = await mintToken(t.url, t.apiKey, roomId, identity, caps, 'webinar');
  return (await joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'webinar' }, identity)).participantId;
}

const texts = async (page: Page) => (await h(page, 'questions')).map((q) => q.text);

describe('webinar room features in Chromium', () => {
  it('Q&A, the raised-hand queue and chat deletion reach every page; the demo console shows them', async () => {
    const t0 = Date.now();
    const mark = (what: string) => console.log(`[room-features] ${what} at +${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const created = await t.api('/v1/rooms', { method: 'POST', json: { type: 'webinar', config: { registration: 'off' } } });
    expect(created.status).toBe(201);
    const roomId = ((await readJson(created)) as { id: string }).id;

    const [mod, a1, a2, viewer] = await Promise.all([
      openHarness(browser, t.url, 'mod'),
      openHarness(browser, t.url, 'a1'),
      openHarness(browser, t.url, 'a2'),
      openHarness(browser, t.url, 'viewer'),
    ]);
    // The moderator first: the queue and every question go to it from the start.
    await join(mod, roomId, 'host', MODERATOR);
    const [a1Id, a2Id] = await Promise.all([join(a1, roomId, 'alice', ATTENDEE), join(a2, roomId, 'bob', ATTENDEE), join(viewer, roomId, 'vera', VIEWER)]);
    mark('joined');
    const everyone = [mod, a1, a2, viewer];

    // ---- Q&A: ask, upvote (one vote per identity), ordered by votes then time ----------------------
    const q1 = await callOrThrow<Q>(a1, 'askQuestion', 'What about latency?');
    const q2 = await callOrThrow<Q>(a2, 'askQuestion', 'Is there a recording?');
    expect(q1).toMatchObject({ text: 'What about latency?', votes: 0, state: 'open', identity: 'alice', participantId: a1Id });
    expect((await callOrThrow<Q>(a1, 'upvoteQuestion', q2.id)).votes).toBe(1);
    expect((await callOrThrow<Q>(a1, 'upvoteQuestion', q2.id)).votes).toBe(1); // again: no second vote
    for (const page of everyone) {
      await waitFor(async () => {
        const qs = await h(page, 'questions');
        return qs.length === 2 && qs[0]!.id === q2.id && qs[0]!.votes === 1 && qs[1]!.id === q1.id;
      }, { what: 'the ordered questions' });
    }
    // Late joiners get the open questions in the join, already ordered.
    const late = await openHarness(browser, t.url, 'late');
    await join(late, roomId, 'lee', VIEWER);
    expect(await texts(late)).toEqual(['Is there a recording?', 'What about latency?']);
    await h(late, 'leave');
    await late.context().close();

    // The moderator answers: everyone gets `question` with state answered; it leaves the open list.
    expect(await callOrThrow<Q>(mod, 'answerQuestion', q2.id, 'Yes, in the recordings list')).toMatchObject({ state: 'answered', answer: 'Yes, in the recordings list' });
    for (const page of everyone) {
      const [e] = await waitEvents(page, 'question', (e) => arg<Q>(e).id === q2.id && arg<Q>(e).state === 'answered');
      expect(arg<Q>(e!)).toMatchObject({ votes: 1, answer: 'Yes, in the recordings list' });
      await waitFor(async () => (await texts(page)).join() === 'What about latency?', { what: 'the answered question to leave the list' });
    }
    // Attendees cannot answer; a viewer without chat:send cannot ask.
    expect(await h(a2, 'call', 'dismissQuestion', q1.id)).toMatchObject({ ok: false, code: 'capability_required' });
    expect(await h(viewer, 'call', 'askQuestion', 'may I?')).toMatchObject({ ok: false, code: 'capability_required' });
    await waitEvents(viewer, 'error', (e) => arg<{ code: string }>(e).code === 'capability_required');
    mark('Q&A');

    // ---- Raised hands: the moderator's ordered queue, lower_hand ----------------------------------
    await callOrThrow(a1, 'raiseHand');
    await callOrThrow(a2, 'raiseHand');
    const [queued] = await waitEvents(mod, 'hand-queue', (e) => arg<unknown[]>(e).length === 2);
    expect(arg<{ participantId: string; identity: string }[]>(queued!).map((x) => [x.participantId, x.identity])).toEqual([
      [a1Id, 'alice'],
      [a2Id, 'bob'],
    ]);
    expect((await h(mod, 'handQueue')).map((x) => x.identity)).toEqual(['alice', 'bob']);
    expect(await h(a1, 'handQueue')).toEqual([]); // moderators only
    expect(await h(a1, 'events', 'hand-queue')).toEqual([]);
    expect(await h(a2, 'call', 'lowerHand', a1Id)).toMatchObject({ ok: false, code: 'capability_required' });

    await callOrThrow(mod, 'lowerHand', a1Id);
    await waitEvents(mod, 'hand-queue', (e) => arg<{ identity: string }[]>(e).map((x) => x.identity).join() === 'bob');
    expect((await h(mod, 'handQueue')).map((x) => x.identity)).toEqual(['bob']);
    await waitEvents(a1, 'hand', (e) => arg<{ participantId: string; raised: boolean }>(e).participantId === a1Id && !arg<{ raised: boolean }>(e).raised);
    expect(await h(a1, 'local')).toMatchObject({ id: a1Id, handRaised: false });
    expect(await h(a2, 'local')).toMatchObject({ handRaised: true });
    mark('hands');

    // ---- Chat deleted by the moderator disappears for everyone -------------------------------------
    const keep = await callOrThrow<{ id: string }>(a2, 'sendChat', 'hello all');
    const oops = await callOrThrow<{ id: string }>(a1, 'sendChat', 'oops, my password');
    for (const page of everyone) await waitEvents(page, 'chat', (e) => arg<{ id: string }>(e).id === oops.id);
    expect(await h(a2, 'call', 'deleteChat', oops.id)).toMatchObject({ ok: false, code: 'capability_required' });
    await callOrThrow(mod, 'deleteChat', oops.id);
    for (const page of everyone) {
      const [e] = await waitEvents(page, 'chat-deleted');
      expect(arg(e!)).toEqual({ messageId: oops.id, by: expect.any(String) });
      expect(await h(page, 'chatHistory')).toEqual([{ identity: 'bob', text: 'hello all' }]);
    }
    expect(keep.id).not.toBe(oops.id);
    expect(await h(mod, 'call', 'deleteChat', oops.id)).toMatchObject({ ok: false, code: 'not_found' });
    mark('chat');

    // ---- The demo console, joined from a link with a moderator token -------------------------------
    const minted = await mintToken(t.url, t.apiKey, roomId, 'demo-host', MODERATOR, 'webinar');
    const demo = await (await browser.newContext()).newPage();
    demo.on('pageerror', (err) => console.error('[page error demo]', err.message));
    await demo.goto(`${t.url}/?room=${roomId}&token=${encodeURIComponent(minted.token)}`);
    await demo.selectOption('#room-type', 'webinar');
    await demo.click('#join');
    await demo.waitForSelector('#live:not([hidden])', { timeout: 5000 });
    // The open question, with the moderator's buttons; the answered one below; bob's hand in the queue.
    const open = demo.locator(`#questions li[data-id="${q1.id}"]`);
    await open.waitFor({ timeout: 5000 });
    expect(await open.textContent()).toContain('What about latency?');
    expect(await open.locator('button').allTextContents()).toEqual(['upvote', 'answer', 'dismiss']);
    await demo.waitForSelector('#hands-panel:not([hidden]) #hand-queue li', { timeout: 5000 });
    expect(await demo.locator('#hand-queue li').first().textContent()).toContain('bob');
    expect(await demo.locator('#chat li').allTextContents()).toEqual([expect.stringContaining('hello all')]);
    // Asking from the console reaches the attendees; dismissing it there takes it off their lists.
    await demo.fill('#qa-text', 'Asked from the console');
    await demo.click('#qa-form button');
    await waitFor(async () => (await texts(a1)).includes('Asked from the console'), { what: 'the console question on alice' });
    const asked = demo.locator('#questions li', { hasText: 'Asked from the console' });
    await asked.waitFor({ timeout: 5000 });
    await asked.locator('button', { hasText: 'dismiss' }).click();
    await waitFor(async () => !(await texts(a1)).includes('Asked from the console'), { what: 'the dismissed question to leave alice' });
    await demo.waitForSelector('#answered li:has-text("dismissed")', { timeout: 5000 });
    // Lowering bob's hand from the queue panel.
    await demo.locator('#hand-queue li', { hasText: 'bob' }).locator('button', { hasText: 'lower' }).click();
    await waitFor(async () => (await h(a2, 'local'))?.handRaised === false, { what: 'bob’s hand lowered' });
    await demo.waitForSelector('#hand-queue-empty:not([hidden])', { timeout: 5000 });
    mark('demo console');
    await demo.context().close();
    await Promise.all(everyone.map((p) => h(p, 'leave')));
  }, 45_000);
});
