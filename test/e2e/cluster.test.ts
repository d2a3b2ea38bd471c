// One broadcast across three LevelChat node processes on loopback (one Redis, one S3): the room is
// placed by its region_hint, a Chromium publisher on the origin node is watched by Chromium viewers
// on the two other nodes (their edges pipe the tracks over PipeTransports), a dead edge node's
// viewers move to another node within 5 s, and a dead origin node's room is placed again with the
// publisher back on the new origin.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlayers } from '../../scripts/setup/players.mjs';
import { projectRoot } from '../../common/compiled-entry.js';
import { startClusterProcesses, type ClusterNodeProcess, type ClusterProcesses } from '../helpers/cluster-processes.js';
import { arg, h, joinOrThrow, launchChromium, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';

let browser: Browser;
beforeAll(async () => {
  await buildPlayers(projectRoot());
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const PUBLISHER = ['publish:camera', 'subscribe:all', 'chat:send'];
const AUDIENCE = ['subscribe:all', 'chat:send'];

async function token(cluster: ClusterProcesses, via: ClusterNodeProcess, roomId: string, identity: string, capabilities: string[], region?: string) {
  const res = await cluster.api(via, `/v1/rooms/${roomId}/tokens`, { method: 'POST', json: { identity, capabilities, ...(region ? { region } : {}) } });
  expect(res.status).toBe(201);
  return (await res.json()) as { token: string; signaling_url: string };
}

/** A Chromium page (loaded from `node`) joined at `signalingUrl`. */
async function joinAt(node: ClusterNodeProcess, signalingUrl: string, minted: { token: string }, label: string): Promise<{ page: Page; id: string }> {
  const page = await openHarness(browser, node.url, label);
  const joined = await joinOrThrow(page, { token: minted.token, signalingUrl, roomType: 'broadcast' }, label);
  return { page, id: joined.participantId };
}

const framesFrom = async (page: Page, participantId: string) => (await h(page, 'framesDecoded'))[participantId] ?? 0;

describe('a broadcast across three node processes', () => {
  it('places by region_hint, fans out to viewers on every node, and survives losing an edge node and the origin node', { timeout: 120_000 }, async () => {
    const cluster = await startClusterProcesses([
      { id: 'node-a', region: 'eu' },
      { id: 'node-b', region: 'us' },
      { id: 'node-c', region: 'us' },
    ]);
    const [a, b, c] = cluster.nodes as [ClusterNodeProcess, ClusterNodeProcess, ClusterNodeProcess];
    await waitFor(async () => ((await (await cluster.api(c, '/v1/nodes')).json()) as { nodes: unknown[] }).nodes.length === 3, { what: 'three nodes in the registry' });

    // Placement: the room hinted "eu" goes to the eu node, whichever node is asked; an audience
    // token for a viewer in "us" names a us node.
    const created = await cluster.api(c, '/v1/rooms', { method: 'POST', json: { external_id: 'cluster-e2e', type: 'broadcast', config: { region_hint: 'eu' } } });
    const roomId = ((await created.json()) as { id: string }).id;
    const anchorToken = await token(cluster, c, roomId, 'anchor', PUBLISHER);
    expect(anchorToken.signaling_url).toBe(a.signalingUrl);
    const usViewer = await token(cluster, a, roomId, 'viewer-us', AUDIENCE, 'us');
    expect([b.signalingUrl, c.signalingUrl]).toContain(usViewer.signaling_url);

    // A publisher on A; viewers on B and C, each joined at its own node.
    const anchor = await joinAt(a, a.signalingUrl, anchorToken, 'anchor@a');
    expect((await h(anchor.page, 'call', 'publishCamera')).ok).toBe(true);
    const onB = await joinAt(b, b.signalingUrl, await token(cluster, a, roomId, 'viewer-b', AUDIENCE), 'viewer@b');
    const onC = await joinAt(c, c.signalingUrl, await token(cluster, a, roomId, 'viewer-c', AUDIENCE), 'viewer@c');
    await waitFor(async () => (await framesFrom(onB.page, anchor.id)) > 5, { timeoutMs: 20_000, what: 'frames on B' });
    await waitFor(async () => (await framesFrom(onC.page, anchor.id)) > 5, { timeoutMs: 20_000, what: 'frames on C' });
    await waitFor(async () => (await h(onC.page, 'inboundFramesDecoded')).some((n) => n > 0), { what: 'inbound-rtp on C' });

    // The LL-HLS made on the origin is served by every node (playlist state over Redis, objects from S3).
    const master = await waitFor(async () => {
      const res = await fetch(`${c.url}/hls/${roomId}/master.m3u8`);
      return res.status === 200 ? res.text() : null;
    }, { timeoutMs: 20_000, what: 'master playlist from node C', intervalMs: 250 });
    const media = /^(\S+\.m3u8)$/m.exec(master)![1]!;
    const playlist = await (await fetch(`${c.url}/hls/${roomId}/${media}`)).text();
    expect(playlist).toContain('#EXT-X-PART:');

    // Node C dies: its viewer joins again on another node and decodes the anchor within 5 s.
    const killedC = Date.now();
    c.server.proc.kill('SIGKILL');
    await waitEvents(onC.page, 'reconnected', () => true, 1, 5000);
    await waitFor(async () => (await framesFrom(onC.page, anchor.id)) > 0, { timeoutMs: Math.max(500, 5000 - (Date.now() - killedC)), what: 'frames on the moved viewer', intervalMs: 50 });
    const movedMs = Date.now() - killedC;
    console.log(`[cluster] node C killed: its viewer decodes frames again ${movedMs} ms later`);
    expect(movedMs).toBeLessThan(5000);
    expect(await h(onC.page, 'events', 'disconnected')).toEqual([]);

    // Node A (the origin) dies: the room is placed again on a live node; the anchor's SDK joins
    // there and publishes again; the viewer on B decodes the new track.
    const killedA = Date.now();
    a.server.proc.kill('SIGKILL');
    await waitEvents(anchor.page, 'reconnected', () => true, 1, 30_000);
    const moved = (await h(anchor.page, 'local'))!;
    expect(moved.id).not.toBe(anchor.id);
    await waitFor(async () => (await framesFrom(onB.page, moved.id)) > 0, { timeoutMs: 20_000, what: 'the re-published camera on B', intervalMs: 50 });
    console.log(`[cluster] origin node A killed: the room was placed again and B decodes the anchor ${Date.now() - killedA} ms later`);
    const replaced = await token(cluster, b, roomId, 'anchor-2', PUBLISHER);
    expect(replaced.signaling_url).toBe(b.signalingUrl);
    expect(await h(anchor.page, 'events', 'disconnected')).toEqual([]);
    const subscribed = (await h(onB.page, 'events', 'track-subscribed')).map((e) => arg<{ participantId: string }>(e).participantId);
    expect(subscribed).toEqual([anchor.id, moved.id]);

    // Nothing of the room was lost with its nodes: once everybody left (those on the dead nodes
    // taken out by the survivors), the room ends.
    for (const p of [anchor, onB, onC]) await h(p.page, 'leave');
    await waitFor(async () => ((await (await cluster.api(b, `/v1/rooms/${roomId}`)).json()) as { state: string }).state === 'ended', { timeoutMs: 15_000, what: 'the room ended', intervalMs: 250 });
  });
});
