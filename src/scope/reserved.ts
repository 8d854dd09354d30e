/**
 * The default reserved-range list: special-purpose address blocks (IANA IPv4/IPv6 special-purpose
 * registries, RFC 6890 and successors) that a census scan must never touch unless the operator
 * lifts a block explicitly (`allowReserved`; the lab profile lifts 127.0.0.0/8 and ::1).
 * Kept in code, not a data file, so the guard cannot start without it.
 */

/** One reserved block and why it is reserved. */
export interface ReservedBlock {
  cidr: string;
  why: string;
}

export const RESERVED_RANGES: readonly ReservedBlock[] = Object.freeze([
  { cidr: '0.0.0.0/8', why: '"this network"' },
  { cidr: '10.0.0.0/8', why: 'private-use' },
  { cidr: '100.64.0.0/10', why: 'shared address space (CGN)' },
  { cidr: '127.0.0.0/8', why: 'loopback' },
  { cidr: '169.254.0.0/16', why: 'link-local' },
  { cidr: '172.16.0.0/12', why: 'private-use' },
  { cidr: '192.0.0.0/24', why: 'IETF protocol assignments' },
  { cidr: '192.0.2.0/24', why: 'documentation (TEST-NET-1)' },
  { cidr: '192.88.99.0/24', why: '6to4 relay anycast (deprecated)' },
  { cidr: '192.168.0.0/16', why: 'private-use' },
  { cidr: '198.18.0.0/15', why: 'benchmarking' },
  { cidr: '198.51.100.0/24', why: 'documentation (TEST-NET-2)' },
  { cidr: '203.0.113.0/24', why: 'documentation (TEST-NET-3)' },
  { cidr: '224.0.0.0/4', why: 'multicast' },
  { cidr: '240.0.0.0/4', why: 'reserved for future use' },
  { cidr: '255.255.255.255/32', why: 'limited broadcast' },
  { cidr: '::/128', why: 'unspecified address' },
  { cidr: '::1/128', why: 'loopback' },
  { cidr: '64:ff9b::/96', why: 'IPv4/IPv6 translation (NAT64 may reach private IPv4)' },
  { cidr: '64:ff9b:1::/48', why: 'local-use IPv4/IPv6 translation' },
  { cidr: '100::/64', why: 'discard-only' },
  { cidr: '2001:db8::/32', why: 'documentation' },
  { cidr: '3fff::/20', why: 'documentation' },
  { cidr: 'fc00::/7', why: 'unique-local' },
  { cidr: 'fe80::/10', why: 'link-local' },
  { cidr: 'ff00::/8', why: 'multicast' },
]);
