/**
 * Address arithmetic for the contact resolver: IPv4/IPv6 text ↔ bigint, CIDR parsing, and the
 * fixed-width range keys under which RDAP answers are cached (family digit + start + end in hex),
 * which sort like the addresses they stand for.
 */
import { isIP } from 'node:net';

export type Family = 4 | 6;

export interface Addr {
  fam: Family;
  value: bigint;
}

export interface Range {
  fam: Family;
  start: bigint;
  end: bigint;
}

const WIDTH: Record<Family, number> = { 4: 8, 6: 32 };
const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | null {
  let text = s;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseV4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? (halves[0] as string).split(':') : [];
  const rest = halves.length === 2 && halves[1] ? (halves[1] as string).split(':') : [];
  let groups: string[];
  if (halves.length === 2) {
    const missing = 8 - head.length - rest.length;
    if (missing < 1) return null;
    groups = [...head, ...Array<string>(missing).fill('0'), ...rest];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(Number.parseInt(g, 16));
  }
  if (tail.length === 2) v = (v & ~0xffffffffn) | (BigInt(tail[0] as number) << 16n) | BigInt(tail[1] as number);
  return v;
}

/** Parse an IPv4 or IPv6 literal. */
export function parseAddr(ip: string): Addr | null {
  if (typeof ip !== 'string' || ip.length > 64) return null;
  const fam = isIP(ip);
  if (fam === 4) {
    const v = parseV4(ip);
    return v === null ? null : { fam: 4, value: v };
  }
  if (fam === 6) {
    const v = parseV6(ip);
    return v === null ? null : { fam: 6, value: v };
  }
  return null;
}

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as the IPv4 address it stands for. */
export function unmapped(a: Addr): Addr {
  if (a.fam === 6 && a.value >> 32n === 0xffffn) return { fam: 4, value: a.value & 0xffffffffn };
  return a;
}

/** `a.b.c.d/n` or `x::/n` → its range, or null. A bare address is a one-address range. */
export function parseCidr(s: string): Range | null {
  if (typeof s !== 'string') return null;
  const [addr, len, extra] = s.trim().split('/');
  if (extra !== undefined || !addr) return null;
  const a = parseAddr(addr);
  if (!a) return null;
  const bits = BITS[a.fam];
  const n = len === undefined ? bits : /^\d{1,3}$/.test(len) ? Number(len) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > bits) return null;
  return prefixRange(a.fam, a.value, n);
}

/** The range of the `/len` prefix containing `value`. */
export function prefixRange(fam: Family, value: bigint, len: number): Range {
  const host = BigInt(BITS[fam] - len);
  const mask = (1n << host) - 1n;
  const start = value & ~mask & ((1n << BigInt(BITS[fam])) - 1n);
  return { fam, start, end: start | mask };
}

/** Number of addresses in a range, as a power of two rounded up (for size limits). */
export function rangeBits(r: Range): number {
  return (r.end - r.start + 1n).toString(2).length - 1;
}

export function contains(r: Range, a: Addr): boolean {
  return r.fam === a.fam && a.value >= r.start && a.value <= r.end;
}

function hex(fam: Family, v: bigint): string {
  return v.toString(16).padStart(WIDTH[fam], '0');
}

/**
 * Cache key of a range: family digit, start and end in fixed-width hex, no separators
 * (`4c1000000c10007ff` for 193.0.0.0–193.0.7.255). Only digits and a–f, all of one length per
 * family, so every collation (SQLite BINARY, PostgreSQL in any locale) sorts keys like addresses.
 */
export function rangeKey(r: Range): string {
  return `${r.fam}${hex(r.fam, r.start)}${hex(r.fam, r.end)}`;
}

/** Parse a range key back (null when it is not one). */
export function parseRangeKey(key: string): Range | null {
  const fam = key[0] === '4' ? 4 : key[0] === '6' ? 6 : null;
  if (fam === null || key.length !== 1 + 2 * WIDTH[fam] || !/^[0-9a-f]+$/.test(key.slice(1))) return null;
  const start = BigInt(`0x${key.slice(1, 1 + WIDTH[fam])}`);
  const end = BigInt(`0x${key.slice(1 + WIDTH[fam])}`);
  return start <= end ? { fam, start, end } : null;
}

/** Key bounds for `cacheFloor`: every range key of the family that starts at or before `a`. */
export function floorBounds(a: Addr): { low: string; high: string } {
  const w = WIDTH[a.fam];
  return { low: `${a.fam}${'0'.repeat(2 * w)}`, high: `${a.fam}${hex(a.fam, a.value)}${'f'.repeat(w)}` };
}

/** Text form of an address value (IPv6 in full, uncompressed, lower case). */
export function formatAddr(fam: Family, v: bigint): string {
  if (fam === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // The WHATWG URL parser prints IPv6 in RFC 5952 compressed form.
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** The range as CIDR when it is exactly one prefix, else `start-end`. */
export function rangeText(r: Range): string {
  const size = r.end - r.start + 1n;
  const isPow2 = (size & (size - 1n)) === 0n;
  if (isPow2 && (r.start & (size - 1n)) === 0n) {
    return `${formatAddr(r.fam, r.start)}/${BITS[r.fam] - (size.toString(2).length - 1)}`;
  }
  return `${formatAddr(r.fam, r.start)}-${formatAddr(r.fam, r.end)}`;
}
