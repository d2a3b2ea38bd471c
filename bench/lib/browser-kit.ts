// Driving the players in Chromium: a fake camera and microphone, pages on /harness.html driven
// through window.harness, tokens minted with the API key. The browser benches (join, llhls-latency)
// and the browser e2e tests (test/e2e) share it; it lives here, on top of the layers, so the benches
// need nothing from test/.
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Harness, RecordedEvent } from '../../players/demo/harness-api.js';
import { waitFor } from './wait.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Calls `window.harness[method](...args)` in the page. */
export function h<K extends keyof Harness>(page: Page, method: K, ...args: Parameters<Harness[K]>): Promise<Awaited<ReturnType<Harness[K]>>> {
  return page.evaluate(`globalThis.harness.${method}(...${JSON.stringify(args)})`) as Promise<Awaited<ReturnType<Harness[K]>>>;
}

/** Joins through `window.harness.join(options)`; throws "`who` could not join: code message" if refused, else returns the joined value. */
export async function joinOrThrow(page: Page, options: Parameters<Harness['join']>[0], who: string) {
  const joined = await h(page, 'join', options);
  if (!joined.ok) throw new Error(`${who} could not join: ${joined.code} ${joined.message}`);
  return joined.value;
}

/** Calls a LiveSession method through `window.harness.call`; throws "method: code message" if it fails, else returns its value as T. */
export async function callOrThrow<T = unknown>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  const r = await h(page, 'call', method, ...args);
  if (!r.ok) throw new Error(`${method}: ${r.code} ${r.message}`);
  return r.value as T;
}

/** A fresh browser context (own WebRTC stack) on /harness.html. */
export async function openHarness(browser: Browser, baseUrl: string, label = ''): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => console.error(`[page error${label ? ` ${label}` : ''}]`, err.message));
  await page.goto(`${baseUrl}/harness.html`);
  await page.waitForFunction('globalThis.harness !== undefined');
  return page;
}

export interface Minted {
  token: string;
  signaling_url: string;
}

/** POST /v1/rooms/{id}/tokens (the room is created on the fly with `type`). */
export async function mintToken(baseUrl: string, apiKey: string, roomId: string, identity: string, capabilities: string[], type: string): Promise<Minted> {
  const res = await fetch(`${baseUrl}/v1/rooms/${roomId}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ identity, capabilities, type }),
  });
  if (res.status !== 201) throw new Error(`token for ${identity}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Minted;
}

/**
 * Mints a token for `identity` in `roomId` (a `roomType` room, made on the fly) with the API key of
 * the node at `node.url`, and joins the page with it: joinOrThrow's value, or its error.
 */
export async function joinWithToken(page: Page, node: { url: string; apiKey: string }, roomId: string, identity: string, capabilities: string[], roomType: string) {
  const minted = await mintToken(node.url, node.apiKey, roomId, identity, capabilities, roomType);
  return joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType }, identity);
}

export function waitEvents(page: Page, event: string, pred: (e: RecordedEvent) => boolean = () => true, count = 1, ms = 10_000): Promise<RecordedEvent[]> {
  return waitFor(async () => {
    const matching = (await h(page, 'events', event)).filter(pred);
    return matching.length >= count ? matching : undefined;
  }, { timeoutMs: ms, what: `${count} × ${event}` });
}

/** Waits until WebRTC video frames decoded on `page` from participant `from` grew by `more`; returns the count then. */
export async function webrtcFramesGrow(page: Page, from: string, more = 10, ms = 10_000): Promise<number> {
  const start = (await h(page, 'framesDecoded'))[from] ?? 0;
  return waitFor(async () => {
    const n = (await h(page, 'framesDecoded'))[from] ?? 0;
    return n >= start + more ? n : undefined;
  }, { timeoutMs: ms, what: `${more} more frames from ${from}` });
}

/** Waits until the page's LL-HLS <video> presented `more` frames beyond what it had; returns the stats then. */
export async function hlsFramesGrow(page: Page, more = 30, ms = 20_000) {
  const start = (await h(page, 'hlsStats'))?.frames ?? 0;
  return waitFor(async () => {
    const s = await h(page, 'hlsStats');
    return s && s.frames >= start + more ? s : undefined;
  }, { timeoutMs: ms, what: `${more} more LL-HLS frames`, intervalMs: 200 });
}

export const arg = <T>(e: RecordedEvent, i = 0) => e.args[i] as T;
