/**
 * The optimised API read queries (src/api/queries.ts) answer exactly as the plain joins they
 * replaced (test/api/queries-reference.ts) and as a straightforward aggregation of the records in
 * JavaScript — unscoped, scoped to one or two constituencies, and scoped to nothing — on a
 * synthetic store with the awkward cases: addresses without enrichment or without a country, two
 * hosts (ports) on one address, organisations in two constituencies, compromised hosts. SQLite
 * always; PostgreSQL when it answers locally (required under CI=true).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as q from '../../src/api/queries.js';
import { ALL_VISIBLE, type Visibility } from '../../src/api/visibility.js';
import type { ScanRecord } from '../../src/scan/record.js';
import type { Store } from '../../src/store/types.js';
import { DIALECTS, storePlaces } from '../store/dialects.js';
import { apiRecord, buildApiStore, orgConstituencies, orgKey, orgOf } from './queries-fixture.js';
import * as ref from './queries-reference.js';

const HOSTS = 600;
const SCANS = 3;
const ORGS = 40;
const EXTRA = 25;
const CVE = 'CVE-2019-19781';

function scope(constituencies: string[]): Visibility {
  const keys = new Set<string>();
  for (let n = 0; n < ORGS; n++) if (orgConstituencies(n).some((c) => constituencies.includes(c))) keys.add(orgKey(n));
  return { orgKeys: keys };
}

const SCOPES: Array<[string, Visibility]> = [
  ['unscoped', ALL_VISIBLE],
  ['healthcare', scope(['healthcare'])],
  ['energy+water', scope(['energy', 'water'])],
  ['no organisation', { orgKeys: new Set() }],
  ['an unknown key', { orgKeys: new Set(['org-nope']) }],
];

/** Addresses whose enrichment the test deletes (so they have none). */
const unenriched = (i: number) => i % 97 === 5;

