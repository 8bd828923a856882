import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { addressVerdict, isLocalHostName, type AllowList } from '../../domain/address-policy.js';

/** An outgoing connection would reach an address the policy refuses. */
export class BlockedAddress extends Error {
  readonly code = 'EBLOCKED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    super(`${host} resolves to ${address} (${range}), which webhooks may not reach; allow it with DOSSIER_WEBHOOK_ALLOW if it is an on-premise receiver`);
  }
}

/**
 * A DNS lookup that resolves at connection time, refuses forbidden addresses and hands the
 * socket the very address it checked: the connection is pinned to it, so a name that resolves
 * to a public address when checked and to 127.0.0.1 a moment later (DNS rebinding) cannot
 * slip through.
 */
export function guardedLookup(allow: AllowList): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 4);
      const list = Array.isArray(addresses) ? addresses : [];
      const ok = list.find((a) => addressVerdict(a.address, allow).allowed);
      if (!ok) {
        const first = list[0];
        return callback(new BlockedAddress(hostname, first?.address ?? '?', first ? addressVerdict(first.address, allow).range : 'no address'), '', 4);
      }
      if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, [ok]);
      else callback(null, ok.address, ok.family);
    });
  };
}

/**
 * http(s) agents whose every connection goes through `guardedLookup`. Literal IP hosts skip DNS
 * (and so the lookup), so `assertReachable` checks them before a request is made.
 */
export function pinnedAgents(allow: AllowList) {
  const lookup = guardedLookup(allow);
  return { http: new http.Agent({ lookup }), https: new https.Agent({ lookup }) };
}

/** Throws BlockedAddress for a URL whose host is a literal forbidden address (or localhost). */
export function assertReachable(url: URL, allow: AllowList): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const v = addressVerdict(host, allow);
    if (!v.allowed) throw new BlockedAddress(host, host, v.range);
  } else if (isLocalHostName(host) && !addressVerdict('127.0.0.1', allow).allowed) {
    throw new BlockedAddress(host, '127.0.0.1', 'loopback');
  }
}
