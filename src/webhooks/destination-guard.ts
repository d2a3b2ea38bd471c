import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { withTimeout } from '../../common/with-timeout.js';
import { isPublicAddress } from './address-ranges.js';

/** Resolves a host name to every address it has (dns.lookup with `all`: /etc/hosts included). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** A delivery or a registration whose destination is not (only) public addresses. */
export class DestinationRefusedError extends Error {
  readonly code = 'destination_refused';
  constructor() {
    super('the destination is not a public address');
  }
}

export interface DestinationGuardOptions {
  /** LEVELCHAT_WEBHOOK_ALLOW_PRIVATE: development only (receivers on loopback or the LAN). */
  allowPrivate: boolean;
  resolver?: Resolver;
  /** A name that takes longer to resolve than this is treated as unresolvable. */
  resolveTimeoutMs?: number;
}

/**
 * Decides where webhooks may go: only to public unicast addresses (see address-ranges.ts), checked
 * when a webhook is registered and again at every delivery. At delivery the check sits in the
 * socket's own `lookup`: the addresses that were checked are the ones the socket connects to, so a
 * name that resolves to a public address for the check and to 127.0.0.1 a moment later (DNS
 * rebinding) cannot slip through. The URL keeps its host name, so TLS SNI, certificate checks and
 * the Host header are those of the name.
 */
export class DestinationGuard {
  private readonly resolver: Resolver;
  private readonly resolveTimeoutMs: number;
  readonly allowPrivate: boolean;

  constructor(options: DestinationGuardOptions) {
    this.allowPrivate = options.allowPrivate;
    this.resolver = options.resolver ?? systemResolver;
    this.resolveTimeoutMs = options.resolveTimeoutMs ?? 5000;
  }

  /** Whether a webhook may be registered for `url`: its host resolves, and only to public addresses. */
  async allows(url: string): Promise<boolean> {
    if (this.allowPrivate) return true;
    try {
      await this.addressesFor(hostOf(url));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The addresses a connection to `hostname` may use: all of them public, else DestinationRefusedError
   * (one private address refuses the whole name: a mixed answer is what a rebinding attack looks like).
   * An IP literal is its own single address.
   */
  async addressesFor(hostname: string): Promise<LookupAddress[]> {
    const family = isIP(hostname);
    const addresses = family ? [{ address: hostname, family }] : await this.resolve(hostname);
    if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
    if (!this.allowPrivate && !addresses.every((a) => isPublicAddress(a.address))) throw new DestinationRefusedError();
    return addresses;
  }

  /**
   * A `lookup` for http(s).request: the socket connects only to addresses addressesFor checked.
   * (Node skips `lookup` for IP literals; the delivery checks those with addressesFor first.)
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.addressesFor(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (wanted.length === 0) callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 0);
        else if (options.all) callback(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };

  private resolve(hostname: string): Promise<LookupAddress[]> {
    return withTimeout(this.resolver(hostname), this.resolveTimeoutMs, `resolving ${hostname}`, 'ETIMEOUT');
  }
}

/** The host of a URL as sockets take it: IPv6 literals without their brackets. */
export function hostOf(url: string): string {
  const host = new URL(url).hostname;
  return host.startsWith('[') ? host.slice(1, -1) : host;
}
