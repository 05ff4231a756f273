import ipaddr from 'ipaddr.js';

type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parse(cidr: string): Network | null {
  try {
    return ipaddr.parseCIDR(cidr);
  } catch {
    return null;
  }
}

/** Why `value` is not an IPv4 or IPv6 CIDR, or null when it is one. */
export function cidrProblem(value: unknown): string | null {
  return typeof value === 'string' && parse(value) !== null
    ? null
    : 'must be an IPv4 or IPv6 CIDR such as 203.0.113.0/24';
}

/** A CIDR as its network address and prefix (`10.1.2.3/8` is `10.0.0.0/8`). */
export function normalizeCidr(cidr: string): string {
  const [address, bits] = parse(cidr)!;
  const network =
    address.kind() === 'ipv4'
      ? ipaddr.IPv4.networkAddressFromCIDR(cidr)
      : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  return `${network.toString()}/${bits}`;
}

/** Whether `ip` (as the socket or the trusted proxy gives it) lies in one of `cidrs`. */
export function inNetworks(ip: string, cidrs: readonly string[]): boolean {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip); // an IPv4-mapped IPv6 address counts as the IPv4 one
  } catch {
    return false;
  }
  return cidrs.some((cidr) => {
    const network = parse(cidr);
    return network !== null && network[0].kind() === address.kind() && address.match(network);
  });
}

/** Whether the network `cidr` lies wholly inside one of `parents`. */
export function networkWithin(cidr: string, parents: readonly string[]): boolean {
  const [address, bits] = parse(cidr)!;
  return parents.some((parent) => {
    const network = parse(parent);
    return (
      network !== null && network[0].kind() === address.kind() && bits >= network[1] && address.match(network)
    );
  });
}

/** The /24 (IPv4) or /48 (IPv6) that `ip` lies in, as a CIDR; null when `ip` is no address. */
export function networkOf(ip: string): string | null {
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    address = ipaddr.process(ip);
  } catch {
    return null;
  }
  return normalizeCidr(`${address.toString()}/${address.kind() === 'ipv4' ? 24 : 48}`);
}
