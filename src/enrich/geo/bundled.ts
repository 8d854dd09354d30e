/**
 * The bundled offline data: the npm packages `@ip-location-db/geo-whois-asn-country-mmdb`
 * (country, MMDB) and `@ip-location-db/asn` (AS ranges, CSV). Their package version is the data
 * version (2.3.YYYYMMDDHH → date YYYY-MM-DD). The AS CSV and the country MMDB are converted once
 * into RangeTables and cached as binary files in `<data dir>/geo/cache/`, keyed by package
 * version and file sizes (a cache that cannot be written is not an error, only slower).
 * The packages' maintainer warns the npm data has known errors and npm updates will stop: this is
 * the offline default only; imported data (`edgewatch data import`) wins.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { EdgewatchError } from '../../errors.js';
import type { DataSourceInfo } from '../types.js';
import { openMmdbBuffer } from './sources.js';
import { readRangeTable, writeRangeTable } from './binary.js';
import { mmdbToRangeTable } from './mmdb-ranges.js';
import { parseRanges } from './parse-ranges.js';
import { RangeTableBuilder, type RangeTable } from './ranges.js';

const require = createRequire(import.meta.url);

export const COUNTRY_PACKAGE = '@ip-location-db/geo-whois-asn-country-mmdb';
export const ASN_PACKAGE = '@ip-location-db/asn';

export interface BundledPackage {
  name: string;
  dir: string;
  version: string;
  date: string | null;
}

/** `2.3.2026061719` → `2026-06-17`; null when the version does not carry a date. */
export function dateFromVersion(version: string): string | null {
  const m = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})\d{0,2}$/.exec(version);
  if (!m) return null;
  const [, y, mo, d] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d));
  const iso = new Date(t).toISOString().slice(0, 10);
  return iso === `${y}-${mo}-${d}` ? iso : null;
}

export function bundledPackage(name: string): BundledPackage {
  let pj: string;
  try {
    pj = require.resolve(`${name}/package.json`);
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_BUNDLED', `bundled data package ${name} is not installed (run npm install)`, { cause });
  }
  const { version } = JSON.parse(readFileSync(pj, 'utf8')) as { version: string };
  return { name, dir: dirname(pj), version, date: dateFromVersion(version) };
}

export function bundledCountryInfo(): { info: DataSourceInfo; path: string } {
  const p = bundledPackage(COUNTRY_PACKAGE);
  const path = join(p.dir, 'geo-whois-asn-country.mmdb');
  return {
    path,
    info: { id: 'ip-location-db/geo-whois-asn-country', kind: 'country', version: p.version, date: p.date, origin: 'bundled', path },
  };
}

export function bundledAsnInfo(): { info: DataSourceInfo; v4: string; v6: string } {
  const p = bundledPackage(ASN_PACKAGE);
  const v4 = join(p.dir, 'asn-ipv4-num.csv');
  const v6 = join(p.dir, 'asn-ipv6-num.csv');
  return {
    v4,
    v6,
    info: { id: 'ip-location-db/asn', kind: 'asn', version: p.version, date: p.date, origin: 'bundled', path: p.dir },
  };
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_BUNDLED', `cannot read bundled data: ${(cause as Error).message}`, { file: path, cause });
  }
}

/** Parses the bundled AS CSVs into a RangeTable (about half a second). */
export function buildBundledAsnTable(v4: string, v6: string): RangeTable {
  const b = new RangeTableBuilder();
  parseRanges(readText(v4), { file: v4, format: 'ipl-asn', into: b });
  parseRanges(readText(v6), { file: v6, format: 'ipl-asn', v6Numbers: true, into: b });
  // The npm data has a few overlapping ranges (a known error upstream): the later range wins.
  return b.build('clip');
}

/** Converts the bundled country MMDB into a RangeTable (about a second). */
export function buildBundledCountryTable(path: string): RangeTable {
  let db: Buffer;
  try {
    db = readFileSync(path);
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_BUNDLED', `cannot read bundled data: ${(cause as Error).message}`, { file: path, cause });
  }
  try {
    return mmdbToRangeTable(openMmdbBuffer(db), db, 'country').table;
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_BUNDLED', `bundled country data is damaged: ${(cause as Error).message}`, { file: path, cause });
  }
}

export interface LoadedTable {
  table: RangeTable;
  info: DataSourceInfo;
  cached: boolean;
}

/**
 * Cache directories of the bundled tables, in order: the given one (the data dir's
 * `geo/cache`), then `node_modules/.cache/edgewatch` of this install (shared by every data
 * directory, so a fresh data dir does not rebuild). A table is read from the first that has a
 * matching one and written to the shared one (else the data dir's) when built.
 */
export function bundledCacheDirs(primary: string | null): string[] {
  if (primary === null) return [];
  const dirs = [primary];
  try {
    const nm = dirname(dirname(bundledPackage(ASN_PACKAGE).dir));
    if (basename(nm) === 'node_modules') dirs.push(join(nm, '.cache', 'edgewatch'));
  } catch {
    // no package: the caller fails on its own
  }
  return dirs;
}

function cachedTable(cacheDir: string | null, file: string, key: string, build: () => RangeTable): { table: RangeTable; cached: boolean } {
  const dirs = bundledCacheDirs(cacheDir);
  for (const d of dirs) {
    const t = readRangeTable(join(d, file), key);
    if (t) return { table: t, cached: true };
  }
  const table = build();
  // Write the shared cache first: it serves every data directory of this install.
  for (const d of [...dirs].reverse()) {
    try {
      mkdirSync(d, { recursive: true });
      writeRangeTable(join(d, file), table, key);
      break;
    } catch {
      // not writable: try the next, else run without a cache
    }
  }
  return { table, cached: false };
}

/** Loads the bundled AS table, from the binary cache when it matches the installed package (`cacheDir` null: no cache). */
export function loadBundledAsnTable(cacheDir: string | null): LoadedTable {
  const { info, v4, v6 } = bundledAsnInfo();
  const key = `bundled-asn:${info.version}:${statSync(v4).size}:${statSync(v6).size}`;
  return { ...cachedTable(cacheDir, `bundled-asn-${info.version}.ewrt`, key, () => buildBundledAsnTable(v4, v6)), info };
}

/** Loads the bundled country table, from the binary cache when it matches the installed package. */
export function loadBundledCountryTable(cacheDir: string | null): LoadedTable {
  const { info, path } = bundledCountryInfo();
  let size = 0;
  try {
    size = statSync(path).size;
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_BUNDLED', `bundled country data is missing (run npm install)`, { file: path, cause });
  }
  const key = `bundled-country:${info.version}:${size}`;
  return { ...cachedTable(cacheDir, `bundled-country-${info.version}.ewrt`, key, () => buildBundledCountryTable(path)), info };
}
