// Media through TURN when a client cannot reach the media ports directly: Debian's coturn on
// loopback, authenticating with the TURN REST API secret the node shares (LEVELCHAT_TURN_SECRET), and
// two Chromium pages that may use relay candidates only (`iceTransportPolicy: 'relay'`, what a
// network blocking UDP to the media ports leaves). The join answer's `ice_servers` carries
// time-limited credentials for the token's identity; the SDK hands them to its transports; the
// viewer decodes the publisher's video over a relayed pair, and coturn saw the allocations.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../common/free-port.js';
import { h, joinOrThrow, mintToken, openHarness, waitEvents } from '../../bench/lib/browser-kit.js';
import { waitFor } from '../../bench/lib/wait.js';
import { SignalingTestClient } from '../helpers/signaling-client.js';
import { useBrowserStack } from './browser-stack.js';

const SECRET = randomBytes(24).toString('hex');
const TURN_PORT = await freePort();
const TTL_S = 600;

let turn: ChildProcess | undefined;
let turnLog = '';
beforeAll(async () => {
  turn = spawn(
    'turnserver',
    [
      '-n', '--no-cli', '--no-tls', '--no-dtls', '--fingerprint',
      '--listening-ip=127.0.0.1', `--listening-port=${TURN_PORT}`, '--relay-ip=127.0.0.1',
      '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=levelchat.test',
      // The SFU listens on loopback here; coturn refuses loopback peers unless told otherwise.
      '--allow-loopback-peers', '--min-port=50000', '--max-port=50100',
      '--log-file=stdout', '--simple-log', '--verbose',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  turn.stdout!.on('data', (d: Buffer) => (turnLog += d.toString()));
  turn.stderr!.on('data', (d: Buffer) => (turnLog += d.toString()));
  await waitFor(async () => /listener opened on|Total General servers|IO method/i.test(turnLog) || undefined, { timeoutMs: 10_000, what: 'coturn listening' });
});
afterAll(() => {
  turn?.kill('SIGTERM');
});

const { t, browser } = useBrowserStack({
  env: { LEVELCHAT_WORKERS: '1', LEVELCHAT_TURN_SECRET: SECRET, LEVELCHAT_TURN_URLS: `turn:127.0.0.1:${TURN_PORT}?transport=udp`, LEVELCHAT_TURN_TTL_S: String(TTL_S) },
});

describe('TURN relay (coturn, TURN REST API credentials)', () => {
  it('the join answer carries time-limited TURN credentials for the identity (username <expiry>:<identity>, HMAC-SHA1 of the secret)', async () => {
    const id = `r_e2e-turn-creds-${randomBytes(3).toString('hex')}`;
    const minted = await mintToken(t.url, t.apiKey, id, 'alice', ['subscribe:all'], 'meeting');
    const client = await SignalingTestClient.connect(t.url);
    const answer = (await client.ok('join', { token: minted.token })) as { ice_servers: { urls: string; username?: string; credential?: string }[] };
    expect(answer.ice_servers).toHaveLength(1);
    const [server] = answer.ice_servers;
    expect(server!.urls).toBe(`turn:127.0.0.1:${TURN_PORT}?transport=udp`);
    const [expiry, identity] = server!.username!.split(':');
    expect(identity).toBe('alice');
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(TTL_S - 30);
    expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(TTL_S + 1);
    expect(server!.credential).toBe(createHmac('sha1', SECRET).update(server!.username!).digest('base64'));
    client.close();
  });

  it('a publisher and a viewer restricted to relay candidates exchange media through coturn', async () => {
    const id = `r_e2e-turn-${randomBytes(3).toString('hex')}`;
    const join = async (identity: string, caps: string[]) => {
      const page = await openHarness(browser, t.url, identity);
      const minted = await mintToken(t.url, t.apiKey, id, identity, caps, 'meeting');
      const joined = await joinOrThrow(page, { token: minted.token, signalingUrl: minted.signaling_url, roomType: 'meeting', iceTransportPolicy: 'relay' }, identity);
      return { page, joined };
    };
    const publisher = await join('host', ['publish:camera', 'subscribe:all']);
    expect((await h(publisher.page, 'call', 'publishCamera')).ok).toBe(true);
    const viewer = await join('viewer', ['subscribe:all']);
    await waitEvents(viewer.page, 'track-subscribed', () => true, 1);
    await waitFor(async () => ((await h(viewer.page, 'framesDecoded'))[publisher.joined.participantId] ?? 0) > 10, { timeoutMs: 20_000, what: 'viewer decodes through TURN' });
    const types = await h(viewer.page, 'receivingCandidateTypes');
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['relay']));
    // coturn allocated relays for both (each authenticated with its own <expiry>:<identity>).
    expect(turnLog).toMatch(/:host/);
    expect(turnLog).toMatch(/:viewer/);
    for (const page of [viewer.page, publisher.page]) await h(page, 'leave');
    for (const page of [viewer.page, publisher.page]) await page.context().close();
  }, 60_000);
});
