/**
 * Input lines of `edgewatch enrich -l FILE` (or stdin): bounded line splitting that reports an
 * over-long line and goes on, and the parsing of one line into an address to enrich:
 * - a scan record (JSON Lines output of `edgewatch scan`): its address, names and record fields;
 * - `IP`, `IP:PORT`, `[IPv6]:PORT`, `scheme://IP[:PORT]/…`, optionally followed by a host name
 *   (`IP NAME` or `IP,NAME`), which is kept as a `target` name.
 * Host names alone are refused: enrichment never resolves names nor sends a packet to a target.
 */
import { createReadStream } from 'node:fs';
import type { ScanRecord } from '../../scan/record.js';
import { parseIp } from '../../scope/ip.js';
import { namesFromRecord } from '../names/index.js';
import type { HostName } from '../types.js';

export const MAX_INPUT_LINE = 1024 * 1024;

export interface InputLine {
  line: number;
  text: string;
  /** Set when the line was longer than the bound (text is then empty). */
  tooLong?: boolean;
}

/** Lines of a byte stream, 1-based, over-long lines reported (not fatal). */
export async function* boundedLines(source: AsyncIterable<Buffer | string>, max = MAX_INPUT_LINE): AsyncGenerator<InputLine> {
  let parts: Buffer[] = [];
  let partLen = 0;
  let skipping = false;
  let lineNo = 0;
  for await (const chunk0 of source) {
    const chunk = typeof chunk0 === 'string' ? Buffer.from(chunk0) : chunk0;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      if (nl < 0) {
        if (!skipping) {
          const rest = chunk.subarray(start);
          if (partLen + rest.length > max) {
            skipping = true;
            parts = [];
            partLen = 0;
          } else {
            parts.push(rest);
            partLen += rest.length;
          }
        }
        break;
      }
      lineNo++;
      if (skipping) {
        yield { line: lineNo, text: '', tooLong: true };
        skipping = false;
      } else {
        const piece = chunk.subarray(start, nl);
        if (partLen + piece.length > max) yield { line: lineNo, text: '', tooLong: true };
        else {
          const buf = parts.length ? Buffer.concat([...parts, piece]) : piece;
          yield { line: lineNo, text: buf.toString('utf8').replace(/\r$/, '') };
        }
      }
      parts = [];
      partLen = 0;
      start = nl + 1;
    }
  }
  if (skipping) yield { line: lineNo + 1, text: '', tooLong: true };
  else if (partLen > 0) yield { line: lineNo + 1, text: Buffer.concat(parts).toString('utf8').replace(/\r$/, '') };
}

export function fileLines(path: string): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

export interface ParsedInput {
  ip: string;
  names: HostName[];
  /** A scan record, when the line was one. */
  record?: ScanRecord;
  port?: number;
}

const NAME = /^(?=.{1,253}$)[a-z0-9*_-]+(\.[a-z0-9_-]+)*\.?$/i;

function addrPort(tok: string): { ip: string; port?: number } | null {
  let t = tok;
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(t);
  if (url) t = url[1].replace(/^[^@]*@/, '');
  const direct = parseIp(t);
  if (direct) return { ip: direct.text };
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (v6) {
    const p = parseIp(v6[1]);
    if (!p) return null;
    return { ip: p.text, port: v6[2] ? Number(v6[2]) : undefined };
  }
  const v4 = /^([0-9.]+):(\d{1,5})$/.exec(t);
  if (v4) {
    const p = parseIp(v4[1]);
    return p ? { ip: p.text, port: Number(v4[2]) } : null;
  }
  return null;
}

/** Parses one input line; returns null for blank/comment lines, or `{ error }`. */
export function parseInputLine(text: string): ParsedInput | { error: string } | null {
  const t = text.trim();
  if (t === '' || t.startsWith('#')) return null;
  if (t.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(t);
    } catch {
      return { error: 'not valid JSON' };
    }
    const rec = doc as Partial<ScanRecord>;
    if (!rec || typeof rec !== 'object' || typeof rec.ip !== 'string') return { error: 'JSON line without an "ip" field' };
    const p = parseIp(rec.ip);
    if (!p) return { error: `"ip" is not an IP address: ${JSON.stringify(rec.ip.slice(0, 60))}` };
    let names: HostName[] = [];
    try {
      names = namesFromRecord({ host: null, tls: null, ...rec } as ScanRecord);
    } catch {
      names = [];
    }
    return { ip: p.text, names, record: rec as ScanRecord, port: typeof rec.port === 'number' ? rec.port : undefined };
  }
  const [first, second, ...more] = t.split(/[\s,]+/);
  if (more.length > 0) return { error: 'expected an address, optionally followed by one host name' };
  const a = addrPort(first);
  if (!a) {
    return NAME.test(first) && !/^[0-9.:]+$/.test(first) && /[a-z]/i.test(first)
      ? { error: `"${first.slice(0, 80)}" is a host name: enrich needs addresses (it never resolves names)` }
      : { error: `not an IP address: "${first.slice(0, 80)}"` };
  }
  if (a.port !== undefined && (a.port < 1 || a.port > 65535)) return { error: `port out of range: ${a.port}` };
  const names: HostName[] = [];
  if (second) {
    if (!NAME.test(second) || second.includes('*')) return { error: `not a host name: "${second.slice(0, 80)}"` };
    names.push({ name: second.toLowerCase().replace(/\.$/, ''), source: 'target' });
  }
  return { ip: a.ip, names, port: a.port };
}
