import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../../src/webhooks/address-ranges.js';

/** Loopback, private, CGNAT, link-local, multicast, unspecified and reserved IPv4. */
const REFUSED_IPV4 = [
  '127.0.0.1',
  '127.255.255.254',
  '10.0.0.1',
  '10.255.255.255',
  '172.16.0.1',
  '172.31.255.255',
  '192.168.1.1',
  '100.64.0.1',
  '100.127.255.255',
  '169.254.169.254',
  '0.0.0.0',
  '0.1.2.3',
  '224.0.0.1',
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '192.0.2.10',
  '198.18.0.1',
];

/** The IPv6 forms: loopback, unspecified, ULA, link-local, multicast, and every form that carries a refused IPv4. */
const REFUSED_IPV6 = [
  '::1',
  '::',
  '0:0:0:0:0:0:0:1',
  'fc00::1',
  'fd12:3456::1',
  'fe80::1',
  'febf::1',
  'ff02::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '0:0:0:0:0:ffff:a00:1',
  '::ffff:169.254.169.254',
  '::127.0.0.1',
  '64:ff9b::10.0.0.1',
  '64:ff9b::7f00:1',
  '2002:7f00:1::1',
  '2002:a9fe:a9fe::',
  '2001:db8::1',
  '2001::1',
  'fe80::1%eth0',
];

/** Every address in `ips` is judged public (`expected` true) or refused (false). */
function expectJudged(ips: string[], expected: boolean): void {
  for (const ip of ips) expect(isPublicAddress(ip), ip).toBe(expected);
}

describe('webhook destination addresses', () => {
  it('refuses loopback, private, CGNAT, link-local, multicast, unspecified and reserved IPv4', () => expectJudged(REFUSED_IPV4, false));

  it('refuses the IPv6 forms: loopback, unspecified, ULA, link-local, multicast, and every form that carries a refused IPv4', () => expectJudged(REFUSED_IPV6, false));

  it('lets public unicast through, IPv4 and IPv6, also inside the forms that carry an IPv4', () => {
    expectJudged(['93.184.215.14', '8.8.8.8', '172.15.255.255', '172.32.0.1', '100.63.255.255', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'], true);
  });

  it('refuses anything that is not an IP literal', () => {
    expectJudged(['localhost', '2130706433', '', 'example.com', '127.1', '[::1]'], false);
  });
});
