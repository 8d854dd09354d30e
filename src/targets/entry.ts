/**
 * One target entry as written by a user (a list line or a CLI argument), parsed without expanding
 * it: IPv4/IPv6 literals with or without a port, CIDRs, IPv4/IPv6 ranges, host names, zgrab-style
 * `ip,name[,port]` (and zgrab2's `ip,name,tag,port`), and `http(s)://host[:port]/…` URL lines.
 * Parsers return an Entry, or a short reason string; the reader adds file and line to errors.
 */
import { tryParseRange } from '../scope/cidr.js';
import { mappedIPv4, parseIPv4, parseIPv6, parseIp } from '../scope/ip.js';

const DIGITS = /^\d+$/;

/** Largest IPv6 block a target entry may expand to (2^24 addresses, a /104). */
export const MAX_V6_ADDRESSES = 2 ** 24;

/**
 * A parsed, unexpanded entry. `port` 0 means "no port given: use the configured ports".
 * `host` is the SNI / Host name (`ip,name` lines) or the name to resolve (`kind: 'name'`).
 */
export type Entry =
  | { kind: 'v4'; start: number; end: number; port: number; host?: string }
  | { kind: 'v6'; start: bigint; count: number; port: number; host?: string }
  | { kind: 'name'; host: string; port: number };

/** Parses a decimal port 1–65535 in `s[from, to)`; returns -1 when it is not one. */
export function parsePort(s: string, from = 0, to = s.length): number {
  const len = to - from;
  if (len < 1 || len > 5) return -1;
  let p = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    p = p * 10 + d;
  }
  return p >= 1 && p <= 65535 ? p : -1;
}

/** Returns why `s` is not an acceptable DNS host name, or undefined when it is. */
export function hostNameProblem(s: string): string | undefined {
  let n = s.length;
  if (n > 0 && s.charCodeAt(n - 1) === 46) n--; // one trailing dot (FQDN) is fine
  if (n === 0) return 'empty host name';
  if (n > 253) return 'host name longer than 253 characters';
  let labelStart = 0;
  let allDigits = true;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : 46;
    if (c === 46) {
      const len = i - labelStart;
      if (len === 0) return 'empty label in host name';
      if (len > 63) return 'host name label longer than 63 characters';
      if (s.charCodeAt(labelStart) === 45 || s.charCodeAt(i - 1) === 45) return 'host name label starts or ends with "-"';
      if (i === n && (allDigits || isHexNumber(s, labelStart, i))) return 'not a valid IPv4 address or host name';
      labelStart = i + 1;
      allDigits = true;
      continue;
    }
    const isDigit = c >= 48 && c <= 57;
    if (!isDigit) allDigits = false;
    if (!(isDigit || (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 45 || c === 95)) {
      return c === 32 || c === 9 ? 'unexpected white space' : 'not a valid IP address or host name';
    }
  }
  return undefined;
}

/** `0x7f000001`: resolvers read such a last label as a number, so it is no name. */
function isHexNumber(s: string, from: number, to: number): boolean {
  if (to - from < 3 || s.charCodeAt(from) !== 48 || (s.charCodeAt(from + 1) | 32) !== 120) return false;
  for (let i = from + 2; i < to; i++) {
    const c = s.charCodeAt(i) | 32;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function nameEntry(h: string, port: number): Entry | string {
  const why = hostNameProblem(h);
  if (why) return why;
  const host = (h.charCodeAt(h.length - 1) === 46 ? h.slice(0, -1) : h).toLowerCase();
  return { kind: 'name', host, port };
}

/** A single IPv6 literal (IPv4-mapped folds to IPv4). */
function v6Entry(s: string, port: number): Entry | string {
  const v6 = parseIPv6(s);
  if (v6 === null) return s.indexOf('%') >= 0 ? 'IPv6 zone ids are not supported' : 'not a valid IPv6 address';
  const m = mappedIPv4(v6);
  if (m >= 0) return { kind: 'v4', start: m, end: m, port };
  return { kind: 'v6', start: v6, count: 1, port };
}

/** CIDR or `a-b` range (via the scope parser), with an IPv6 size limit. */
function rangeEntry(s: string, port: number): Entry | string {
  const r = tryParseRange(s);
  if (typeof r === 'string') return r;
  if (r.family === 4) return { kind: 'v4', start: r.start, end: r.end, port };
  const size = r.end - r.start + 1n;
  if (size > BigInt(MAX_V6_ADDRESSES)) return 'IPv6 block larger than 2^24 addresses (use a /104 or longer prefix)';
  return { kind: 'v6', start: r.start, count: Number(size), port };
}

/** `[v6]` or `[v6]:port`. */
function bracketEntry(s: string): Entry | string {
  const close = s.indexOf(']');
  if (close < 0) return 'missing "]"';
  let port = 0;
  if (close !== s.length - 1) {
    if (s.charCodeAt(close + 1) !== 58) return 'unexpected text after "]"';
    port = parsePort(s, close + 2);
    if (port < 0) return 'bad port (1-65535)';
  }
  return v6Entry(s.slice(1, close), port);
}

/** `host` or `host:port` where host is an IPv4 literal, an IPv4 range or a name. */
function hostPortEntry(h: string, port: number): Entry | string {
  const v4 = parseIPv4(h);
  if (v4 >= 0) return { kind: 'v4', start: v4, end: v4, port };
  const dash = h.indexOf('-');
  if (dash > 0 && parseIPv4(h, 0, dash) >= 0) return rangeEntry(h, port);
  return nameEntry(h, port);
}

/** `scheme://[user@]host[:port][/path…]`; the rest of the line after white space is ignored. */
function urlEntry(s: string, sep: number): Entry | string {
  const scheme = s.slice(0, sep).toLowerCase();
  const defaultPort = scheme === 'https' ? 443 : scheme === 'http' ? 80 : 0;
  if (defaultPort === 0) return `unsupported URL scheme "${scheme.slice(0, 20)}"`;
  const from = sep + 3;
  let end = from;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 47 || c === 63 || c === 35 || c === 32 || c === 9) break;
    end++;
  }
  const auth = s.slice(from, end);
  if (auth.length === 0) return 'URL without a host';
  if (auth.indexOf('@') >= 0) return 'user info in URLs is not supported';
  if (auth.charCodeAt(0) === 91) {
    const e = bracketEntry(auth);
    if (typeof e !== 'string' && e.port === 0) e.port = defaultPort;
    return e;
  }
  const colon = auth.indexOf(':');
  if (colon < 0) return hostPortEntry(auth, defaultPort);
  const port = parsePort(auth, colon + 1);
  if (port < 0) return 'bad port (1-65535)';
  return hostPortEntry(auth.slice(0, colon), port);
}

