/**
 * Version tables (data/<name>.csv): fingerprint value → firmware version and build date.
 * The NetScaler table has columns `rdx_en_date,rdx_en_stamp,vhash,version`; a `version` of
 * `unknown` means the build is known by date only. Each table is read once per process with
 * csv-parse and indexed into Maps, one per key column.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { EdgewatchError } from '../errors.js';
import { isVersion } from './versions.js';

/** One table hit. */
export interface TableHit {
  /** Firmware version, or null when the table says `unknown` (or two rows disagree). */
  version: string | null;
  /** Build date (ISO-8601 UTC, seconds precision) when the table knows it. */
  date: string | null;
}

/** Key aliases accepted in check files (`key: stamp`). */
const KEY_ALIASES: Record<string, string> = { stamp: 'rdx_en_stamp', date: 'rdx_en_date' };
const MAX_TABLE_BYTES = 8 * 1024 * 1024;

/** Unix seconds → `2019-11-28T19:06:22Z`; null when out of range. */
export function isoFromEpoch(seconds: number): string | null {
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 4_102_444_800) return null;
  return new Date(Math.trunc(seconds) * 1000).toISOString().replace('.000Z', 'Z');
}

function isoFromText(s: string): string | null {
  const t = Date.parse(s.replace(' ', 'T'));
  return Number.isNaN(t) ? null : isoFromEpoch(t / 1000);
}

/** A loaded version table. Lookups are Map reads. */
export class VersionTable {
  readonly name: string;
  readonly file: string;
  readonly size: number;
  private readonly indexes = new Map<string, Map<string, TableHit>>();

  constructor(name: string, file: string, rows: Array<Record<string, string>>) {
    this.name = name;
    this.file = file;
    this.size = rows.length;
    const columns = rows.length > 0 ? Object.keys(rows[0]) : [];
    for (const col of columns) if (col !== 'version') this.indexes.set(col, new Map());
    for (const row of rows) {
      const raw = (row.version ?? '').trim();
      const version = isVersion(raw) ? raw : null;
      const stamp = row.rdx_en_stamp ? Number(row.rdx_en_stamp) : Number.NaN;
      const date = Number.isFinite(stamp) ? isoFromEpoch(stamp) : row.rdx_en_date ? isoFromText(row.rdx_en_date) : null;
      const hit: TableHit = { version, date };
      for (const [col, index] of this.indexes) {
        const key = (row[col] ?? '').trim().toLowerCase();
        if (key === '') continue;
        const prev = index.get(key);
        if (prev && prev.version !== version) index.set(key, { version: null, date: prev.date ?? date });
        else if (!prev) index.set(key, hit);
      }
    }
  }

  /** Resolve a key name (alias or column) to a column, or null when the table lacks it. */
  column(key: string): string | null {
    const col = KEY_ALIASES[key] ?? key;
    return this.indexes.has(col) ? col : null;
  }

  /** Look a value up by key column (`stamp`, `vhash`, …); case-insensitive. */
  lookup(key: string, value: string): TableHit | undefined {
    const col = KEY_ALIASES[key] ?? key;
    return this.indexes.get(col)?.get(value.trim().toLowerCase());
  }
}

const cache = new Map<string, VersionTable>();

/**
 * Load (once per process and file) a version table. Throws EW_CHECK_TABLE when the file cannot
 * be read or parsed, or lacks a `version` column.
 */
export function loadVersionTable(name: string, file: string): VersionTable {
  const hit = cache.get(file);
  if (hit) return hit;
  let rows: Array<Record<string, string>>;
  try {
    if (statSync(file).size > MAX_TABLE_BYTES) throw new Error(`larger than ${MAX_TABLE_BYTES} bytes`);
    rows = parse(readFileSync(file), { columns: true, skip_empty_lines: true, trim: true }) as Array<Record<string, string>>;
  } catch (e) {
    throw new EdgewatchError('EW_CHECK_TABLE', `cannot load version table '${name}': ${(e as Error).message}`, { file, cause: e });
  }
  if (rows.length > 0 && !('version' in rows[0])) {
    throw new EdgewatchError('EW_CHECK_TABLE', `version table '${name}' has no 'version' column`, { file });
  }
  const table = new VersionTable(name, file, rows);
  cache.set(file, table);
  return table;
}
