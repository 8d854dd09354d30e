/**
 * A small store with known figures for the report/export tests: three scans of the same eight
 * product hosts (plus a non-product host and an unreachable one), enrichment rows for six of them
 * (one a lab demo identity with hostile names), three organisations. The expected numbers are
 * worked out by hand in the comments below.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompromiseState, CveState, ScanRecord } from '../../src/scan/record.js';
import { openStore } from '../../src/store/index.js';
import type { Store, StoreConfig } from '../../src/store/types.js';

export const CVE_A = 'CVE-2019-19781';
export const CVE_B = 'CVE-2023-3519';
export const HOSTILE_ORG = '<script>alert(1)</script>';
export const HOSTILE_HOST = "=cmd|' /C calc'!A0";
export const HOSTILE_NAME = 'evil\nname.example';
export const HOSTILE_CONTACT = '-2+3@x.example';

export function tempDir(prefix = 'ew-report-'): { dir: string; file: (n: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (n) => join(dir, n), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type Kind = 'citrix' | 'other' | 'down';

export function record(
  seq: number,
  ip: string,
  kind: Kind,
  cve: Record<string, CveState>,
  compromised: CompromiseState = 'unknown',
  host: string | null = null,
): ScanRecord {
  const ok = kind !== 'down';
  return {
    ip,
    port: 443,
    host,
    status: ok ? 'ok' : 'unreachable',
    reason: ok ? null : 'refused',
    scheme: 'https',
    product: kind === 'citrix' ? 'citrix-adc' : null,
    product_confidence: kind === 'citrix' ? 'certain' : 'none',
    version: kind === 'citrix' ? '13.0-47.22' : null,
    version_source: kind === 'citrix' ? 'rdx_stamp' : null,
    cve: ok ? cve : {},
    compromised,
    indicators:
      compromised === 'true'
        ? [{ check: 'citrix-webshell-2023-v1-uiareas', id: 'config', request: 'GET /logon/LogonPoint/uiareas/config.php HTTP/1.1', status: 200, why: 'implant' }]
        : [],
    tls: null,
    evidence: [],
    scanned_at: new Date(Date.UTC(2020, 0, 13, 10, 0, seq)).toISOString(),
    seq,
  };
}

/**
 * Scan A (CVE-2019-19781): vulnerable 5 (seq 0,1,2,5,7), mitigated 1 (4), patched 1 (3), unknown 1 (6).
 * CVE-2023-3519: seq0 vulnerable, seq1 patched, seq2 patched. Compromised: seq 0 and 3.
 */
export function scanARecords(): ScanRecord[] {
  return [
    record(0, '10.0.0.1', 'citrix', { [CVE_A]: 'vulnerable', [CVE_B]: 'vulnerable' }, 'true', 'vpn.zha.example'),
    record(1, '10.0.0.2', 'citrix', { [CVE_A]: 'vulnerable', [CVE_B]: 'patched' }, 'false'),
    record(2, '10.0.0.3', 'citrix', { [CVE_A]: 'vulnerable', [CVE_B]: 'patched' }, 'false'),
    record(3, '10.0.0.4', 'citrix', { [CVE_A]: 'patched' }, 'true'),
    record(4, '10.0.0.5', 'citrix', { [CVE_A]: 'mitigated' }, 'false'),
    record(5, '10.0.0.6', 'citrix', { [CVE_A]: 'vulnerable' }, 'unknown'),
    record(6, '10.0.0.7', 'citrix', { [CVE_A]: 'unknown' }, 'unknown'),
    record(7, '127.0.0.8', 'citrix', { [CVE_A]: 'vulnerable' }, 'false', HOSTILE_HOST),
    record(8, '10.0.0.9', 'other', { [CVE_A]: 'not_applicable' }),
    record(9, '10.0.0.10', 'down', {}),
  ];
}

/** Scan B: seq0,1 patched; vulnerable 3 (seq 2,5,7); compromised 1 (seq 0). */
export function scanBRecords(): ScanRecord[] {
  const r = scanARecords();
  r[0] = record(0, '10.0.0.1', 'citrix', { [CVE_A]: 'patched', [CVE_B]: 'patched' }, 'true', 'vpn.zha.example');
  r[1] = record(1, '10.0.0.2', 'citrix', { [CVE_A]: 'patched', [CVE_B]: 'patched' }, 'false');
  r[3] = record(3, '10.0.0.4', 'citrix', { [CVE_A]: 'patched' }, 'false');
  return r;
}

