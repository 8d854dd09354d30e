/**
 * Address ranges: CIDR blocks, single addresses and `a-b` ranges, for IPv4 and IPv6, and lists
 * of them (scope flags, exclusion files). Host bits in a CIDR are masked off like masscan/zmap do
 * (`10.1.2.3/8` is `10.0.0.0/8`); the canonical text shows the masked network.
 */
import { EdgewatchError } from '../errors.js';
import { formatIPv4, formatIPv6, parseIp } from './ip.js';

/** An inclusive IPv4 range (uint32 bounds). */
export interface IPv4Range {
  family: 4;
  start: number;
  end: number;
  /** Canonical text: `10.0.0.0/8`, `1.2.3.4`, or `1.2.3.4-1.2.3.9`. */
  text: string;
  /** Where the range came from (`exclude.conf:3`, `--scope`, …), when known. */
  origin?: string;
}

/** An inclusive IPv6 range (128-bit bounds). */
export interface IPv6Range {
  family: 6;
  start: bigint;
  end: bigint;
  text: string;
  origin?: string;
}

export type IpRange = IPv4Range | IPv6Range;

const MAX_LIST_LINE = 4096;

function parsePrefix(s: string, max: number): number {
  if (s.length === 0 || s.length > 3) return -1;
  let p = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    p = p * 10 + d;
  }
  if (s.length > 1 && s.charCodeAt(0) === 48) return -1;
  return p <= max ? p : -1;
}

/** Builds the range of a network of `prefix` bits containing the IPv4 address `ip`. */
export function v4Block(ip: number, prefix: number): IPv4Range {
  const size = 2 ** (32 - prefix);
  const start = Math.floor(ip / size) * size;
  return { family: 4, start, end: start + size - 1, text: prefix === 32 ? formatIPv4(start) : `${formatIPv4(start)}/${prefix}` };
}

/** Builds the range of a network of `prefix` bits containing the IPv6 address `ip`. */
export function v6Block(ip: bigint, prefix: number): IPv6Range {
  const k = BigInt(128 - prefix);
  const start = (ip >> k) << k;
  const end = start + (1n << k) - 1n;
  return { family: 6, start, end, text: prefix === 128 ? formatIPv6(start) : `${formatIPv6(start)}/${prefix}` };
}

/**
 * Parses one CIDR, single address or `a-b` range. Returns the range, or a short reason string
 * when the text is not one (callers wrap it in their own error code).
 */
export function tryParseRange(text: string): IpRange | string {
  const slash = text.indexOf('/');
  if (slash >= 0) {
    const addr = parseIp(text.slice(0, slash));
    if (!addr) return 'not an IP address before "/"';
    const mappedV6 = addr.family === 4 && text.indexOf(':') >= 0 && text.indexOf(':') < slash;
    const max = addr.family === 4 && !mappedV6 ? 32 : 128;
    const prefix = parsePrefix(text.slice(slash + 1), max);
    if (prefix < 0) return `bad prefix length (0-${max})`;
    if (addr.family === 6) return v6Block(addr.v6, prefix);
    if (mappedV6) {
      // ::ffff:a.b.c.d/p with p >= 96 is an IPv4 block; shorter prefixes leave the mapped space.
      if (prefix < 96) return 'IPv4-mapped prefix shorter than /96';
      return v4Block(addr.v4, prefix - 96);
    }
    return v4Block(addr.v4, prefix);
  }
  const dash = text.indexOf('-');
  if (dash >= 0) {
    const a = parseIp(text.slice(0, dash));
    const b = parseIp(text.slice(dash + 1));
    if (!a || !b) return 'range ends must be IP addresses';
    if (a.family !== b.family) return 'range mixes IPv4 and IPv6';
    if (a.family === 4 && b.family === 4) {
      if (b.v4 < a.v4) return 'range end before start';
      return { family: 4, start: a.v4, end: b.v4, text: `${a.text}-${b.text}` };
    }
    if (a.family === 6 && b.family === 6) {
      if (b.v6 < a.v6) return 'range end before start';
      return { family: 6, start: a.v6, end: b.v6, text: `${a.text}-${b.text}` };
    }
  }
  const ip = parseIp(text);
  if (!ip) return 'not an IP address, CIDR or range';
  return ip.family === 4 ? v4Block(ip.v4, 32) : v6Block(ip.v6, 128);
}

/** Parses one CIDR / address / range; throws `EW_SCOPE_PARSE` naming `source` on bad input. */
export function parseCidr(text: string, source = 'scope', line?: number): IpRange {
  const r = tryParseRange(text.trim());
  if (typeof r === 'string') {
    throw new EdgewatchError('EW_SCOPE_PARSE', `bad CIDR "${printable(text)}": ${r}`, { file: source, line });
  }
  r.origin = line ? `${source}:${line}` : source;
  return r;
}

/**
 * Parses a list of CIDRs / addresses / ranges separated by commas, spaces or newlines, with `#`
 * comments to the end of a line (masscan exclude.conf style). Errors name `source` and the line.
 */
export function parseCidrList(text: string, source: string): IpRange[] {
  const out: IpRange[] = [];
  const multiLine = text.indexOf('\n') >= 0;
  let lineNo = 0;
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    lineNo++;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    const where = multiLine ? lineNo : undefined;
    if (line.length > MAX_LIST_LINE) {
      throw new EdgewatchError('EW_SCOPE_PARSE', `line longer than ${MAX_LIST_LINE} characters`, { file: source, line: where });
    }
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    for (const tok of line.split(/[\s,]+/)) {
      if (tok.length > 0) out.push(parseCidr(tok, source, where));
    }
    if (nl === text.length) break;
  }
  return out;
}

/** Number of addresses in a range (a Number; exact up to 2^53). */
export function rangeSize(r: IpRange): number {
  return r.family === 4 ? r.end - r.start + 1 : Number(r.end - r.start + 1n);
}

/** Makes untrusted text safe and short for an error message. */
export function printable(s: string, max = 80): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\\"]/g, (c) =>
    c === '"' ? '\\"' : c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
