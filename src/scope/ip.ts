/**
 * IP address primitives shared by the scope guard and the target readers: strict parsing of
 * IPv4 (as an unsigned 32-bit number) and IPv6 (as a 128-bit BigInt) and canonical formatting.
 *
 * Strictness is a safety property: what the scope guard checks must be exactly what the socket
 * connects to. So no inet_aton shorthands (`127.1`, `0x7f.0.0.1`, octal `010.0.0.1`), no zone ids
 * (`fe80::1%eth0`), and IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is folded to its IPv4 address.
 */

/** Parses a dotted-quad IPv4 address in `s[from, to)`; returns the uint32 value or -1. */
export function parseIPv4(s: string, from = 0, to = s.length): number {
  let acc = 0;
  let val = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      acc = acc * 256 + val;
      dots++;
      val = 0;
      digits = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    if (digits === 1 && val === 0) return -1; // leading zero: octal in some resolvers
    val = val * 10 + d;
    if (val > 255) return -1;
    digits++;
  }
  if (digits === 0 || dots !== 3) return -1;
  return acc * 256 + val;
}

/** Formats a uint32 as a dotted quad. */
export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses `a:b` hex groups of one side of `::` into `out`; returns false on bad syntax. */
function parseGroups(s: string, out: number[], allowV4Tail: boolean): boolean {
  if (s.length === 0) return true;
  let start = 0;
  for (;;) {
    let end = s.indexOf(':', start);
    const last = end < 0;
    if (last) end = s.length;
    if (end === start) return false;
    if (last && allowV4Tail && s.indexOf('.', start) >= 0) {
      const v4 = parseIPv4(s, start, end);
      if (v4 < 0) return false;
      out.push(Math.floor(v4 / 65536), v4 & 0xffff);
      return true;
    }
    if (end - start > 4) return false;
    let g = 0;
    for (let i = start; i < end; i++) {
      const h = hexVal(s.charCodeAt(i));
      if (h < 0) return false;
      g = g * 16 + h;
    }
    out.push(g);
    if (last) return true;
    start = end + 1;
  }
}

/** Parses an IPv6 literal (no brackets, no zone id); returns its 128-bit value or null. */
export function parseIPv6(s: string): bigint | null {
  if (s.length < 2 || s.length > 45) return null;
  const dbl = s.indexOf('::');
  const head: number[] = [];
  const tail: number[] = [];
  if (dbl >= 0) {
    if (s.indexOf('::', dbl + 1) >= 0) return null;
    if (!parseGroups(s.slice(0, dbl), head, false)) return null;
    if (!parseGroups(s.slice(dbl + 2), tail, true)) return null;
    if (head.length + tail.length > 7) return null;
  } else {
    if (!parseGroups(s, head, true)) return null;
    if (head.length !== 8) return null;
  }
  let v = 0n;
  for (const g of head) v = (v << 16n) | BigInt(g);
  for (let i = head.length + tail.length; i < 8; i++) v <<= 16n;
  for (const g of tail) v = (v << 16n) | BigInt(g);
  return v;
}

const LOW32 = 0xffffffffn;

/** If `v` is an IPv4-mapped IPv6 address (::ffff:a.b.c.d), returns the IPv4 uint32, else -1. */
export function mappedIPv4(v: bigint): number {
  return v >> 32n === 0xffffn ? Number(v & LOW32) : -1;
}

/** Formats a 128-bit value as canonical IPv6 text (RFC 5952). */
export function formatIPv6(v: bigint): string {
  if (v >> 32n === 0xffffn) return `::ffff:${formatIPv4(Number(v & LOW32))}`;
  const g: number[] = new Array(8);
  for (let i = 7; i >= 0; i--) {
    g[i] = Number(v & 0xffffn);
    v >>= 16n;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const left = g
    .slice(0, bestStart)
    .map((x) => x.toString(16))
    .join(':');
  const right = g
    .slice(bestStart + bestLen)
    .map((x) => x.toString(16))
    .join(':');
  return `${left}::${right}`;
}

/** A parsed single address: IPv4 (mapped IPv6 folded in) or IPv6. */
export type ParsedIp = { family: 4; v4: number; text: string } | { family: 6; v6: bigint; text: string };

/** Parses an IPv4 or IPv6 literal into canonical form; IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(s: string): ParsedIp | null {
  const v4 = parseIPv4(s);
  if (v4 >= 0) return { family: 4, v4, text: formatIPv4(v4) };
  if (s.indexOf(':') < 0) return null;
  const v6 = parseIPv6(s);
  if (v6 === null) return null;
  const m = mappedIPv4(v6);
  if (m >= 0) return { family: 4, v4: m, text: formatIPv4(m) };
  return { family: 6, v6, text: formatIPv6(v6) };
}
