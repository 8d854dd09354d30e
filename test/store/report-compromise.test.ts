/**
 * Compromise figures of report() on a real SQLite store (both write paths): `compromised` is
 * stored from the record, counted per scan, crossed with the CVE classification, and the
 * patched-but-compromised share; then the "Compromise (from outside)" section in every format.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/render.js';
import type { CompromiseState, CveState, ScanRecord } from '../../src/scan/record.js';
import { DIALECTS, storePlaces } from './dialects.js';
import { PATHS } from './helpers.js';
import { syntheticRecord } from './synthetic.js';

const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d, 'ew-report-compromise-')]));
afterAll(async () => {
  for (const p of Object.values(places)) await p.cleanup();
});
const MATRIX = DIALECTS.flatMap((d) => PATHS.map((p) => [d, p] as const));

const CVE = 'CVE-2019-19781';

/** A record of kind `citrix` (product, CVE state, compromised or absent), `other` (ok, not the product) or `down`. */
function rec(seq: number, kind: 'citrix' | 'other' | 'down', state?: CveState, compromised?: CompromiseState | null): ScanRecord {
  const r = syntheticRecord(seq);
  r.status = kind === 'down' ? 'unreachable' : 'ok';
  r.reason = kind === 'down' ? 'refused' : null;
  r.product = kind === 'citrix' ? 'citrix-adc' : null;
  r.product_confidence = kind === 'citrix' ? 'certain' : 'none';
  r.version = kind === 'citrix' ? '13.0-47.22' : null;
  r.cve = kind === 'down' ? {} : { [CVE]: kind === 'citrix' ? (state as CveState) : 'not_applicable' };
  if (compromised === null) delete r.compromised;
  else r.compromised = compromised ?? 'unknown';
  r.indicators = compromised === 'true' ? [{ check: 'x', id: 'a', request: 'GET /a HTTP/1.1', status: 201, why: 'w' }] : [];
  return r;
}

/** 11 compromised (3 vulnerable, 2 mitigated, 5 patched, 1 unknown), 10 clean, 3 unknown product hosts, 8 others. */
function scanA(): ScanRecord[] {
  const spec: Array<[number, 'citrix' | 'other' | 'down', CveState | undefined, CompromiseState | null | undefined]> = [
    [3, 'citrix', 'vulnerable', 'true'],
    [2, 'citrix', 'mitigated', 'true'],
    [5, 'citrix', 'patched', 'true'],
    [1, 'citrix', 'unknown', 'true'],
    [4, 'citrix', 'vulnerable', 'false'],
    [6, 'citrix', 'patched', 'false'],
    [2, 'citrix', 'patched', 'unknown'],
    [1, 'citrix', 'mitigated', null], // a record stored before compromise checks existed
    [5, 'other', undefined, 'unknown'],
    [3, 'down', undefined, 'unknown'],
  ];
  const out: ScanRecord[] = [];
  for (const [n, kind, state, c] of spec) for (let i = 0; i < n; i++) out.push(rec(out.length, kind, state, c));
  return out;
}

describe.each(MATRIX)('report(): compromise figures (%s, %s write path)', (dialect, paths) => {
  it('counts compromised hosts, crosses them with the classification and gives the patched share', async () => {
    const store = await places[dialect].open(`rc-${paths}`, { paths });
    try {
      const a = await store.createScan({ settings: {} });
      await store.insertRecords(a.id, scanA());
      // another scan with different numbers must not leak into scan A's figures
      const b = await store.createScan({ settings: {} });
      await store.insertRecords(b.id, [
        rec(0, 'citrix', 'patched', 'true'),
        rec(1, 'citrix', 'vulnerable', 'true'),
        rec(2, 'citrix', 'patched', 'false'),
      ]);

      const ra = await store.report(a.id);
      expect(ra.compromise.hosts).toEqual({ true: 11, false: 10, unknown: 3 });
      expect(ra.compromise.byCve[CVE]).toEqual({
        vulnerable: 3,
        mitigated: 2,
        patched: 5,
        unknown: 1,
        not_applicable: 0,
        compromised: 11,
        patched_compromised_share: 5 / 11,
      });
      // compromise figures stay consistent with the ordinary CVE counts
      const patched = ra.byCve[CVE].find((r) => r.key === 'patched')?.count;
      expect(patched).toBe(5 + 6 + 2);

      const rb = await store.report(b.id);
      expect(rb.compromise.hosts).toEqual({ true: 2, false: 1, unknown: 0 });
      expect(rb.compromise.byCve[CVE]).toMatchObject({ patched: 1, vulnerable: 1, compromised: 2, patched_compromised_share: 0.5 });

      // the column is written from the record
      const rows = await store.db.selectFrom('observations').select(['compromised']).where('scan_id', '=', a.id).orderBy('seq').execute();
      expect(rows.slice(0, 3).map((r) => r.compromised)).toEqual(['true', 'true', 'true']);
      expect(rows.filter((r) => r.compromised === null)).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('no compromised host: zero counts and a null share for every CVE', async () => {
    const store = await places[dialect].open(`rc-none-${paths}`, { paths });
    try {
      const s = await store.createScan({ settings: {} });
      await store.insertRecords(s.id, [rec(0, 'citrix', 'vulnerable', 'false'), rec(1, 'citrix', 'patched', 'unknown'), rec(2, 'other')]);
      const r = await store.report(s.id);
      expect(r.compromise.hosts).toEqual({ true: 0, false: 1, unknown: 1 });
      expect(r.compromise.byCve[CVE]).toEqual({
        vulnerable: 0,
        mitigated: 0,
        patched: 0,
        unknown: 0,
        not_applicable: 0,
        compromised: 0,
        patched_compromised_share: null,
      });
      expect(renderReport(r, 'table')).toContain('patched but compromised: 0 (no compromised hosts)');
    } finally {
      await store.close();
    }
  });
});

describe('rendering the compromise section', () => {
  it('table, markdown, csv and json all carry the figures and the patched share', async () => {
    const store = await places.sqlite.open('rc-render');
    try {
      const s = await store.createScan({ settings: {}, label: 'render' });
      await store.insertRecords(s.id, scanA());
      const rep = await store.report(s.id);

      const text = renderReport(rep, 'table');
      expect(text).toContain('Compromise (from outside)');
      expect(text).toMatch(/true \(an indicator answered as an implant\)\s+11/);
      expect(text).toMatch(/false \(no externally visible indicator\)\s+10/);
      expect(text).toMatch(/patched\s+5\n/);
      expect(text).toContain('patched but compromised: 5 (45.5 % of compromised)');

      const md = renderReport(rep, 'markdown');
      expect(md).toContain('### Compromise (from outside)');
      expect(md).toContain('| vulnerable | 3 |');
      expect(md).toContain('**patched but compromised: 5 (45.5 % of compromised)**');

      const csv = renderReport(rep, 'csv');
      expect(csv).toContain('compromise,true,11\n');
      expect(csv).toContain('compromise,false,10\n');
      expect(csv).toContain(`compromise:${CVE},patched,5\n`);
      expect(csv).toContain(`compromise:${CVE},compromised,11\n`);
      expect(csv).toContain(`compromise:${CVE},patched_compromised_share,${5 / 11}\n`);

      const json = JSON.parse(renderReport(rep, 'json')) as { compromise: typeof rep.compromise };
      expect(json.compromise.byCve[CVE].patched_compromised_share).toBeCloseTo(0.4545, 4);
      expect(json.compromise.hosts.true).toBe(11);
    } finally {
      await store.close();
    }
  });
});
