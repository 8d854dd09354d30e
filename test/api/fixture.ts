/**
 * A seeded store for API tests: two scans over 60 hosts, organisations in two constituencies
 * (healthcare, energy) plus unattributed hosts, and one user per role (two constituency-scoped).
 * Every figure a test expects is computed here from the same records, independently of the API.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Users } from '../../src/api/users.js';
import { updateCases } from '../../src/cases/update.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { syntheticRecord } from '../store/synthetic.js';

export const PASSWORD = 'correct horse battery';
export const HEALTH = ['org-zh1', 'org-zh2'];
export const ENERGY = ['org-en1'];

export interface Seeded {
  store: Store;
  dir: string;
  scans: string[];
  /** ip → org key (undefined = unattributed). */
  owner: Map<string, string | undefined>;
  /** The second scan's records. */
  last: ScanRecord[];
}

function ownerOf(i: number): string | undefined {
  if (i % 4 === 0) return HEALTH[0];
  if (i % 4 === 1) return HEALTH[1];
  if (i % 4 === 2) return ENERGY[0];
  return undefined;
}

export async function seed(opts: { hostile?: string } = {}): Promise<Seeded> {
  const dir = mkdtempSync(join(tmpdir(), 'ew-api-'));
  const store = await openStore({ dialect: 'sqlite', file: join(dir, 's.db') });
  const owner = new Map<string, string | undefined>();
  const scans: string[] = [];
  let last: ScanRecord[] = [];
  for (let s = 0; s < 2; s++) {
    const scan = await store.createScan({ label: `day ${s}`, settings: {}, total: 60 });
    const recs: ScanRecord[] = [];
    for (let i = 0; i < 60; i++) {
      const r = syntheticRecord(i, { salt: s * 7 });
      r.seq = i;
      if (opts.hostile && i === 0) {
        r.host = opts.hostile.slice(0, 200);
        if (r.tls) r.tls.subject_cn = opts.hostile;
      }
      recs.push(r);
      owner.set(r.ip, ownerOf(i));
    }
    await store.insertRecords(scan.id, recs);
    await store.setScanState(scan.id, 'finished');
    scans.push(scan.id);
    last = recs;
    // distinct start times for ordering
    await store.db.updateTable('scans').set({ started_at: `2026-01-0${s + 1}T00:00:00.000Z` }).where('id', '=', scan.id).execute();
  }
  const now = new Date().toISOString();
  const orgs = [
    { key: HEALTH[0], name: opts.hostile ?? 'Ziekenhuis Noord', sector: 'healthcare', constituencies: ['healthcare'] },
    { key: HEALTH[1], name: 'Kliniek Zuid', sector: 'healthcare', constituencies: ['healthcare'] },
    { key: ENERGY[0], name: 'Netbeheer Oost', sector: 'energy', constituencies: ['energy'] },
  ];
  for (const o of orgs) {
    await store.db
      .insertInto('organisations')
      .values({
        key: o.key,
        name: o.name,
        sector: o.sector,
        language: 'nl',
        constituencies: JSON.stringify(o.constituencies),
        domains: '[]',
        cidrs: '[]',
        asns: '[]',
        contacts: '[]',
        source: 'fixture:1',
        imported_at: now,
      })
      .execute();
  }
  for (const [ip, key] of owner) {
    await store.db
      .insertInto('ip_enrichment')
      .values({
        ip,
        cc: key === ENERGY[0] ? 'DE' : 'NL',
        asn: 64500,
        as_name: 'TEST-AS',
        network: '10.0.0.0/8',
        rdns: null,
        names: '[]',
        abuse_contact: null,
        abuse_source: null,
        org_key: key ?? null,
        rule: key ? 'cidr' : 'none',
        matched: null,
        why: key ? 'fixture' : '',
        grp: key ? null : 'AS64500|-',
        lab_public_ip: null,
        sources: '[]',
        enriched_at: now,
      })
      .execute();
  }
  await updateCases(store, scans[1]);
  const users = new Users(store.db);
  await users.create({ username: 'admin', password: PASSWORD, role: 'admin' });
  await users.create({ username: 'analyst', password: PASSWORD, role: 'analyst' });
  await users.create({ username: 'viewer', password: PASSWORD, role: 'viewer' });
  await users.create({ username: 'zcert', password: PASSWORD, role: 'viewer', constituencies: ['healthcare'] });
  await users.create({ username: 'zcert-analyst', password: PASSWORD, role: 'analyst', constituencies: ['healthcare'] });
  return { store, dir, scans, owner, last };
}
