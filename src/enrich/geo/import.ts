/**
 * `edgewatch data import`: validate a user's geo/AS data file completely, then install it into
 * `<data dir>/geo/` as a range table and record it in the manifest (newest first, so it wins over
 * older imports and over the bundled data). Accepted: MaxMind GeoLite2 Country / ASN `.mmdb`,
 * ip-location-db MMDB and release CSV (address or `-num` bounds), iptoasn TSV (`.gz` accepted).
 * Several files may form one source (the IPv4 and IPv6 halves of a CSV release). Any problem
 * throws before anything is written: an error naming file:line and an unchanged data directory.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, statSync, unlinkSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { EdgewatchError } from '../../errors.js';
import { writeRangeTable } from './binary.js';
import { geoDir, type ManifestEntry, readManifest, writeManifest } from './installed.js';
import { kindOfRecord, mmdbToRangeTable } from './mmdb-ranges.js';
import { detectRangeFormat, parseRanges, type RangeFormat } from './parse-ranges.js';
import { RangeTableBuilder, type RangeTable } from './ranges.js';
import { mmdbGet, openMmdbBuffer } from './sources.js';

export type GeoKind = 'country' | 'asn';

/** Largest file read (uncompressed), bytes. */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

export interface ImportOptions {
  /** Data directory (`dataDir(config)`). */
  dataDir: string;
  /** What the data answers; inferred from the file when absent. iptoasn TSV answers both. */
  kind?: GeoKind;
  /** Source name (default: the first file's base name); re-importing a name replaces it. */
  name?: string;
  /** Date of the data (YYYY-MM-DD) when the file does not state one (default: file modification date). */
  date?: string;
  /** Shown as the origin in `data status` (default: the file paths). */
  origin?: string;
  /** Validate only; install nothing. */
  dryRun?: boolean;
}

export interface ImportResult {
  entries: ManifestEntry[];
  /** Ranges in the installed table (IPv4, IPv6). */
  v4: number;
  v6: number;
  dryRun: boolean;
}

const MMDB_MARKER = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'latin1')]);

function readInput(file: string): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_READ', `cannot read data file: ${(cause as Error).message}`, { file, cause });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new EdgewatchError('EW_DATA_READ', 'not a regular file', { file });
    if (st.size > MAX_IMPORT_BYTES) throw new EdgewatchError('EW_DATA_READ', `file larger than ${MAX_IMPORT_BYTES} bytes`, { file });
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    const data = buf.subarray(0, off);
    if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
      try {
        return gunzipSync(data, { maxOutputLength: MAX_IMPORT_BYTES });
      } catch (cause) {
        throw new EdgewatchError('EW_DATA_PARSE', `broken gzip data: ${(cause as Error).message}`, { file, cause });
      }
    }
    return data;
  } finally {
    closeSync(fd);
  }
}

function isMmdb(buf: Buffer): boolean {
  const from = Math.max(0, buf.length - 128 * 1024);
  return buf.indexOf(MMDB_MARKER, from) >= 0;
}

const NAME_OK = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function defaultSourceName(file: string): string {
  const b = basename(file)
    .replace(/\.gz$/i, '')
    .replace(/\.(mmdb|csv|tsv|txt)$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 64);
  return b || 'imported';
}

function mtimeDate(file: string): string | null {
  try {
    return statSync(file).mtime.toISOString().slice(0, 10);
  } catch {
    return null;
  }
}

interface Converted {
  table: RangeTable;
  kinds: GeoKind[];
  format: ManifestEntry['format'];
  description: string;
  version: string | null;
  date: string | null;
}

