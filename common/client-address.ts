import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** The address a request comes from, as the per-address limits count it (failed authentications, sockets). */
export type ClientAddress = (req: IncomingMessage) => string;

/**
 * The client's address: the socket's peer, unless the peer is one of `trustedProxies`
 * (LEVELCHAT_TRUST_PROXY: addresses, CIDRs, or proxy-addr's names `loopback`, `linklocal`,
 * `uniquelocal`), in which case X-Forwarded-For is read back from the peer through the trusted hops
 * (proxy-addr, as express does it). Behind a load balancer every client would otherwise share the
 * balancer's address, and one of them spending its failure budget would lock out all; with nothing
 * trusted, a client cannot pick its own address with the header. Throws on an entry proxy-addr
 * does not take (config validation).
 */
export function clientAddress(trustedProxies: readonly string[]): ClientAddress {
  if (trustedProxies.length === 0) return (req) => req.socket.remoteAddress ?? 'unknown';
  const trust = proxyaddr.compile([...trustedProxies]);
  return (req) => proxyaddr(req, trust);
}
