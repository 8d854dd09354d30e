/**
 * Binary file format of a RangeTable (`*.ewrt`): an 8-byte magic, a JSON header (counts, a cache
 * key, byte order), then the typed arrays back to back (8-byte aligned) and the AS-name table as
 * JSON. Loading is a file read plus copies: milliseconds instead of parsing a 30 MB CSV.
 * A file that does not parse as this format is reported as null (callers rebuild or fail).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import type { RangeTable } from './ranges.js';

const MAGIC = 'EWGEORT1';

interface Header {
  n4: number;
  n6: number;
  namesBytes: number;
  endian: string;
  /** What the table was built from (e.g. the bundled package version); checked by callers. */
  key: string;
}

type Section = Uint32Array | Int32Array | Uint16Array | BigUint64Array;

function sections(t: RangeTable): Section[] {
  return [
    t.v4Start,
    t.v4End,
    t.v4Asn,
    t.v4Name,
    t.v4Cc,
    t.v6StartHi,
    t.v6StartLo,
    t.v6EndHi,
    t.v6EndLo,
    t.v6Asn,
    t.v6Name,
    t.v6Cc,
  ];
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** Writes the table atomically (temp file + rename). */
export function writeRangeTable(path: string, t: RangeTable, key: string): void {
  const names = Buffer.from(JSON.stringify(t.names), 'utf8');
  const header: Header = { n4: t.v4Start.length, n6: t.v6StartHi.length, namesBytes: names.length, endian: endianness(), key };
  const hjson = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(pad8(8 + 4 + hjson.length));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(hjson.length, 8);
  hjson.copy(head, 12);
  const parts: Buffer[] = [head];
  for (const s of sections(t)) {
    const b = Buffer.from(s.buffer, s.byteOffset, s.byteLength);
    parts.push(b);
    const extra = pad8(b.length) - b.length;
    if (extra) parts.push(Buffer.alloc(extra));
  }
  parts.push(names);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of parts) writeSync(fd, p);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Reads a table written by writeRangeTable; null when the file is missing, foreign, or of another key. */
export function readRangeTable(path: string, expectKey?: string): RangeTable | null {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return null;
  }
  try {
    if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const hlen = buf.readUInt32LE(8);
    if (12 + hlen > buf.length) return null;
    const h = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header;
    if (h.endian !== endianness()) return null;
    if (expectKey !== undefined && h.key !== expectKey) return null;
    if (!Number.isInteger(h.n4) || !Number.isInteger(h.n6) || h.n4 < 0 || h.n6 < 0) return null;
    let off = pad8(12 + hlen);
    const take = <T extends Section>(ctor: { new (n: number): T; BYTES_PER_ELEMENT: number }, n: number): T => {
      const arr = new ctor(n);
      const len = n * ctor.BYTES_PER_ELEMENT;
      if (off + len > buf.length) throw new Error('short file');
      new Uint8Array(arr.buffer).set(buf.subarray(off, off + len));
      off += pad8(len);
      return arr;
    };
    const t: RangeTable = {
      v4Start: take(Uint32Array, h.n4),
      v4End: take(Uint32Array, h.n4),
      v4Asn: take(Uint32Array, h.n4),
      v4Name: take(Int32Array, h.n4),
      v4Cc: take(Uint16Array, h.n4),
      v6StartHi: take(BigUint64Array, h.n6),
      v6StartLo: take(BigUint64Array, h.n6),
      v6EndHi: take(BigUint64Array, h.n6),
      v6EndLo: take(BigUint64Array, h.n6),
      v6Asn: take(Uint32Array, h.n6),
      v6Name: take(Int32Array, h.n6),
      v6Cc: take(Uint16Array, h.n6),
      names: [],
    };
    if (off + h.namesBytes > buf.length) return null;
    const names = JSON.parse(buf.toString('utf8', off, off + h.namesBytes)) as unknown;
    if (!Array.isArray(names) || !names.every((x) => typeof x === 'string')) return null;
    t.names = names as string[];
    return t;
  } catch {
    return null;
  }
}

/** The key a table was written with, without loading it (null when unreadable). */
export function rangeTableKey(path: string): string | null {
  try {
    const buf = readFileSync(path);
    if (buf.toString('latin1', 0, 8) !== MAGIC) return null;
    const hlen = buf.readUInt32LE(8);
    return (JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as Header).key;
  } catch {
    return null;
  }
}