function convertMmdb(file: string, buf: Buffer, want: GeoKind | undefined): Converted {
  let reader: ReturnType<typeof openMmdbBuffer>;
  try {
    reader = openMmdbBuffer(buf);
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_PARSE', `not a valid MaxMind DB file: ${(cause as Error).message}`, { file, cause });
  }
  const md = reader.metadata;
  let kind = want;
  if (!kind) {
    if (/asn/i.test(md.databaseType)) kind = 'asn';
    else if (/country|city/i.test(md.databaseType)) kind = 'country';
    else {
      // ask a few well-known addresses (data lookups only)
      for (const ip of ['8.8.8.8', '1.1.1.1', '193.0.6.139', '2001:4860:4860::8888']) {
        try {
          const k = kindOfRecord(mmdbGet(reader, ip)[0]);
          if (k) {
            kind = k;
            break;
          }
        } catch {
          // an IPv6 address in an IPv4-only database
        }
      }
    }
    if (!kind) throw new EdgewatchError('EW_DATA_FORMAT', `cannot tell whether ${md.databaseType} holds countries or AS numbers: pass --kind`, { file });
  }
  let conv: ReturnType<typeof mmdbToRangeTable>;
  try {
    conv = mmdbToRangeTable(reader, buf, kind);
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_PARSE', `damaged MaxMind DB file: ${(cause as Error).message}`, { file, cause });
  }
  if (conv.table.v4Start.length + conv.table.v6StartHi.length === 0) {
    throw new EdgewatchError('EW_DATA_FORMAT', `no ${kind === 'asn' ? 'AS number' : 'country'} data in ${md.databaseType} (${conv.leaves} networks read): wrong --kind?`, { file });
  }
  const built = md.buildEpoch instanceof Date && !Number.isNaN(md.buildEpoch.getTime()) ? md.buildEpoch : null;
  return {
    table: conv.table,
    kinds: [kind],
    format: 'mmdb',
    description: `${md.databaseType} (MMDB)`.slice(0, 200),
    version: built ? `${md.databaseType} build ${built.toISOString().replace(/\.000Z$/, 'Z')}`.slice(0, 200) : null,
    date: built ? built.toISOString().slice(0, 10) : null,
  };
}

const FORMAT_NAMES: Record<RangeFormat, string> = {
  'ipl-asn': 'ip-location-db CSV (asn)',
  'ipl-country': 'ip-location-db CSV (country)',
  iptoasn: 'iptoasn TSV',
};

function convertText(files: Array<{ file: string; buf: Buffer }>, want: GeoKind | undefined): Converted {
  const b = new RangeTableBuilder();
  let format: RangeFormat | null = null;
  const TAG = 2 ** 32; // line numbers kept as fileIndex * TAG + line
  files.forEach(({ file, buf }, fi) => {
    const text = buf.toString('utf8');
    if (text.includes('\u0000')) throw new EdgewatchError('EW_DATA_FORMAT', 'binary file: not a CSV/TSV nor a MaxMind DB', { file });
    const f = detectRangeFormat(text);
    if (!f) {
      throw new EdgewatchError(
        'EW_DATA_FORMAT',
        'unknown format: expected MaxMind DB (.mmdb), ip-location-db CSV (start,end,country_code | start,end,asn,as_name) or iptoasn TSV (start, end, AS number, country, description)',
        { file },
      );
    }
    if (format && f !== format) throw new EdgewatchError('EW_DATA_FORMAT', `files of one source must share a format (${FORMAT_NAMES[format]} vs ${FORMAT_NAMES[f]})`, { file });
    format = f;
    if (want === 'asn' && f === 'ipl-country') throw new EdgewatchError('EW_DATA_FORMAT', '--kind asn, but the file holds countries (3 columns)', { file });
    if (want === 'country' && f === 'ipl-asn') throw new EdgewatchError('EW_DATA_FORMAT', '--kind country, but the file holds AS numbers (4 columns)', { file });
    parseRanges(text, { file, format: f, into: b, v6Numbers: /ipv6|v6/i.test(basename(file)), lineTag: fi * TAG });
  });
  const fmt = format as unknown as RangeFormat;
  const table = b.build((a, c) => {
    const fa = files[Math.floor(a / TAG)].file;
    const fc = files[Math.floor(c / TAG)].file;
    const where = fa === fc ? `line ${a % TAG}` : `${fa}:${a % TAG}`;
    throw new EdgewatchError('EW_DATA_PARSE', `range overlaps the range on ${where}`, { file: fc, line: c % TAG });
  });
  if (table.v4Start.length + table.v6StartHi.length === 0) throw new EdgewatchError('EW_DATA_FORMAT', 'no ranges in the file', { file: files[0].file });
  const kinds: GeoKind[] = want ? [want] : fmt === 'iptoasn' ? ['asn', 'country'] : fmt === 'ipl-asn' ? ['asn'] : ['country'];
  const sha = createHash('sha256');
  for (const f of files) sha.update(f.buf);
  return {
    table,
    kinds,
    format: fmt === 'iptoasn' ? 'iptoasn' : 'ipl-csv',
    description: FORMAT_NAMES[fmt],
    version: `sha256:${sha.digest('hex').slice(0, 16)}`,
    date: null,
  };
}