/** Scan C: vulnerable 1 (seq 7). */
export function scanCRecords(): ScanRecord[] {
  const r = scanBRecords();
  r[2] = record(2, '10.0.0.3', 'citrix', { [CVE_A]: 'patched', [CVE_B]: 'patched' }, 'false');
  r[5] = record(5, '10.0.0.6', 'citrix', { [CVE_A]: 'mitigated' }, 'unknown');
  return r;
}

export const SOURCES = [
  { id: 'ip-location-db/geo-whois-asn-country', kind: 'country', version: '2.3.2026061719', date: '2026-06-17', origin: 'bundled', path: '/x' },
  { id: 'ip-location-db/asn', kind: 'asn', version: '2.3.2026061719', date: '2026-06-17', origin: 'bundled', path: '/y' },
];

export async function seedEnrichment(store: Store): Promise<void> {
  const now = '2020-01-13T12:00:00.000Z';
  const org = (key: string, name: string, sector: string | null) => ({
    key,
    name,
    sector,
    language: 'nl',
    constituencies: '[]',
    domains: '[]',
    cidrs: '[]',
    asns: '[]',
    contacts: '[]',
    source: 'orgs.yaml:1',
    imported_at: now,
  });
  await store.db
    .insertInto('organisations')
    .values([org('zh-a', 'Ziekenhuis A', 'healthcare'), org('gem-b', 'Gemeente B', 'government'), org('lab-org', HOSTILE_ORG, 'healthcare')])
    .execute();
  const enr = (ip: string, cc: string, asn: number, asName: string, orgKey: string | null, grp: string | null, extra: Record<string, unknown> = {}) => ({
    ip,
    cc,
    asn,
    as_name: asName,
    network: `${ip.split('.').slice(0, 3).join('.')}.0/24`,
    rdns: null,
    names: JSON.stringify([]),
    abuse_contact: orgKey ? null : `abuse@as${asn}.example`,
    abuse_source: orgKey ? null : 'rdap',
    org_key: orgKey,
    rule: orgKey ? 'cidr' : 'none',
    matched: null,
    why: '',
    grp,
    lab_public_ip: null,
    sources: JSON.stringify(SOURCES),
    enriched_at: now,
    ...extra,
  });
  await store.db
    .insertInto('ip_enrichment')
    .values([
      enr('10.0.0.1', 'NL', 1136, 'KPN', 'zh-a', null, { rdns: 'host1.kpn.example' }),
      enr('10.0.0.2', 'NL', 1136, 'KPN', 'zh-a', null),
      enr('10.0.0.3', 'DE', 3320, 'DTAG', 'gem-b', null),
      enr('10.0.0.4', 'DE', 3320, 'DTAG', null, 'AS3320|abuse@as3320.example'),
      enr('10.0.0.5', 'NL', 1136, 'KPN', null, 'AS1136|abuse@as1136.example'),
      enr('127.0.0.8', 'US', 15169, 'GOOGLE', 'lab-org', null, {
        lab_public_ip: '8.8.8.8',
        names: JSON.stringify([{ name: HOSTILE_NAME, source: 'cert_cn' }]),
        rdns: HOSTILE_NAME,
        abuse_contact: HOSTILE_CONTACT,
      }),
    ])
    .execute();
}

export async function buildFixture(where: string | StoreConfig): Promise<{ store: Store; a: string; b: string; c: string }> {
  const store = await openStore(typeof where === 'string' ? { dialect: 'sqlite', file: where } : where);
  const a = await store.createScan({ settings: {}, label: 'day 0' });
  await store.insertRecords(a.id, scanARecords());
  await store.setScanState(a.id, 'finished');
  // Scan ids sort by time; make sure the three scans have distinct start times.
  await new Promise((r) => setTimeout(r, 15));
  const b = await store.createScan({ settings: {}, label: 'day 3' });
  await store.insertRecords(b.id, scanBRecords());
  await new Promise((r) => setTimeout(r, 15));
  const c = await store.createScan({ settings: {}, label: 'day 7' });
  await store.insertRecords(c.id, scanCRecords());
  await seedEnrichment(store);
  return { store, a: a.id, b: b.id, c: c.id };
}