describe.each(DIALECTS)('API queries on %s: optimised = reference = JS', (dialect) => {
  const places = storePlaces(dialect, 'ew-api-q-');
  let store: Store;
  let scans: string[] = [];
  /** Records per scan id, and the address → organisation key of every host. */
  const records = new Map<string, ScanRecord[]>();
  const owner = new Map<string, string | null>();
  const country = new Map<string, string | null>();

  beforeAll(async () => {
    store = await places.open('queries');
    scans = await buildApiStore(store, { hosts: HOSTS, scans: SCANS, orgs: ORGS, batch: 500 });
    // A second port on some addresses in the latest scan: two hosts, one address.
    const last = scans[scans.length - 1];
    const extra: ScanRecord[] = [];
    for (let k = 0; k < EXTRA; k++) {
      const r = apiRecord(k * 7, SCANS + 1);
      r.seq = HOSTS + k;
      r.port = 8443;
      extra.push(r);
    }
    await store.insertRecords(last, extra);
    for (const [s, id] of scans.entries()) {
      const recs: ScanRecord[] = [];
      for (let i = 0; i < HOSTS; i++) recs.push(apiRecord(i, s));
      if (id === last) recs.push(...extra);
      records.set(id, recs);
    }
    const gone: string[] = [];
    for (let i = 0; i < HOSTS; i++) {
      const ip = apiRecord(i, 0).ip;
      owner.set(ip, unenriched(i) ? null : orgOf(i, ORGS));
      if (unenriched(i)) gone.push(ip);
    }
    await store.db.deleteFrom('ip_enrichment').where('ip', 'in', gone).execute();
    for (const r of await store.db.selectFrom('ip_enrichment').select(['ip', 'cc']).execute()) country.set(r.ip, r.cc);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await places.cleanup();
  });

  const visible = (vis: Visibility, ip: string) => {
    if (vis.orgKeys === null) return true;
    const k = owner.get(ip) ?? null;
    return k !== null && vis.orgKeys.has(k);
  };

  it('the fixture has the awkward cases', () => {
    const last = records.get(scans[scans.length - 1]) ?? [];
    expect(last.filter((r) => r.compromised === 'true').length).toBeGreaterThan(5);
    expect([...owner.values()].filter((k) => k === null).length).toBeGreaterThan(20);
    expect([...country.values()].filter((c) => c === null).length).toBeGreaterThan(3);
    expect(unenriched(5)).toBe(true);
    expect(owner.get(apiRecord(5, 0).ip)).toBeNull();
  });

  for (const [name, vis] of SCOPES) {
    it(`figures (${name})`, async () => {
      for (const scan of scans) {
        const got = await q.figures(store.db, scan, vis);
        expect(got).toEqual(await ref.figures(store.db, scan, vis));
        // Independently, from the records.
        const recs = (records.get(scan) ?? []).filter((r) => visible(vis, r.ip));
        expect(got.hosts).toBe(recs.length);
        expect(got.product_hosts).toBe(recs.filter((r) => r.product !== null).length);
        expect(got.unreachable).toBe(recs.filter((r) => r.status === 'unreachable').length);
        expect(got.error).toBe(recs.filter((r) => r.status === 'error').length);
        const h = got.cves.find((c) => c.cve === CVE);
        const inState = (s: string) => recs.filter((r) => r.cve[CVE] === s).length;
        expect(h?.vulnerable ?? 0).toBe(inState('vulnerable'));
        expect(h?.mitigated ?? 0).toBe(inState('mitigated'));
        expect(h?.patched ?? 0).toBe(inState('patched'));
        expect(h?.compromised ?? 0).toBe(recs.filter((r) => r.cve[CVE] !== undefined && r.compromised === 'true').length);
        expect(h?.patched_compromised ?? 0).toBe(recs.filter((r) => r.cve[CVE] === 'patched' && r.compromised === 'true').length);
        if (recs.length > 0) expect(got.cves.map((c) => c.cve)).toEqual(['CVE-2019-19781', 'CVE-2023-3519']);
      }
      // Several scans at once (the dashboard's current and previous scan): each as on its own.
      const many = await q.figuresOf(store.db, [scans[2], scans[0], scans[2]], vis);
      expect(many).toEqual([await ref.figures(store.db, scans[2], vis), await ref.figures(store.db, scans[0], vis), await ref.figures(store.db, scans[2], vis)]);
    });

    it(`trend across scans in one grouped query (${name})`, async () => {
      for (const cve of [CVE, 'CVE-2023-3519', 'CVE-0000-0000']) {
        const got = await q.trend(store.db, cve, vis);
        expect(got).toEqual(await ref.trend(store.db, cve, vis));
        expect(got.map((t) => t.scan)).toEqual(scans);
        for (const t of got) {
          const want: Record<string, number> = {};
          for (const r of records.get(t.scan) ?? []) {
            const s = r.cve[cve];
            if (s !== undefined && visible(vis, r.ip)) want[s] = (want[s] ?? 0) + 1;
          }
          expect(t.counts).toEqual(want);
        }
      }
      expect(await q.trend(store.db, CVE, vis, 2)).toEqual(await ref.trend(store.db, CVE, vis, 2));
    });

    it(`countries (${name})`, async () => {
      const norm = (rows: q.CountryCount[]) =>
        [...rows].sort((a, b) => b.vulnerable + b.mitigated + b.compromised - (a.vulnerable + a.mitigated + a.compromised) || String(a.cc).localeCompare(String(b.cc)));
      for (const scan of scans) {
        for (const cve of [CVE, 'CVE-2023-3519']) {
          const got = await q.countries(store.db, scan, cve, vis);
          const want = await ref.countries(store.db, scan, cve, vis);
          // Same rows; rows with equal weight may come in another order on PostgreSQL.
          expect(norm(got)).toEqual(norm(want));
          if (dialect === 'sqlite') expect(got).toEqual(want);
          const js = new Map<string | null, { total: number; vulnerable: number; compromised: number }>();
          for (const r of records.get(scan) ?? []) {
            if (r.cve[cve] === undefined || !visible(vis, r.ip)) continue;
            const cc = country.get(r.ip) ?? null;
            const c = js.get(cc) ?? { total: 0, vulnerable: 0, compromised: 0 };
            c.total++;
            if (r.cve[cve] === 'vulnerable') c.vulnerable++;
            if (r.compromised === 'true') c.compromised++;
            js.set(cc, c);
          }
          expect(got.length).toBe(js.size);
          for (const g of got) expect({ total: g.total, vulnerable: g.vulnerable, compromised: g.compromised }).toEqual(js.get(g.cc));
        }
      }
    });

    it(`versions (${name})`, async () => {
      const norm = (rows: Array<{ version: string | null; hosts: number }>) =>
        [...rows].sort((a, b) => b.hosts - a.hosts || String(a.version).localeCompare(String(b.version)));
      for (const scan of scans) {
        const got = await q.versions(store.db, scan, vis);
        expect(norm(got)).toEqual(norm(await ref.versions(store.db, scan, vis)));
        for (let i = 1; i < got.length; i++) expect(got[i - 1].hosts).toBeGreaterThanOrEqual(got[i].hosts);
        const js = new Map<string | null, number>();
        for (const r of records.get(scan) ?? []) if (r.product !== null && visible(vis, r.ip)) js.set(r.version, (js.get(r.version) ?? 0) + 1);
        expect(new Map(got.map((v) => [v.version, v.hosts]))).toEqual(js);
      }
    });

    it(`organisations (${name})`, async () => {
      for (const scan of [undefined, ...scans]) {
        const got = await q.organisations(store.db, scan, vis);
        expect(got).toEqual(await ref.organisations(store.db, scan, vis));
        if (scan === undefined) continue;
        for (const o of got) {
          const mine = (records.get(scan) ?? []).filter((r) => owner.get(r.ip) === o.key);
          expect(o.hosts).toBe(mine.length);
          expect(o.vulnerable).toBe(mine.filter((r) => Object.values(r.cve).includes('vulnerable')).length);
          expect(o.compromised).toBe(mine.filter((r) => r.compromised === 'true').length);
        }
      }
      if (vis.orgKeys !== null) for (const o of await q.organisations(store.db, scans[0], vis)) expect(vis.orgKeys.has(o.key)).toBe(true);
    });

    it(`hosts: every filter, sort and page (${name})`, async () => {
      const scan = scans[scans.length - 1];
      const filters: Array<Partial<q.HostFilter>> = [
        {},
        { cve: CVE, state: 'vulnerable' },
        { state: 'patched' },
        { cve: 'CVE-2023-3519' },
        { compromised: true },
        { compromised: false, cc: 'nl' },
        { org: orgKey(6) },
        { org: orgKey(7), cve: CVE },
        { sector: 'energy' },
        { q: 'vpn1' },
        { q: 'Organisation 1' },
        { q: '10.0.1.' },
        { q: '%_\\' },
      ];
      let checked = 0;
      for (const base of filters) {
        for (const sort of q.HOST_SORTS) {
          for (const desc of sort === 'ip' || sort === 'country' ? [false, true] : [false]) {
            for (const page of [1, 2, 40]) {
              const f: q.HostFilter = { scan, ...base, sort, desc, page, perPage: 25 };
              const got = await q.hosts(store.db, f, vis);
              const want = await ref.hosts(store.db, f, vis);
              expect(got, JSON.stringify(f)).toEqual(want);
              for (const r of got.rows) expect(visible(vis, r.ip)).toBe(true);
              checked++;
            }
          }
        }
      }
      expect(checked).toBeGreaterThan(100);
      // The total, independently.
      const all = (records.get(scan) ?? []).filter((r) => visible(vis, r.ip));
      expect((await q.hosts(store.db, { scan, page: 1, perPage: 10 }, vis)).total).toBe(all.length);
      const vuln = all.filter((r) => r.cve[CVE] === 'vulnerable').length;
      expect((await q.hosts(store.db, { scan, cve: CVE, state: 'vulnerable', page: 1, perPage: 10 }, vis)).total).toBe(vuln);
    });
  }

  it('a scoped user sees only a subset, and healthcare sees some hosts', async () => {
    const scan = scans[scans.length - 1];
    const all = await q.figures(store.db, scan, ALL_VISIBLE);
    const hc = await q.figures(store.db, scan, SCOPES[1][1]);
    expect(hc.hosts).toBeGreaterThan(0);
    expect(hc.hosts).toBeLessThan(all.hosts / 2);
    expect((await q.hosts(store.db, { scan, page: 1, perPage: 500 }, { orgKeys: new Set() })).total).toBe(0);
  });
});