/** Validates and installs one source made of `files`. */
export function importGeoData(files: string[], opts: ImportOptions): ImportResult {
  if (files.length === 0) throw new EdgewatchError('EW_CLI_USAGE', 'no file to import');
  if (opts.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.date)) throw new EdgewatchError('EW_CLI_USAGE', `--date must be YYYY-MM-DD, got "${opts.date}"`);
  const name = opts.name ?? defaultSourceName(files[0]);
  if (!NAME_OK.test(name)) throw new EdgewatchError('EW_CLI_USAGE', `--name must be 1–64 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit), got "${name}"`);
  // Read the manifest first: a corrupt one is reported before any work.
  const manifest = readManifest(opts.dataDir);
  const inputs = files.map((f) => ({ file: f, buf: readInput(f) }));
  const mm = inputs.filter((i) => isMmdb(i.buf));
  let conv: Converted;
  if (mm.length > 0) {
    if (inputs.length > 1) throw new EdgewatchError('EW_CLI_USAGE', 'import one MaxMind DB file at a time (it holds IPv4 and IPv6)', { file: mm[0].file });
    conv = convertMmdb(inputs[0].file, inputs[0].buf, opts.kind);
  } else {
    conv = convertText(inputs, opts.kind);
  }
  const sha = createHash('sha256');
  for (const i of inputs) sha.update(i.buf);
  const digest = sha.digest('hex');
  const file = `${name}.ewrt`;
  const now = new Date().toISOString();
  const entries: ManifestEntry[] = conv.kinds.map((kind) => ({
    name,
    kind,
    format: conv.format,
    file,
    version: conv.version ?? `sha256:${digest.slice(0, 16)}`,
    date: opts.date ?? conv.date ?? mtimeDate(files[0]),
    description: conv.description,
    original: (opts.origin ?? files.map((f) => resolve(f)).join(' + ')).slice(0, 4096),
    sha256: digest,
    imported_at: now,
    entries: conv.table.v4Start.length + conv.table.v6StartHi.length,
  }));
  const result: ImportResult = { entries, v4: conv.table.v4Start.length, v6: conv.table.v6StartHi.length, dryRun: !!opts.dryRun };
  if (opts.dryRun) return result;
  const dir = geoDir(opts.dataDir);
  mkdirSync(dir, { recursive: true });
  writeRangeTable(join(dir, file), conv.table, `import:${name}:${digest}`);
  // The new source replaces sources of the same name (any kind it now answers, and all kinds of a
  // same-named source whose file it overwrote).
  const kept = manifest.filter((e) => e.name !== name);
  writeManifest(opts.dataDir, [...entries, ...kept]);
  return result;
}

/** Removes an imported source (all kinds) by name; returns the entries removed. */
export function removeGeoData(dataDir: string, name: string): ManifestEntry[] {
  const manifest = readManifest(dataDir);
  const gone = manifest.filter((e) => e.name === name);
  if (gone.length === 0) throw new EdgewatchError('EW_DATA_NOT_FOUND', `no imported data source named "${name}" (see: edgewatch data status)`);
  const kept = manifest.filter((e) => e.name !== name);
  writeManifest(dataDir, kept);
  for (const f of new Set(gone.map((e) => e.file))) {
    if (!kept.some((e) => e.file === f)) {
      try {
        unlinkSync(join(geoDir(dataDir), f));
      } catch {
        // already gone
      }
    }
  }
  return gone;
}
