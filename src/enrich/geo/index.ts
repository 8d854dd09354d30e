/**
 * Offline country / AS / prefix lookups (geo helper owns this folder). `openGeo` loads the
 * imported sources (`edgewatch data import`, newest first) and then the bundled @ip-location-db
 * packages; each fact comes from the first source that covers the address, so imports win and the
 * bundled data fills the gaps. AS number, AS name and network always come from one source together.
 */
import { join } from 'node:path';
import { dataDir as defaultDataDir } from '../../data-dir.js';
import { EdgewatchError } from '../../errors.js';
import { parseIPv4, parseIp } from '../../scope/ip.js';
import type { DataSourceInfo, GeoFacts, GeoLookup } from '../types.js';
import { readRangeTable } from './binary.js';
import { loadBundledAsnTable, loadBundledCountryTable } from './bundled.js';
import { geoDir, type ManifestEntry, readManifest } from './installed.js';
import { type AsnFacts, asnV4, asnV6, countryV4, countryV6, type TableSource } from './sources.js';

export interface GeoOptions {
  /** Directory of imported data (`edgewatch data import`); default from config `data_dir`. */
  dataDir?: string;
  /** Use only the bundled packages (ignore imports). */
  bundledOnly?: boolean;
  /** Where the bundled data's binary cache lives (default `<data dir>/geo/cache`; null: no cache). */
  cacheDir?: string | null;
}

export function entryInfo(e: ManifestEntry, dir: string): DataSourceInfo {
  return { id: `import:${e.name}`, kind: e.kind, version: e.version, date: e.date, origin: 'imported', path: join(geoDir(dir), e.file) };
}

/** Opens the source of one imported entry. */
function openEntry(e: ManifestEntry, dir: string): TableSource {
  const info = entryInfo(e, dir);
  const table = readRangeTable(info.path);
  if (!table) throw new EdgewatchError('EW_DATA_MANIFEST', `imported data ${e.name} is missing or damaged (re-import it)`, { file: info.path });
  return { info, table };
}

/** Builds a lookup over ordered sources (first answer wins per fact group). */
export function geoLookupOf(countries: TableSource[], asns: TableSource[], order?: DataSourceInfo[]): GeoLookup {
  const sources = order ?? [...countries.map((s) => s.info), ...asns.map((s) => s.info)];
  const ct = countries.map((s) => s.table);
  const at = asns.map((s) => s.table);
  const nC = ct.length;
  const nA = at.length;
  return {
    sources,
    lookup(ip: string): GeoFacts {
      let cc: string | null = null;
      let a: AsnFacts | null = null;
      const v4 = parseIPv4(ip);
      if (v4 >= 0) {
        for (let i = 0; i < nC && cc === null; i++) cc = countryV4(ct[i], v4);
        for (let i = 0; i < nA && a === null; i++) a = asnV4(at[i], v4);
      } else {
        const p = parseIp(ip);
        if (!p) return { cc: null, asn: null, as_name: null, network: null };
        if (p.family === 4) {
          for (let i = 0; i < nC && cc === null; i++) cc = countryV4(ct[i], p.v4);
          for (let i = 0; i < nA && a === null; i++) a = asnV4(at[i], p.v4);
        } else {
          for (let i = 0; i < nC && cc === null; i++) cc = countryV6(ct[i], p.v6);
          for (let i = 0; i < nA && a === null; i++) a = asnV6(at[i], p.v6);
        }
      }
      return a ? { cc, asn: a.asn, as_name: a.as_name, network: a.network } : { cc, asn: null, as_name: null, network: null };
    },
    close() {},
  };
}

export async function openGeo(opts: GeoOptions = {}): Promise<GeoLookup> {
  const dir = opts.dataDir ?? defaultDataDir();
  const countries: TableSource[] = [];
  const asns: TableSource[] = [];
  const order: DataSourceInfo[] = [];
  if (!opts.bundledOnly) {
    for (const e of readManifest(dir)) {
      const s = openEntry(e, dir);
      order.push(s.info);
      if (e.kind === 'country') countries.push(s);
      else asns.push(s);
    }
  }
  const cacheDir = opts.cacheDir === undefined ? join(geoDir(dir), 'cache') : opts.cacheDir;
  const bc = loadBundledCountryTable(cacheDir);
  countries.push(bc);
  const ba = loadBundledAsnTable(cacheDir);
  asns.push(ba);
  order.push(bc.info, ba.info);
  return geoLookupOf(countries, asns, order);
}
