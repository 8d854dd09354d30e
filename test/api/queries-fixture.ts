/**
 * A synthetic store shaped like a national scan history, for the API query tests and bench/api.ts:
 * `hosts` addresses seen in each of `scans` scans (so hosts × scans observations), two CVEs on the
 * Citrix hosts, a few compromised ones, ip_enrichment for every address (countries, ASNs, most
 * attributed to one of `orgs` organisations, the rest unattributed), and organisations spread over
 * a few constituencies (some in two). Deterministic: the same arguments give the same store.
 */
import type { ScanRecord } from '../../src/scan/record.js';
import type { Store } from '../../src/store/types.js';
import { syntheticRecord } from '../store/synthetic.js';

export const SECTORS = ['healthcare', 'energy', 'water', 'government', 'finance', 'education'] as const;
const COUNTRIES = ['NL', 'DE', 'US', 'FR', 'GB', 'BE', 'JP', 'BR', 'IN', 'AU', 'CA', 'IT', 'ES', 'SE', 'PL', 'CN', 'RU', 'ZA', 'MX', 'KR'];
const SECOND_CVE = 'CVE-2023-3519';
const SECOND_STATES = ['vulnerable', 'patched', 'patched', 'unknown', 'mitigated'] as const;

export interface ApiStoreShape {
  hosts: number;
  scans: number;
  orgs: number;
  /** Records per insertRecords call (default 2,000). */
  batch?: number;
  /** Called after each scan is written. */
  progress?: (scan: number, of: number) => void;
}

function mix(n: number): number {
  return (Math.imul(n ^ 0x9e3779b9, 0x85ebca6b) ^ (n >>> 13)) >>> 0;
}

/** Organisation key of host i, or null when unattributed (about 15 %). */
export function orgOf(i: number, orgs: number): string | null {
  const r = mix(i);
  if (r % 100 < 15) return null;
  return orgKey((r >>> 8) % orgs);
}

export function orgKey(n: number): string {
  return `org-${String(n).padStart(5, '0')}`;
}

/** Constituencies of organisation n: its sector's, and for every ninth one also a second one. */
export function orgConstituencies(n: number): string[] {
  const own = SECTORS[n % SECTORS.length];
  return n % 9 === 0 ? [own, SECTORS[(n + 1) % SECTORS.length]] : [own];
}

/** The record of host i in scan s. */
export function apiRecord(i: number, s: number): ScanRecord {
  const r = syntheticRecord(i, { salt: s * 7 });
  r.seq = i;
  if (r.product !== null) {
    const h = mix(i * 31 + s);
    r.cve[SECOND_CVE] = SECOND_STATES[h % SECOND_STATES.length];
    r.compromised = h % 100 < 4 ? 'true' : h % 100 < 50 ? 'false' : 'unknown';
  }
  return r;
}

/** Write the synthetic store. Scan ids are returned oldest first. */
export async function buildApiStore(store: Store, shape: ApiStoreShape): Promise<string[]> {
  const batch = shape.batch ?? 2_000;
  const now = new Date('2026-11-01T00:00:00.000Z').toISOString();
  const orgRows = [];
  for (let n = 0; n < shape.orgs; n++) {
    orgRows.push({
      key: orgKey(n),
      name: `Organisation ${n} ${SECTORS[n % SECTORS.length]}`,
      sector: SECTORS[n % SECTORS.length],
      language: n % 2 === 0 ? 'nl' : 'en',
      constituencies: JSON.stringify(orgConstituencies(n)),
      domains: '[]',
      cidrs: '[]',
      asns: '[]',
      contacts: '[]',
      source: 'synthetic:1',
      imported_at: now,
    });
  }
  for (let k = 0; k < orgRows.length; k += 500) await store.db.insertInto('organisations').values(orgRows.slice(k, k + 500)).execute();

  const scans: string[] = [];
  for (let s = 0; s < shape.scans; s++) {
    const scan = await store.createScan({ label: `scan ${s}`, settings: {}, total: shape.hosts });
    for (let from = 0; from < shape.hosts; from += batch) {
      const recs: ScanRecord[] = [];
      for (let i = from; i < Math.min(shape.hosts, from + batch); i++) recs.push(apiRecord(i, s));
      await store.insertRecords(scan.id, recs);
    }
    await store.setScanState(scan.id, 'finished');
    const day = String(s + 1).padStart(2, '0');
    await store.db
      .updateTable('scans')
      .set({ started_at: `2026-10-${day}T00:00:00.000Z`, finished_at: `2026-10-${day}T06:00:00.000Z` })
      .where('id', '=', scan.id)
      .execute();
    scans.push(scan.id);
    shape.progress?.(s + 1, shape.scans);
  }

  // Enrichment of every address, once (attribution is per address, not per scan).
  const rows = [];
  for (let i = 0; i < shape.hosts; i++) {
    const ip = apiRecord(i, 0).ip;
    const key = orgOf(i, shape.orgs);
    const r = mix(i + 7);
    rows.push({
      ip,
      cc: r % 50 === 0 ? null : COUNTRIES[r % COUNTRIES.length],
      asn: 64_500 + (r % 300),
      as_name: `AS-${r % 300}`,
      network: '10.0.0.0/8',
      rdns: null,
      names: '[]',
      abuse_contact: null,
      abuse_source: null,
      org_key: key,
      rule: key ? 'cidr' : 'none',
      matched: null,
      why: key ? 'synthetic' : '',
      grp: key ? null : `AS${64_500 + (r % 300)}|-`,
      lab_public_ip: null,
      sources: '[]',
      enriched_at: now,
    });
    if (rows.length === 1_000) {
      await store.db.insertInto('ip_enrichment').values(rows).execute();
      rows.length = 0;
    }
  }
  if (rows.length > 0) await store.db.insertInto('ip_enrichment').values(rows).execute();
  return scans;
}
