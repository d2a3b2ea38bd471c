import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddress } from '../../../common/client-address.js';

const request = (peer: string, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;

describe('clientAddress (LEVELCHAT_TRUST_PROXY)', () => {
  it('trusting nobody, is the peer: a client cannot pick its address with X-Forwarded-For', () => {
    expect(clientAddress([])(request('198.51.100.7', '203.0.113.1'))).toBe('198.51.100.7');
  });

  it('behind trusted proxies, is the first address from the right that is not one of them', () => {
    const behindBalancer = clientAddress(['loopback', '10.0.0.0/8']);
    expect(behindBalancer(request('127.0.0.1', '203.0.113.1'))).toBe('203.0.113.1');
    // Two hops (CDN edge 10.1.2.3, then the balancer on loopback); what the client wrote before them is not believed.
    expect(behindBalancer(request('127.0.0.1', '192.0.2.66, 203.0.113.1, 10.1.2.3'))).toBe('203.0.113.1');
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    expect(behindBalancer(request('198.51.100.7', '203.0.113.1'))).toBe('198.51.100.7');
    // A trusted proxy that forwards nothing: the proxy itself.
    expect(behindBalancer(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('refuses what is no address, CIDR or known name', () => {
    expect(() => clientAddress(['the-balancer'])).toThrow();
    expect(() => clientAddress(['10.0.0.0/33'])).toThrow();
  });
});
