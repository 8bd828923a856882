import ipaddr from 'ipaddr.js';

/**
 * Which network addresses outgoing requests (webhooks) may reach. Only globally routable unicast
 * addresses by default: loopback, private (RFC 1918), link-local (169.254/16 with the cloud
 * metadata service), CGNAT (100.64/10), multicast, unspecified, reserved and broadcast, and in
 * IPv6 loopback, link-local, unique-local (fc00::/7), IPv4-mapped and the embedding ranges
 * (6to4, Teredo, NAT64) are refused, because each can lead back into the local network.
 * An allow-list of CIDR ranges opens some of them for receivers on the premises.
 *
 *     const allow = parseAllowList('127.0.0.1/32,10.0.0.0/8');
 *     addressVerdict('10.1.2.3', allow)   // { allowed: true, range: 'private', byAllowList: true }
 *     addressVerdict('169.254.169.254')   // { allowed: false, range: 'linkLocal', byAllowList: false }
 */
export type AllowList = readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];

export type AddressVerdict = { allowed: boolean; range: string; byAllowList: boolean };

/** Parses `10.0.0.0/8,127.0.0.1,fd00::/8`; a bare address is a range of one. Throws on a bad entry. */
export function parseAllowList(text: string | undefined): AllowList {
  if (!text?.trim()) return [];
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      if (ipaddr.isValidCIDR(entry)) return ipaddr.parseCIDR(entry);
      if (ipaddr.isValid(entry)) {
        const a = ipaddr.parse(entry);
        return [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
      }
      throw new Error(`${JSON.stringify(entry)} is not an IP address or CIDR range`);
    });
}

/** Whether `address` (a literal IP) may be reached. Not an IP at all: refused. */
export function addressVerdict(address: string, allow: AllowList = []): AddressVerdict {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return { allowed: false, range: 'not an IP address', byAllowList: false };
  const parsed = ipaddr.parse(bare);
  // ::ffff:10.0.0.1 is 10.0.0.1 to the kernel: the allow-list is checked against the IPv4 form too.
  const forms = [parsed];
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) forms.push((parsed as ipaddr.IPv6).toIPv4Address());
  const range = parsed.range();
  if (forms.some((a) => allow.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits)))) return { allowed: true, range, byAllowList: true };
  return { allowed: range === 'unicast', range, byAllowList: false };
}

/** Host names that mean this machine whatever DNS says (RFC 6761). */
export function isLocalHostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}
