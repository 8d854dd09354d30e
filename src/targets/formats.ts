/**
 * Input file formats: detection from the first meaningful line and one line parser per format.
 * Parsers see one trimmed, non-empty, non-comment line at a time, push zero or more entries to
 * `out`, and return a reason string when the line is malformed (the reader adds file and line).
 *
 * - list: see entry.ts (also accepts URL lines; `url` is the same parser).
 * - masscan -oL: `open tcp 443 1.2.3.4 1580000000`; only `open` + `tcp` lines count, `closed`,
 *   `banner` and `unknown` lines and other protocols are skipped.
 * - masscan -oJ: one JSON object per line inside `[` … `]`, trailing commas, a `{finished: 1}`
 *   line (not valid JSON) tolerated; only ports with `"status": "open"` (tcp) count.
 * - zmap CSV: header line naming the columns; `saddr` is the address, `sport` (if present) the
 *   service port; rows with `success` = 0 or `repeat` = 1 (when those columns exist) are skipped.
 */

import { parseIp } from '../scope/ip.js';
import { type Entry, parseListEntry, parsePort } from './entry.js';
import type { TargetFormat } from './types.js';

/** A concrete format (after detection). */
export type ConcreteFormat = Exclude<TargetFormat, 'auto'>;

/** Parses one line; returns a reason when malformed. */
export type LineParser = (line: string, out: Entry[]) => string | undefined;

const WS = /\s+/;
const MASSCAN_LIST_LINE = /^(open|closed|banner|unknown)\s+(tcp|udp|sctp|icmp|arp)\s/;
const JSON_START = /^\[\s*\{/;
const FINISHED = /^\{\s*"?finished"?\s*:/;
const URL_LINE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Is this line a masscan -oL header comment (`#masscan`)? */
export function isMasscanHeader(line: string): boolean {
  return line.startsWith('#masscan');
}

function csvFields(line: string): string[] {
  const f = line.split(',');
  for (let i = 0; i < f.length; i++) {
    let v = f[i].trim();
    if (v.length >= 2 && v.charCodeAt(0) === 34 && v.charCodeAt(v.length - 1) === 34) v = v.slice(1, -1);
    f[i] = v;
  }
  return f;
}

/** Detects the format from the first meaningful (non-blank, non-comment) line. */
export function detectFormat(line: string): ConcreteFormat {
  if (line === '[' || line.charCodeAt(0) === 123 || JSON_START.test(line)) return 'masscan-json';
  if (MASSCAN_LIST_LINE.test(line)) return 'masscan-list';
  if (line.indexOf('saddr') >= 0 && csvFields(line.toLowerCase()).includes('saddr')) return 'zmap-csv';
  if (URL_LINE.test(line)) return 'url';
  return 'list';
}

function parseList(line: string, out: Entry[]): string | undefined {
  const e = parseListEntry(line);
  if (typeof e === 'string') return e;
  out.push(e);
  return undefined;
}

function single(ipText: string, port: number): Entry | undefined {
  const ip = parseIp(ipText);
  if (!ip) return undefined;
  return ip.family === 4 ? { kind: 'v4', start: ip.v4, end: ip.v4, port } : { kind: 'v6', start: ip.v6, count: 1, port };
}

function parseMasscanList(line: string, out: Entry[]): string | undefined {
  const f = line.split(WS);
  if (f.length < 4 || !MASSCAN_LIST_LINE.test(line)) return 'not a masscan -oL line (expected "open tcp <port> <ip> <time>")';
  if (f[0] !== 'open' || f[1] !== 'tcp') return undefined;
  const port = parsePort(f[2]);
  if (port < 0) return 'bad port (1-65535)';
  const e = single(f[3], port);
  if (!e) return 'bad IP address';
  out.push(e);
  return undefined;
}

interface MasscanPort {
  port?: unknown;
  proto?: unknown;
  status?: unknown;
}

function parseMasscanJson(line: string, out: Entry[]): string | undefined {
  let s = line;
  if (s.charCodeAt(s.length - 1) === 44) s = s.slice(0, -1).trimEnd(); // trailing comma
  if (s === '[' || s === ']' || s === '') return undefined;
  if (s.charCodeAt(0) === 91) s = s.slice(1).trimStart(); // `[{…},` on one line
  if (s.endsWith(']') && !s.endsWith('] }') && !s.endsWith(']}')) s = s.slice(0, -1).trimEnd(); // `{…}]`
  if (FINISHED.test(s)) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(s);
  } catch {
    return 'not a JSON object (masscan -oJ writes one object per line)';
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return 'not a JSON object';
  const rec = obj as { ip?: unknown; ports?: unknown };
  if (typeof rec.ip !== 'string') return 'missing "ip"';
  if (!Array.isArray(rec.ports)) return 'missing "ports" array';
  let first = true;
  for (const p of rec.ports as MasscanPort[]) {
    if (typeof p !== 'object' || p === null || p.status !== 'open') continue;
    if (p.proto !== undefined && p.proto !== 'tcp') continue;
    const port = typeof p.port === 'number' ? p.port : typeof p.port === 'string' ? Number(p.port) : Number.NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return 'bad "port" (1-65535)';
    if (first && parseIp(rec.ip) === null) return 'bad "ip"';
    first = false;
    const e = single(rec.ip, port);
    if (e) out.push(e);
  }
  return undefined;
}

function zmapParser(): LineParser {
  let cols = 0;
  let iSaddr = -1;
  let iSport = -1;
  let iSuccess = -1;
  let iRepeat = -1;
  return (line, out) => {
    const f = csvFields(line);
    if (cols === 0) {
      const names = f.map((x) => x.toLowerCase());
      iSaddr = names.indexOf('saddr');
      if (iSaddr < 0) return 'zmap CSV needs a header line with a "saddr" column';
      iSport = names.indexOf('sport');
      iSuccess = names.indexOf('success');
      iRepeat = names.indexOf('repeat');
      cols = names.length;
      return undefined;
    }
    if (f[iSaddr] === 'saddr') return undefined; // header repeated (concatenated files)
    if (f.length !== cols) return `expected ${cols} CSV fields, got ${f.length}`;
    if (iSuccess >= 0 && (f[iSuccess] === '0' || f[iSuccess] === 'false')) return undefined;
    if (iRepeat >= 0 && (f[iRepeat] === '1' || f[iRepeat] === 'true')) return undefined;
    let port = 0;
    if (iSport >= 0) {
      port = parsePort(f[iSport]);
      if (port < 0) return 'bad sport (1-65535)';
    }
    const e = single(f[iSaddr], port);
    if (!e) return 'bad saddr';
    out.push(e);
    return undefined;
  };
}

/** A fresh (possibly stateful) parser for one input in the given format. */
export function createParser(format: ConcreteFormat): LineParser {
  switch (format) {
    case 'list':
    case 'url':
      return parseList;
    case 'masscan-list':
      return parseMasscanList;
    case 'masscan-json':
      return parseMasscanJson;
    case 'zmap-csv':
      return zmapParser();
  }
}
