/**
 * Parsing of DNS server addresses as users write them (`127.0.0.1`, `127.0.0.1:5353`, `::1`,
 * `[::1]:5353`) into the form `dns.Resolver#setServers` accepts. Only IP literals: a resolver
 * given by name would need a resolver to find it.
 */
import { isIP } from 'node:net';

/** Canonical `setServers` form of one server, or null when it is not an address with a valid port. */
export function parseDnsServer(raw: string): string | null {
  const s = raw.trim();
  if (s.length === 0 || s.length > 64) return null;
  let host = s;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1] as string;
    port = bracket[2];
    if (isIP(host) !== 6) return null;
  } else if (isIP(s) === 0) {
    const m = /^([0-9.]+):(\d+)$/.exec(s);
    if (!m) return null;
    host = m[1] as string;
    port = m[2];
  }
  const family = isIP(host);
  if (family === 0) return null;
  if (port !== undefined) {
    const n = Number(port);
    if (!Number.isInteger(n) || n < 1 || n > 65535) return null;
    return family === 6 ? `[${host}]:${n}` : `${host}:${n}`;
  }
  return host;
}
