/**
 * Which customer an e-mail comes from, by its sender's address: the customer with exactly that
 * address, else the one customer whose address is at the sender's domain. A domain shared by
 * several customers, or one of the public mail services anyone can have an address at, links
 * no one: better a document without a customer (detection and review find it) than a wrong one.
 */

/** Mail services of the public: an address there says nothing about the company behind it. */
export const PUBLIC_MAIL_DOMAINS = new Set([
  'gmail.com', 'googlemail.com', 'hotmail.com', 'hotmail.nl', 'outlook.com', 'outlook.nl', 'live.com', 'live.nl', 'msn.com',
  'yahoo.com', 'yahoo.nl', 'icloud.com', 'me.com', 'aol.com', 'gmx.de', 'gmx.net', 'web.de', 't-online.de', 'orange.fr',
  'free.fr', 'laposte.net', 'protonmail.com', 'proton.me', 'ziggo.nl', 'kpnmail.nl', 'planet.nl', 'home.nl', 'xs4all.nl',
  'hetnet.nl', 'casema.nl', 'telenet.be', 'skynet.be',
]);

export type SenderMatch = { customerId: string; by: 'address' | 'domain' } | { customerId: null; by: 'none' | 'public-domain' | 'ambiguous' };

/** The domain of an address, lower case, or null when it is not an address. */
export function mailDomain(address: string): string | null {
  const m = /^[^@\s]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})$/.exec(address.trim());
  return m ? m[1]!.toLowerCase() : null;
}

/**
 *     matchSender(['KL-000123'], []) // { customerId: 'KL-000123', by: 'address' }
 *     matchSender([], ['KL-000123', 'KL-000124']) // { customerId: null, by: 'ambiguous' }
 */
export function matchSender(byAddress: string[], byDomain: string[], domain: string | null): SenderMatch {
  if (byAddress.length === 1) return { customerId: byAddress[0]!, by: 'address' };
  if (byAddress.length > 1) return { customerId: null, by: 'ambiguous' };
  if (!domain) return { customerId: null, by: 'none' };
  if (PUBLIC_MAIL_DOMAINS.has(domain)) return { customerId: null, by: 'public-domain' };
  if (byDomain.length === 1) return { customerId: byDomain[0]!, by: 'domain' };
  return { customerId: null, by: byDomain.length ? 'ambiguous' : 'none' };
}
