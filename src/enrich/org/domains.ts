/**
 * Domain names for organisation matching: one normal form for listed domains and for host names
 * (certificate CN/SANs, SNI, target names, PTR), and the suffix walk that finds the most specific
 * listed domain a host name equals or lies under.
 *
 * Normal form: lower case, no trailing dot, IDNs in punycode (`domainToASCII`), a leading `*.`
 * removed and remembered (a wildcard certificate name `*.example.org` matches `example.org`).
 */
import { domainToASCII } from 'node:url';

export const MAX_DOMAIN = 253;
/** Dot-separated labels of 1-63 of a-z 0-9 _ -, not starting or ending with `-` (one pass, no backtracking across dots). */
const NAME = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export interface NormalName {
  /** The normal form, e.g. `vpn.example.org`. */
  name: string;
  /** The input began with `*.`. */
  wildcard: boolean;
}

/** Normal form of a host or domain name, or null when it is not a usable DNS name. */
export function normalizeName(raw: string): NormalName | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > MAX_DOMAIN + 3) return null;
  let s = raw.trim().toLowerCase();
  let wildcard = false;
  if (s.startsWith('*.')) {
    wildcard = true;
    s = s.slice(2);
  }
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.length === 0) return null;
  // Only fall back to the (slower) IDNA conversion for non-ASCII input.
  if (/[^\x00-\x7f]/.test(s)) {
    s = domainToASCII(s);
    if (s === '') return null;
  }
  if (s.length > MAX_DOMAIN || !NAME.test(s)) return null;
  // An IPv4 literal is not a name (no top-level domain is all digits).
  if (/^[0-9.]+$/.test(s)) return null;
  return { name: s, wildcard };
}

/**
 * The listed domains a name falls under, most specific first: `a.b.example.org` tries
 * `a.b.example.org`, `b.example.org`, `example.org`, `org`. Returns the first key present in `has`.
 */
export function mostSpecificDomain(name: string, has: (d: string) => boolean): string | null {
  let d = name;
  for (;;) {
    if (has(d)) return d;
    const dot = d.indexOf('.');
    if (dot < 0) return null;
    d = d.slice(dot + 1);
  }
}
