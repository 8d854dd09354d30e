/**
 * Data sources behind GeoLookup. Every source, bundled or imported, MMDB or CSV/TSV, is held as a
 * RangeTable (MMDB files are converted by mmdb-ranges.ts), so a lookup is a binary search over
 * typed arrays. A country source answers `cc`; an AS source answers `asn`, `as_name`, `network`.
 * This module also holds the small MMDB reading helpers (record shapes of GeoLite2 and
 * ip-location-db files).
 */
import { readFileSync } from 'node:fs';
import { Reader, type Response } from 'maxmind';
import type { DataSourceInfo } from '../types.js';
import { formatIPv4 } from '../../scope/ip.js';
import { findV4, findV6, type RangeTable, unpackCc, v4Network, v6Network } from './ranges.js';

export interface AsnFacts {
  asn: number;
  as_name: string | null;
  network: string;
}

/** A loaded source: its description and its table. */
export interface TableSource {
  info: DataSourceInfo;
  table: RangeTable;
}

/** Country of an IPv4 (uint32) / IPv6 (bigint) address from a country table, or null. */
export function countryV4(t: RangeTable, ip: number): string | null {
  const i = findV4(t, ip);
  return i < 0 ? null : unpackCc(t.v4Cc[i]);
}

export function countryV6(t: RangeTable, ip: bigint): string | null {
  const i = findV6(t, ip);
  return i < 0 ? null : unpackCc(t.v6Cc[i]);
}

/** Network strings of ranges that are exactly one CIDR, per table (bounded; cleared when full). */
const alignedNets = new WeakMap<RangeTable, Map<number, string>>();

function networkV4(t: RangeTable, i: number, ip: number): string {
  const s = t.v4Start[i];
  const size = t.v4End[i] - s + 1;
  // A range that is one aligned CIDR (most are): its text is the same for every address in it.
  if (size < 4294967296 && (size & (size - 1)) === 0 && s % size === 0) {
    let m = alignedNets.get(t);
    if (!m) {
      m = new Map();
      alignedNets.set(t, m);
    }
    let net = m.get(i);
    if (net === undefined) {
      if (m.size >= 200_000) m.clear();
      net = `${formatIPv4(s)}/${Math.clz32(size) + 1}`;
      m.set(i, net);
    }
    return net;
  }
  return v4Network(s, t.v4End[i], ip);
}

export function asnV4(t: RangeTable, ip: number): AsnFacts | null {
  const i = findV4(t, ip);
  if (i < 0) return null;
  const asn = t.v4Asn[i];
  if (asn === 0) return null;
  const n = t.v4Name[i];
  return { asn, as_name: n < 0 ? null : t.names[n], network: networkV4(t, i, ip) };
}

export function asnV6(t: RangeTable, ip: bigint): AsnFacts | null {
  const i = findV6(t, ip);
  if (i < 0) return null;
  const asn = t.v6Asn[i];
  if (asn === 0) return null;
  const start = (t.v6StartHi[i] << 64n) | t.v6StartLo[i];
  const end = (t.v6EndHi[i] << 64n) | t.v6EndLo[i];
  const n = t.v6Name[i];
  return { asn, as_name: n < 0 ? null : t.names[n], network: v6Network(start, end, ip) };
}

/** Record shapes we read from MMDB files (GeoLite2 and ip-location-db). */
export interface MmdbRecord {
  country?: { iso_code?: string };
  registered_country?: { iso_code?: string };
  country_code?: string;
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
}

/** A small bounded decode cache (record offsets → decoded records). */
class BoundedCache {
  private m = new Map<string | number, unknown>();
  constructor(private readonly max: number) {}
  get(k: string | number): unknown {
    return this.m.get(k);
  }
  set(k: string | number, v: unknown): void {
    if (this.m.size >= this.max) this.m.clear();
    this.m.set(k, v);
  }
}

export type MmdbReader = Reader<Response>;

export function openMmdb(path: string): MmdbReader {
  return openMmdbBuffer(readFileSync(path));
}

export function openMmdbBuffer(db: Buffer): MmdbReader {
  return new Reader<Response>(db, { cache: new BoundedCache(50_000) });
}

/** One lookup, with the record seen through the fields we read. */
export function mmdbGet(reader: MmdbReader, ip: string): [MmdbRecord | null, number] {
  return reader.getWithPrefixLength(ip) as unknown as [MmdbRecord | null, number];
}

const CC = /^[A-Z]{2}$/;

export function countryOfRecord(r: MmdbRecord | null): string | null {
  if (!r) return null;
  const cc = r.country?.iso_code ?? r.country_code ?? r.registered_country?.iso_code;
  if (typeof cc !== 'string') return null;
  const up = cc.toUpperCase();
  return CC.test(up) && up !== 'ZZ' ? up : null;
}
