/**
 * Parsers of range files into a RangeTableBuilder, strict and line-numbered:
 * - ip-location-db CSV, ASN:     `ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization`
 * - ip-location-db CSV, country: `ip_range_start,ip_range_end,country_code`
 *   (bounds as addresses or as numbers, the `-num` files; an optional header line is skipped)
 * - iptoasn TSV:                 `range_start<TAB>range_end<TAB>AS_number<TAB>country_code<TAB>AS_description`
 * Every problem throws EW_DATA_PARSE naming file:line; nothing is returned half-built.
 */
import { EdgewatchError } from '../../errors.js';
import { mappedIPv4, parseIPv4, parseIPv6 } from '../../scope/ip.js';
import { RangeTableBuilder } from './ranges.js';

export type RangeFormat = 'ipl-asn' | 'ipl-country' | 'iptoasn';

const MAX_LINE = 4096;
const MAX_NAME = 512;
const MAX_U32 = 0xffffffff;
const V6_MAX = (1n << 128n) - 1n;

/** Splits one CSV line (RFC 4180 quotes, no embedded newlines); null on a broken quote. */
export function splitCsv(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return null;
        v += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          v += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(v);
      if (i === n) return out;
      if (line.charCodeAt(i) !== 44) return null;
      i++;
    } else {
      const c = line.indexOf(',', i);
      if (c < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, c));
      i = c + 1;
    }
  }
}

type Bound = { family: 4; v: number } | { family: 6; v: bigint };

/** Parses a range bound: an address, or a decimal number (`-num` files; `v6` says the family). */
function parseBound(s: string, v6Numbers: boolean): Bound | null {
  if (s.length === 0 || s.length > 45) return null;
  if (/^[0-9]+$/.test(s)) {
    if (s.length > 1 && s[0] === '0') return null;
    if (v6Numbers) {
      const v = BigInt(s);
      return v <= V6_MAX ? { family: 6, v } : null;
    }
    const v = Number(s);
    return v <= MAX_U32 ? { family: 4, v } : null;
  }
  const v4 = parseIPv4(s);
  if (v4 >= 0) return { family: 4, v: v4 };
  const v6 = parseIPv6(s);
  if (v6 === null) return null;
  const m = mappedIPv4(v6);
  return m >= 0 ? { family: 4, v: m } : { family: 6, v: v6 };
}

function parseAsn(s: string): number | null {
  let t = s.trim();
  if (/^AS/i.test(t)) t = t.slice(2);
  if (!/^[0-9]{1,10}$/.test(t)) return null;
  const v = Number(t);
  return v <= MAX_U32 ? v : null;
}

/** Normalises a country code: two letters upper-cased; `None`/`ZZ`/`--`/empty mean unknown (null). */
function parseCc(s: string): string | null | undefined {
  const t = s.trim();
  if (t === '' || t === 'None' || t === '-' || t === '--' || t.toUpperCase() === 'ZZ') return null;
  return /^[A-Za-z]{2}$/.test(t) ? t.toUpperCase() : undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: hostile input check
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

export interface ParseOptions {
  /** File name for messages. */
  file: string;
  format: RangeFormat;
  /** Numbers in the bound columns are IPv6 (the `-ipv6-num` files). */
  v6Numbers?: boolean;
  /** Add to this builder (several files into one table). */
  into?: RangeTableBuilder;
  /** Added to the line numbers kept in the builder (to tell several files apart in overlap errors). */
  lineTag?: number;
}

/** Detects the format of a range file from its first data line (null: unknown). */
export function detectRangeFormat(text: string): RangeFormat | null {
  for (const raw of text.slice(0, 65536).split('\n', 20)) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#') || /^(ip_)?range_start/i.test(line)) continue;
    if (line.includes('\t')) return line.split('\t').length >= 5 ? 'iptoasn' : null;
    // broken quoting is reported by the parser with its line; count plain commas here
    const f = splitCsv(line) ?? line.split(',');
    if (f.length === 3) return 'ipl-country';
    if (f.length >= 4) return 'ipl-asn';
    return null;
  }
  return null;
}

