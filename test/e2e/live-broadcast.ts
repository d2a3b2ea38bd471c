// The broadcast the LL-HLS player E2E files watch: a harness page joins as the host and publishes one
// 360p layer and the microphone (what is measured is the stream, not how fast this shared machine
// encodes 720p); resolves once the room's LL-HLS is live. And where its media playlist is.
import type { Browser, Page } from 'playwright-core';
import { callOrThrow, joinWithToken, openHarness } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { readJson, type TestStack } from '../helpers/test-stack.js';

export async function publishLiveBroadcast(t: TestStack, browser: Browser, roomId: string): Promise<Page> {
  const publisher = await openHarness(browser, t.url, 'publisher');
  await joinWithToken(publisher, t, roomId, 'host', ['publish:camera'], 'broadcast');
  await callOrThrow(publisher, 'publishCamera', { width: 640, height: 360, frameRate: 30, simulcast: false });
  await callOrThrow(publisher, 'publishMicrophone');
  await waitFor(async () => (await readJson(await t.api(`/v1/rooms/${roomId}`))).hls?.state === 'live', { timeoutMs: 20_000, what: 'hls live', intervalMs: 200 });
  return publisher;
}

/** The media playlist of the room's first rendition, as its multivariant playlist (`master`, fetched when not given) names it. */
export async function renditionPlaylistUrl(t: TestStack, roomId: string, master?: string): Promise<string> {
  const text = master ?? (await (await fetch(`${t.url}/hls/${roomId}/master.m3u8`)).text());
  const rendition = /^(v[0-9a-z]+)\/index\.m3u8$/m.exec(text)?.[1];
  if (!rendition) throw new Error(`no rendition in the multivariant playlist of ${roomId}: ${text.slice(0, 300)}`);
  return `${t.url}/hls/${roomId}/${rendition}/index.m3u8`;
}
