import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Why an address may not receive webhooks, or null when it may (public unicast). */
export function refusedRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an address';
  let parsed = ipaddr.parse(address);
  // ::ffff:10.0.0.1 reaches 10.0.0.1: judge the IPv4 address inside.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  const range = parsed.range();
  return range === 'unicast' ? null : range;
}

/** The host of a URL as `lookup` and `isIP` take it (IPv6 without its brackets). */
export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

function refusal(host: string, addresses: string[]): string | null {
  for (const address of addresses) {
    const range = refusedRange(address);
    if (range !== null) return `${host} resolves to ${address} (${range})`;
  }
  return null;
}

/**
 * A `lookup` for node:http that resolves the name once and refuses it if any address it gives is not
 * public: the connection then goes to the very address checked, so a name that changes its answer
 * between the check and the connection (DNS rebinding) cannot slip through.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, found: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const refused = refusal(
      hostname,
      found.map((a) => a.address),
    );
    if (refused !== null) return callback(new Error(`address refused: ${refused}`), '', 0);
    if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, found);
    callback(null, found[0].address, found[0].family);
  });
};

/**
 * Why a webhook_uri may not be used, or null. Checked when it is set; the delivery checks again,
 * on the address it connects to (publicOnlyLookup).
 */
export async function uriRefusal(uri: string): Promise<string | null> {
  const host = hostOf(new URL(uri));
  if (isIP(host) !== 0) return refusal(host, [host]);
  const addresses = await new Promise<string[] | null>((resolve) =>
    dnsLookup(host, { all: true }, (error, found) => resolve(error ? null : found.map((a) => a.address))),
  );
  if (addresses === null || addresses.length === 0) return `${host} does not resolve`;
  return refusal(host, addresses);
}
