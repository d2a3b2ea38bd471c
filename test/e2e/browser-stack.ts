// Test-only set-up for the browser E2E files (vitest hooks); browser-kit.ts stays free of vitest so
// the benches can use it.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildPlayers } from '../../scripts/setup/players.mjs';
import { projectRoot } from '../../common/compiled-entry.js';
import { lateBound, startTestStack, type TestStack } from '../helpers/test-stack.js';
import { launchChromium } from '../../bench/lib/browser-kit.js';
/**
 * A node and Chromium for the whole test file (with the players bundle built first): started in
 * beforeAll, closed in afterAll. Use the returned objects only inside tests and hooks.
 */
export function useBrowserStack(options: Parameters<typeof startTestStack>[0] = {}): { t: TestStack; browser: Browser } {
  let stack: TestStack | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    await buildPlayers(projectRoot());
    [stack, browser] = await Promise.all([startTestStack(options), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });
  return { t: lateBound(() => stack, 'the test stack'), browser: lateBound(() => browser, 'Chromium') };
}
