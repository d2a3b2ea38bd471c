import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DestinationGuard, type Resolver } from '../../../src/webhooks/destination-guard.js';
import { postWebhook } from '../../../src/webhooks/webhook-post.js';

/** A loopback HTTP server that answers `status` and remembers each request's Host and every connection. */
async function receiver(status = 200, headers: Record<string, string> = {}) {
  const hosts: string[] = [];
  let connections = 0;
  const server = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    req.resume();
    req.on('end', () => res.writeHead(status, headers).end());
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, hosts, connections: () => connections, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const dns = (answers: Record<string, string[]>): Resolver => async (name) => (answers[name] ?? []).map((address) => ({ address, family: net.isIP(address) }));
const strict = (answers: Record<string, string[]> = {}) => new DestinationGuard({ allowPrivate: false, resolver: dns(answers) });
const post = (guard: DestinationGuard, url: string, timeoutMs = 2000) => postWebhook(guard, url, { 'Content-Type': 'application/json' }, '{}', timeoutMs);

describe('webhook delivery: destination guard', () => {
  let target: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    target = await receiver();
  });
  afterAll(() => target.close());

  it('refuses a name that resolves to loopback before any connection (DNS rebinding at delivery)', async () => {
    const outcome = await post(strict({ 'rebind.test': ['127.0.0.1'] }), `http://rebind.test:${target.port}/hook`);
    expect(outcome).toMatchObject({ ok: false, httpStatus: null, error: 'destination_refused' });
    expect(target.connections()).toBe(0);
  });

  it('refuses a name whose answer mixes a public and a private address', async () => {
    const outcome = await post(strict({ 'mixed.test': ['93.184.215.14', '127.0.0.1'] }), `http://mixed.test:${target.port}/hook`);
    expect(outcome.error).toBe('destination_refused');
    expect(target.connections()).toBe(0);
  });

  it('refuses IP literals of every refused kind (sockets skip the lookup for them)', async () => {
    for (const host of ['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '2130706433', '0.0.0.0', '169.254.169.254']) {
      expect((await post(strict(), `http://${host}:${target.port}/hook`)).error, host).toBe('destination_refused');
    }
    expect(target.connections()).toBe(0);
  });

  it('hands the socket only checked addresses, of the family it asks for', async () => {
    const guard = strict({ 'pub.test': ['93.184.215.14', '2606:4700::1111'] });
    const lookup = (options: { all?: boolean; family?: number }) =>
      new Promise<unknown>((resolve) => guard.lookup('pub.test', options as never, (err, address, family) => resolve(err ? err.message : { address, family })));
    expect(await lookup({ all: true })).toEqual({ address: [{ address: '93.184.215.14', family: 4 }, { address: '2606:4700::1111', family: 6 }], family: undefined });
    expect(await lookup({ family: 6 })).toEqual({ address: '2606:4700::1111', family: 6 });
    expect(await lookup({ all: true, family: 4 })).toEqual({ address: [{ address: '93.184.215.14', family: 4 }], family: undefined });
  });

  it('registration refuses what delivery refuses, and names that do not resolve', async () => {
    const guard = strict({ 'pub.test': ['93.184.215.14'], 'lan.test': ['192.168.1.20'] });
    expect(await guard.allows('https://pub.test/hook')).toBe(true);
    expect(await guard.allows('https://lan.test/hook')).toBe(false);
    expect(await guard.allows('https://nowhere.test/hook')).toBe(false);
    expect(await guard.allows('http://[fd00::1]/hook')).toBe(false);
    expect(await new DestinationGuard({ allowPrivate: true }).allows('http://127.0.0.1:6379/')).toBe(true);
  });

  it('gives up on a name that takes too long to resolve (ETIMEOUT, as DNS says it), and refuses it', async () => {
    const guard = new DestinationGuard({ allowPrivate: false, resolver: () => new Promise(() => {}), resolveTimeoutMs: 50 });
    await expect(guard.addressesFor('slow.test')).rejects.toMatchObject({ code: 'ETIMEOUT', message: 'resolving slow.test timed out after 50 ms' });
    expect(await guard.allows('https://slow.test/hook')).toBe(false);
  });

  it('with allow-private (development) connects through the lookup, keeping the name as Host', async () => {
    const guard = new DestinationGuard({ allowPrivate: true, resolver: dns({ 'hooks.test': ['127.0.0.1'] }) });
    const outcome = await post(guard, `http://hooks.test:${target.port}/hook`);
    expect(outcome).toMatchObject({ ok: true, httpStatus: 200, error: null });
    expect(target.hosts.at(-1)).toBe(`hooks.test:${target.port}`);
  });
});

describe('webhook delivery: what the log may say', () => {
  const open = new DestinationGuard({ allowPrivate: true });

  it('a closed port, a receiver that never answers and an error status each get one generic word', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await post(open, `http://127.0.0.1:${closedPort}/`);
    expect(refused).toMatchObject({ ok: false, httpStatus: null, error: 'connect_failed' });

    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const started = Date.now();
    const hung = await post(open, `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`, 300);
    expect(hung).toMatchObject({ ok: false, httpStatus: null, error: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
    silent.close();

    const failing = await receiver(503);
    expect(await post(open, `http://127.0.0.1:${failing.port}/`)).toMatchObject({ ok: false, httpStatus: 503, error: 'http_503' });
    await failing.close();
  });

  it('does not follow a redirect (it could point inside the network)', async () => {
    const inner = await receiver();
    const redirecting = await receiver(302, { Location: `http://127.0.0.1:${inner.port}/` });
    expect(await post(open, `http://127.0.0.1:${redirecting.port}/`)).toMatchObject({ ok: false, httpStatus: 302, error: 'http_302' });
    expect(inner.connections()).toBe(0);
    await Promise.all([inner.close(), redirecting.close()]);
  });
});