/** Parses the whole text into the builder; throws EW_DATA_PARSE at the first broken line. */
export function parseRanges(text: string, opts: ParseOptions): RangeTableBuilder {
  const b = opts.into ?? new RangeTableBuilder();
  const fail = (line: number, msg: string): never => {
    throw new EdgewatchError('EW_DATA_PARSE', msg, { file: opts.file, line });
  };
  const v6n = opts.v6Numbers ?? false;
  const tag = opts.lineTag ?? 0;
  let pos = 0;
  let lineNo = 0;
  const n = text.length;
  let rows = 0;
  while (pos < n) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = n;
    let line = text.slice(pos, nl);
    pos = nl + 1;
    lineNo++;
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.length === 0 || line.charCodeAt(0) === 35) continue;
    if (line.length > MAX_LINE) fail(lineNo, `line longer than ${MAX_LINE} characters`);
    if (rows === 0 && /^(ip_)?range_start/i.test(line)) continue;
    let fields: string[] | null;
    if (opts.format === 'iptoasn') {
      fields = line.split('\t');
      if (fields.length !== 5) fail(lineNo, `expected 5 tab-separated fields (range_start, range_end, AS_number, country_code, AS_description), got ${fields.length}`);
    } else {
      fields = splitCsv(line);
      if (!fields) fail(lineNo, 'broken CSV quoting');
      const want = opts.format === 'ipl-asn' ? 4 : 3;
      if ((fields as string[]).length !== want) {
        fail(
          lineNo,
          opts.format === 'ipl-asn'
            ? `expected 4 fields (ip_range_start, ip_range_end, autonomous_system_number, autonomous_system_organization), got ${(fields as string[]).length}`
            : `expected 3 fields (ip_range_start, ip_range_end, country_code), got ${(fields as string[]).length}`,
        );
      }
    }
    const f = fields as string[];
    rows++;
    const s = parseBound(f[0].trim(), v6n);
    if (!s) fail(lineNo, `range start is not an address: ${JSON.stringify(f[0].slice(0, 60))}`);
    const e = parseBound(f[1].trim(), v6n);
    if (!e) fail(lineNo, `range end is not an address: ${JSON.stringify(f[1].slice(0, 60))}`);
    const start = s as Bound;
    const end = e as Bound;
    if (start.family !== end.family) fail(lineNo, 'range start and end are of different address families');
    if (start.v > end.v) fail(lineNo, 'range start is after range end');
    let asn = 0;
    let name: string | null = null;
    let cc: string | null = null;
    if (opts.format === 'ipl-country') {
      const c = parseCc(f[2]);
      if (c === undefined) fail(lineNo, `not a two-letter country code: ${JSON.stringify(f[2].slice(0, 20))}`);
      cc = c as string | null;
    } else {
      const a = parseAsn(f[2]);
      if (a === null) fail(lineNo, `not an AS number: ${JSON.stringify(f[2].slice(0, 20))}`);
      asn = a as number;
      const nameField = opts.format === 'iptoasn' ? f[4] : f[3];
      if (nameField.length > MAX_NAME) fail(lineNo, `AS name longer than ${MAX_NAME} characters`);
      if (CONTROL.test(nameField)) fail(lineNo, 'control character in AS name');
      name = nameField.trim() || null;
      if (opts.format === 'iptoasn') {
        const c = parseCc(f[3]);
        if (c === undefined) fail(lineNo, `not a two-letter country code: ${JSON.stringify(f[3].slice(0, 20))}`);
        cc = c as string | null;
        // iptoasn marks unrouted space as AS 0 "Not routed": no AS, no name.
        if (asn === 0) name = null;
      }
    }
    // Rows that say nothing (unrouted space: AS 0 and no country) are left out of the index.
    if (asn === 0 && cc === null) continue;
    if (start.family === 4) b.addV4(start.v, end.v as number, asn, name, cc, tag + lineNo);
    else b.addV6(start.v, end.v as bigint, asn, name, cc, tag + lineNo);
  }
  return b;
}
