// The set-up both browser benches share: the players bundle, a whole LevelChat node on loopback
// (embedded Redis and S3, real mediasoup workers) and Chromium with a fake camera and microphone.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { formatApiKey, generateApiKey } from '../../src/auth/api-key.js';
import { projectRoot } from '../../common/compiled-entry.js';
import type { Stack } from '../../src/runtime/stack.js';
import { callOrThrow, joinOrThrow, launchChromium, mintToken, openHarness, type Minted } from './browser-kit.js';
import { loopbackNodeStarter } from './loopback-node.js';

export interface BrowserBench {
  stack: Stack;
  browser: Browser;
  apiKey: string;
  say: (message: string) => void;
  /** Stops the node and the browser and removes the data dir (idempotent). */
  stop: () => Promise<void>;
  /** A fresh browser context on the node's harness page. */
  open: () => Promise<Page>;
  /** A room of `type` (created by its first token), `r_bench-<name>-<now>`. */
  room: (name: string, type: string) => BenchRoom;
}

export interface BenchRoom {
  id: string;
  /** A token of the room, minted with the bench's API key as a backend would. */
  mint: (identity: string, capabilities: string[]) => Promise<Minted>;
  /** Joins `page` as `publisher` and publishes its (fake) camera and microphone. */
  publish: (page: Page, join?: { roomType?: string }) => Promise<void>;
}

function benchRoom(url: string, apiKey: string, name: string, type: string): BenchRoom {
  const id = `r_bench-${name}-${Date.now()}`;
  const mint = (identity: string, capabilities: string[]) => mintToken(url, apiKey, id, identity, capabilities, type);
  return {
    id,
    mint,
    async publish(page, join = {}) {
      const minted = await mint('publisher', ['publish:camera']);
      await joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, ...join }, 'publisher');
      for (const method of ['publishCamera', 'publishMicrophone']) await callOrThrow(page, method);
    },
  };
}

export async function startBrowserBench(name: string): Promise<BrowserBench> {
  const root = projectRoot();
  const say = (m: string) => process.stderr.write(`[bench ${name}] ${m}\n`);
  // From the checkout, not relative to this file: compiled, it runs from dist/, which has no scripts/.
  const { buildPlayers } = (await import(pathToFileURL(path.join(root, 'scripts', 'setup', 'players.mjs')).href)) as typeof import('../../scripts/setup/players.mjs');
  say(`players build: ${await buildPlayers(root)}`);

  const startNode = await loopbackNodeStarter();

  const dataDir = mkdtempSync(path.join(os.tmpdir(), `levelchat-bench-${name}-`));
  const apiKey = formatApiKey(generateApiKey());
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close().catch(() => {});
    await stack?.stop().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stop().finally(() => process.exit(130)));
  try {
    const t0 = performance.now();
    [stack, browser] = await Promise.all([
      startNode({ dataDir, apiKey, workers: process.env.LEVELCHAT_WORKERS ?? '2' }),
      launchChromium(),
    ]);
    say(`node at ${stack.summary.url} and Chromium ${browser.version()} up in ${(performance.now() - t0).toFixed(0)} ms`);
    const url = stack.summary.url;
    return { stack, browser, apiKey, say, stop, open: () => openHarness(browser!, url), room: (room, type) => benchRoom(url, apiKey, room, type) };
  } catch (err) {
    await stop();
    throw err;
  }
}
