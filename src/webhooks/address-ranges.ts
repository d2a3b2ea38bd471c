import { BlockList, isIP } from 'node:net';

// Which IP addresses a webhook may be delivered to. A webhook URL is chosen by a tenant, and the
// delivery log reports what happened, so an address inside our own network would turn deliveries
// into requests to our Redis, metadata service or admin ports (and the log into a port scanner).
// Only globally routable unicast addresses pass.

/** IPv4 ranges that are not public unicast (RFC 6890 special-purpose registry and friends). */
const IPV4_REFUSED: [string, number][] = [
  ['0.0.0.0', 8], // "this network", including the unspecified 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address 255.255.255.255
];

/** IPv6 ranges that are not public unicast. Forms that embed an IPv4 address are handled apart. */
const IPV6_REFUSED: [string, number][] = [
  ['::', 96], // unspecified ::, loopback ::1 and the deprecated IPv4-compatible ::a.b.c.d
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, ...)
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (the IPv6 private range)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const refused = new BlockList();
for (const [net, prefix] of IPV4_REFUSED) refused.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of IPV6_REFUSED) refused.addSubnet(net, prefix, 'ipv6');

/**
 * True when `address` (an IPv4 or IPv6 literal, without brackets) is a public unicast address a
 * webhook may reach. Anything that is not an IP literal is refused. IPv6 forms that carry an IPv4
 * address (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4
 * address, so `::ffff:127.0.0.1` is loopback like `127.0.0.1`.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !refused.check(address, 'ipv4');
  if (family !== 6) return false;
  const bytes = ipv6Bytes(address);
  if (!bytes) return false;
  const embedded = embeddedIpv4(bytes);
  if (embedded) return !refused.check(embedded, 'ipv4');
  return !refused.check(address, 'ipv6');
}

/** The IPv4 address an IPv6 address stands for, when it is one of the forms that carry one. */
function embeddedIpv4(b: Uint8Array): string | undefined {
  const v4 = (at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (IPv4-mapped): a socket given this address talks IPv4 to a.b.c.d.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  // 64:ff9b::a.b.c.d (well-known NAT64 prefix): a NAT64 gateway forwards it to a.b.c.d.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4(12);
  // 2002:aabb:ccdd::/48 (6to4): the relay forwards to a.b.c.d.
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return undefined;
}

/** The 16 bytes of an IPv6 literal (any notation, including a trailing dotted quad). */
function ipv6Bytes(address: string): Uint8Array | undefined {
  // The WHATWG URL parser canonicalises IPv6: lower-case hex groups, one `::`, no dotted quad.
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  });
  return bytes;
}