/** zgrab-style `ip,name[,port]`, `ip,name,tag,port`, `,name` or `ip,`. */
function zgrabEntry(s: string): Entry | string {
  const f = s.split(',');
  if (f.length > 4) return 'too many fields (expected ip,name[,port])';
  const ipText = f[0].trim();
  const name = (f[1] ?? '').trim();
  let portText = f.length === 4 ? f[3].trim() : f.length === 3 ? f[2].trim() : '';
  // zgrab2's 3-field form is ip,name,tag: a non-numeric third field is a tag, not a port.
  if (f.length === 3 && !DIGITS.test(portText)) portText = '';
  let port = 0;
  if (portText !== '') {
    port = parsePort(portText);
    if (port < 0) return 'bad port (1-65535)';
  }
  if (ipText === '' && name === '') return 'neither address nor name';
  let host: string | undefined;
  if (name !== '') {
    const n = nameEntry(name, port);
    if (typeof n === 'string') return `bad name "${name.slice(0, 64)}": ${n}`;
    host = n.host;
    if (ipText === '') return n;
  }
  const bare = ipText.charCodeAt(0) === 91 && ipText.charCodeAt(ipText.length - 1) === 93 ? ipText.slice(1, -1) : ipText;
  const ip = parseIp(bare);
  if (!ip) return 'first field must be a single IP address';
  return ip.family === 4 ? { kind: 'v4', start: ip.v4, end: ip.v4, port, host } : { kind: 'v6', start: ip.v6, count: 1, port, host };
}

/**
 * Parses one plain-list entry (already trimmed, non-empty, not a comment). Returns the entry or
 * the reason it is not one.
 */
export function parseListEntry(s: string): Entry | string {
  const v4 = parseIPv4(s);
  if (v4 >= 0) return { kind: 'v4', start: v4, end: v4, port: 0 }; // fast path: bare IPv4
  const sep = s.indexOf('://');
  if (sep > 0) return urlEntry(s, sep);
  if (s.indexOf(',') >= 0) return zgrabEntry(s);
  if (s.charCodeAt(0) === 91) return bracketEntry(s);
  const slash = s.indexOf('/');
  const colon = s.indexOf(':');
  if (slash >= 0) {
    // IPv4 CIDR may carry a port (`10.0.0.0/24:8443`); IPv6 CIDRs use the configured ports.
    if (colon > slash) {
      const port = parsePort(s, colon + 1);
      if (port < 0) return 'bad port (1-65535)';
      return rangeEntry(s.slice(0, colon), port);
    }
    return rangeEntry(s, 0);
  }
  if (colon < 0) return hostPortEntry(s, 0);
  if (s.indexOf(':', colon + 1) < 0) {
    const port = parsePort(s, colon + 1);
    if (port < 0) return 'bad port (1-65535)';
    return hostPortEntry(s.slice(0, colon), port);
  }
  if (s.indexOf('-') >= 0) return rangeEntry(s, 0);
  return v6Entry(s, 0);
}

/** Number of addresses an entry covers. */
export function entryAddresses(e: Entry): number {
  return e.kind === 'v4' ? e.end - e.start + 1 : e.kind === 'v6' ? e.count : 1;
}
