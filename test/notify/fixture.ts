/**
 * Cases/notification fixtures: a real SQLite store, organisations (one Dutch, one English, one
 * with a hostile name), enrichment rows, and scans built from explicit records so each test states
 * exactly what the scanner saw.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CveState, ScanRecord } from '../../src/scan/record.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

export const CVE = 'CVE-2019-19781';

export function rec(ip: string, o: { state?: CveState; compromised?: boolean; status?: 'ok' | 'unreachable'; version?: string; host?: string } = {}): ScanRecord {
  const status = o.status ?? 'ok';
  return {
    ip,
    port: 443,
    host: o.host ?? null,
    status,
    reason: status === 'ok' ? null : 'timeout',
    scheme: 'https',
    product: status === 'ok' ? 'citrix-adc' : null,
    product_confidence: status === 'ok' ? 'certain' : 'none',
    version: status === 'ok' ? (o.version ?? '13.0-47.22') : null,
    version_source: status === 'ok' ? 'rdx_stamp' : null,
    cve: status === 'ok' ? { [CVE]: o.state ?? 'vulnerable' } : {},
    compromised: status === 'ok' ? (o.compromised ? 'true' : 'false') : undefined,
    indicators: o.compromised ? [{ check: 'citrix-webshell-2020-themes', id: 'tiny', request: 'GET /vpn/themes/imgs/tiny.php', status: 200, why: 'web shell answered' }] : [],
    tls: null,
    evidence: status === 'ok' ? [{ check: 'CVE-2019-19781', id: 'p1', request: 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', status: 200 }] : [],
    scanned_at: new Date().toISOString(),
  };
}

export async function newStore(): Promise<{ store: Store; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ew-notify-'));
  return { store: await openStore({ dialect: 'sqlite', file: join(dir, 's.db') }), dir };
}

export async function addOrg(store: Store, key: string, name: string, language: string, emails: string[]): Promise<void> {
  await store.db
    .insertInto('organisations')
    .values({
      key,
      name,
      sector: 'healthcare',
      language,
      constituencies: '["healthcare"]',
      domains: '[]',
      cidrs: '[]',
      asns: '[]',
      contacts: JSON.stringify(emails.map((email) => ({ email }))),
      source: 'test:1',
      imported_at: new Date().toISOString(),
    })
    .execute();
}

export async function attribute(store: Store, ip: string, org: string | null, grp: string | null = null): Promise<void> {
  await store.db
    .insertInto('ip_enrichment')
    .values({
      ip,
      cc: 'NL',
      asn: 64500,
      as_name: 'TEST',
      network: null,
      rdns: null,
      names: '[]',
      abuse_contact: grp ? (grp.split('|')[1] ?? null) : null,
      abuse_source: null,
      org_key: org,
      rule: org ? 'cidr' : 'none',
      matched: null,
      why: '',
      grp,
      lab_public_ip: null,
      sources: '[]',
      enriched_at: new Date().toISOString(),
    })
    .execute();
}

export async function scanOf(store: Store, label: string, records: ScanRecord[]): Promise<string> {
  const s = await store.createScan({ label, settings: {}, total: records.length });
  await store.insertRecords(
    s.id,
    records.map((r, i) => ({ ...r, seq: i })),
  );
  await store.setScanState(s.id, 'finished');
  return s.id;
}
