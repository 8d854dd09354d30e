/**
 * Attribution figures, trend and host view on a real store with known numbers (fixture.ts), on
 * SQLite and — when the local server answers — PostgreSQL (one test body, test/store/dialects.ts):
 * counts by country / sector / organisation / AS / group, hosts without enrichment kept as
 * unknown / unattributed, "organisations behind N hosts", data sources, lab demo identities, the
 * trend "5 → 3 → 1", the host view with CVEs side by side, filters, and keyset paging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAttribution, coverage, dimensionRows, orgsBehind } from '../../src/store/report-attribution.js';
import { filterSql, validateFilter } from '../../src/store/report-filter.js';
import { iterateHostRows, scanCves } from '../../src/store/report-hosts.js';
import { buildTrend } from '../../src/store/report-trend.js';
import type { DimRow, HostRow } from '../../src/store/report-types.js';
import type { Store } from '../../src/store/types.js';
import { DIALECTS, storePlaces } from '../store/dialects.js';
import { buildFixture, CVE_A, CVE_B, HOSTILE_ORG } from './fixture.js';

const byKey = (rows: DimRow[]) => new Map(rows.map((r) => [r.key, r]));
const states = (v: number, m: number, p: number, u: number) => ({ vulnerable: v, mitigated: m, patched: p, unknown: u });

async function collect(it: AsyncIterable<HostRow>): Promise<HostRow[]> {
  const out: HostRow[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe.each(DIALECTS)('attribution reports (%s)', (dialect) => {
const places = storePlaces(dialect, 'ew-report-attr-');
let store: Store;
let A: string;
let B: string;
let C: string;

beforeAll(async () => {
  const f = await buildFixture(await places.config('attr'));
  store = f.store;
  A = f.a;
  B = f.b;
  C = f.c;
});
afterAll(async () => {
  await store?.close();
  await places.cleanup();
});

describe('attribution dimensions', () => {
  it('counts by country, with unenriched hosts under "unknown" and the lab identity counted', async () => {
    const rows = await dimensionRows(store.db, A, 'country');
    const m = byKey(rows);
    expect([...m.keys()]).toEqual(['NL', 'DE', 'unknown', 'US']);
    expect(m.get('NL')).toMatchObject({ hosts: 3, compromised: 1, lab: 0 });
    expect(m.get('NL')?.cve[CVE_A]).toEqual(states(2, 1, 0, 0));
    expect(m.get('NL')?.cve[CVE_B]).toEqual(states(1, 0, 1, 0));
    expect(m.get('DE')?.cve[CVE_A]).toEqual(states(1, 0, 1, 0));
    expect(m.get('unknown')).toMatchObject({ hosts: 2, compromised: 0 });
    expect(m.get('unknown')?.cve[CVE_A]).toEqual(states(1, 0, 0, 1));
    expect(m.get('US')).toMatchObject({ hosts: 1, lab: 1 });
    // nothing dropped: the dimension's hosts add up to all product hosts
    expect(rows.reduce((a, r) => a + r.hosts, 0)).toBe(8);
    expect(rows.reduce((a, r) => a + (r.cve[CVE_A]?.vulnerable ?? 0), 0)).toBe(5);
  });

  it('counts by organisation and sector, unattributed hosts in their own row', async () => {
    const org = byKey(await dimensionRows(store.db, A, 'org'));
    expect(org.get('unattributed')).toMatchObject({ hosts: 4, compromised: 1, name: null });
    expect(org.get('unattributed')?.cve[CVE_A]).toEqual(states(1, 1, 1, 1));
    expect(org.get('zh-a')).toMatchObject({ hosts: 2, name: 'Ziekenhuis A', compromised: 1 });
    expect(org.get('gem-b')).toMatchObject({ hosts: 1, name: 'Gemeente B' });
    expect(org.get('lab-org')).toMatchObject({ hosts: 1, name: HOSTILE_ORG, lab: 1 });
    const sector = byKey(await dimensionRows(store.db, A, 'sector'));
    expect(sector.get('healthcare')).toMatchObject({ hosts: 3, lab: 1 });
    expect(sector.get('healthcare')?.cve[CVE_A]).toEqual(states(3, 0, 0, 0));
    expect(sector.get('government')?.hosts).toBe(1);
    expect(sector.get('unattributed')?.hosts).toBe(4);
  });

  it('counts by AS (with names) and by notification group of unattributed hosts', async () => {
    const asn = byKey(await dimensionRows(store.db, A, 'asn'));
    expect(asn.get('1136')).toMatchObject({ hosts: 3, name: 'KPN' });
    expect(asn.get('3320')).toMatchObject({ hosts: 2, name: 'DTAG' });
    expect(asn.get('15169')).toMatchObject({ hosts: 1, name: 'GOOGLE', lab: 1 });
    expect(asn.get('unknown')?.hosts).toBe(2);
    const grp = byKey(await dimensionRows(store.db, A, 'group'));
    expect(grp.get('AS3320|abuse@as3320.example')).toMatchObject({ hosts: 1, compromised: 1, name: 'abuse@as3320.example' });
    expect(grp.get('AS1136|abuse@as1136.example')?.hosts).toBe(1);
    expect(grp.get('unenriched')?.hosts).toBe(2);
    expect(grp.get('(attributed)')?.hosts).toBe(4);
  });

  it('later scans have their own figures (no leak between scans)', async () => {
    const org = byKey(await dimensionRows(store.db, C, 'org'));
    expect(org.get('zh-a')?.cve[CVE_A]).toEqual(states(0, 0, 2, 0));
    expect(org.get('lab-org')?.cve[CVE_A]).toEqual(states(1, 0, 0, 0));
  });
});

describe('organisations behind the hosts, coverage and sources', () => {
  it('says how many organisations stand behind the vulnerable and compromised hosts', async () => {
    const ob = await orgsBehind(store.db, A);
    const sel = new Map(ob.map((o) => [o.selection, o]));
    expect(sel.get(`${CVE_A} vulnerable`)).toEqual({
      selection: `${CVE_A} vulnerable`,
      cve: CVE_A,
      state: 'vulnerable',
      hosts: 5,
      organisations: 3,
      unattributed_hosts: 1,
      unattributed_groups: 0,
      unenriched_hosts: 1,
      sectors: 2,
    });
    expect(sel.get('compromised')).toMatchObject({ hosts: 2, organisations: 1, unattributed_hosts: 1, unattributed_groups: 1, unenriched_hosts: 0 });
    expect(sel.get('all product hosts')).toMatchObject({ hosts: 8, organisations: 3, unattributed_hosts: 4, unattributed_groups: 2, unenriched_hosts: 2, sectors: 2 });
  });

  it('reports coverage and the distinct data sources with versions and dates', async () => {
    const c = await coverage(store.db, A);
    expect(c).toMatchObject({ product_hosts: 8, enriched_hosts: 6, attributed_hosts: 4, lab_demo_hosts: 1 });
    expect(c.sources.map((s) => `${s.id}@${s.version}/${s.date}`)).toEqual([
      'ip-location-db/asn@2.3.2026061719/2026-06-17',
      'ip-location-db/geo-whois-asn-country@2.3.2026061719/2026-06-17',
    ]);
    const full = await buildAttribution(store.db, A, ['country', 'org']);
    expect(Object.keys(full.by)).toEqual(['country', 'org']);
  });
});

describe('trend', () => {
  it('gives the vulnerable count per scan and the change first → last (5 → 3 → 1)', async () => {
    const scans = (await store.listScans()).reverse();
    const t = await buildTrend(store.db, scans);
    expect(t.points.map((p) => p.scan_id)).toEqual([A, B, C]);
    expect(t.points.map((p) => p.cve[CVE_A].vulnerable)).toEqual([5, 3, 1]);
    expect(t.points.map((p) => p.compromised)).toEqual([2, 1, 1]);
    expect(t.points.map((p) => p.product_hosts)).toEqual([8, 8, 8]);
    const v = t.changes.find((c) => c.cve === CVE_A && c.state === 'vulnerable');
    expect(v).toEqual({ cve: CVE_A, state: 'vulnerable', from: 5, to: 1, delta: -4, ratio: -0.8 });
    // a CVE absent from a scan still has a zero row
    expect(t.points[2].cve[CVE_B]).toEqual(states(0, 0, 3, 0));
    expect(await buildTrend(store.db, [])).toEqual({ points: [], changes: [] });
  });
});

describe('host view', () => {
  it('one row per product host with every CVE side by side and its attribution', async () => {
    expect(await scanCves(store.db, A)).toEqual([CVE_A, CVE_B]);
    const rows = await collect(iterateHostRows(store.db, A));
    expect(rows.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rows[0]).toMatchObject({
      ip: '10.0.0.1',
      host: 'vpn.zha.example',
      cve: { [CVE_A]: 'vulnerable', [CVE_B]: 'vulnerable' },
      compromised: 'true',
      cc: 'NL',
      asn: 1136,
      org_key: 'zh-a',
      org_name: 'Ziekenhuis A',
      sector: 'healthcare',
      enriched: true,
      lab_public_ip: null,
    });
    expect(rows[5]).toMatchObject({ ip: '10.0.0.6', enriched: false, org_key: null, cc: null, rule: null });
    expect(rows[7]).toMatchObject({ ip: '127.0.0.8', lab_public_ip: '8.8.8.8', org_name: HOSTILE_ORG });
    expect((await collect(iterateHostRows(store.db, A, { all: true }))).length).toBe(10);
  });

  it('pages by seq with bounded pages and honours --limit', async () => {
    const paged = await collect(iterateHostRows(store.db, A, { pageSize: 3 }));
    expect(paged.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(paged[0].cve).toEqual({ [CVE_A]: 'vulnerable', [CVE_B]: 'vulnerable' });
    const limited = await collect(iterateHostRows(store.db, A, { pageSize: 3, limit: 4 }));
    expect(limited.map((r) => r.seq)).toEqual([0, 1, 2, 3]);
  });

  it('filters by CVE, state (incl. compromised), organisation, sector and country in SQL', async () => {
    const seqs = async (f: Parameters<typeof iterateHostRows>[2]) => (await collect(iterateHostRows(store.db, A, f))).map((r) => r.seq);
    expect(await seqs({ states: ['vulnerable'] })).toEqual([0, 1, 2, 5, 7]);
    expect(await seqs({ cves: [CVE_B], states: ['vulnerable'] })).toEqual([0]);
    expect(await seqs({ cves: [CVE_B] })).toEqual([0, 1, 2]);
    expect(await seqs({ states: ['compromised'] })).toEqual([0, 3]);
    expect(await seqs({ states: ['patched', 'compromised'] })).toEqual([0, 1, 2, 3]); // seq 1, 2: CVE-2023-3519 patched
    expect(await seqs({ cves: [CVE_A], states: ['patched'] })).toEqual([3]);
    expect(await seqs({ states: ['mitigated', 'compromised'] })).toEqual([0, 3, 4]);
    expect(await seqs({ orgs: ['zh-a', 'unattributed'] })).toEqual([0, 1, 3, 4, 5, 6]);
    expect(await seqs({ sectors: ['healthcare'] })).toEqual([0, 1, 7]);
    expect(await seqs({ countries: ['de', 'unknown'] })).toEqual([2, 3, 5, 6]);
    expect(await seqs({ states: ['vulnerable'], sectors: ['healthcare'], countries: ['NL'] })).toEqual([0, 1]);
  });

  it('treats hostile filter values as data, and rejects unknown states', async () => {
    const rows = await collect(iterateHostRows(store.db, A, { orgs: ["x') OR 1=1 --"] }));
    expect(rows).toEqual([]);
    expect(() => validateFilter({ states: ['pwned'] })).toThrow(expect.objectContaining({ code: 'EW_REPORT_OPTION' }));
    expect(() => validateFilter({ orgs: ['a\nb'] })).toThrow(expect.objectContaining({ code: 'EW_REPORT_OPTION' }));
    expect(filterSql({}).compile(store.db).sql).toBe('1 = 1');
  });
});
});
