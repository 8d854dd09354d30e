/**
 * Batched writes of records that carry every shipped CVE (a scan with all checks: about 11 finding
 * rows per observation), on each dialect and write path: retried and overlapping batches add no
 * duplicate observation or finding, a failed batch leaves nothing, and both dialects give the same
 * report and diff for the same input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ScanRecord } from '../../src/scan/record.js';
import type { ScanReport, Store } from '../../src/store/types.js';
import { DIALECTS, storePlaces, tableCounts } from './dialects.js';
import { PATHS } from './helpers.js';
import { SHIPPED_CVES, syntheticBatch, syntheticRecord } from './synthetic.js';

const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d, 'ew-write-cve-')]));
afterAll(async () => {
  for (const p of Object.values(places)) await p.cleanup();
});

const MATRIX = DIALECTS.flatMap((d) => PATHS.map((p) => [d, p] as const));
const CVES = SHIPPED_CVES.length;

/** Finding rows the records should produce (one per cve entry, first occurrence of a seq wins). */
function expectedFindings(records: readonly ScanRecord[]): number {
  const seen = new Set<number>();
  let n = 0;
  for (const r of records) {
    if (seen.has(r.seq as number)) continue;
    seen.add(r.seq as number);
    n += Object.keys(r.cve ?? {}).length;
  }
  return n;
}

/** The parts of a report that must not depend on the dialect (ordering normalised). */
function comparable(rep: ScanReport): unknown {
  const sortRows = <T extends { key: unknown }>(rows: readonly T[]) => [...rows].sort((a, b) => String(a.key).localeCompare(String(b.key)));
  const byCve = Object.fromEntries(
    Object.keys(rep.byCve)
      .sort()
      .map((k) => [k, sortRows(rep.byCve[k])]),
  );
  return {
    byStatus: sortRows(rep.byStatus),
    byReason: sortRows(rep.byReason),
    byProduct: sortRows(rep.byProduct),
    byVersion: sortRows(rep.byVersion),
    byCve,
    compromise: rep.compromise,
  };
}

describe.each(MATRIX)('writes of all-CVE records (%s, %s path)', (dialect, paths) => {
  const place = places[dialect];

  it('stores every finding once: repeated, overlapping and duplicate-seq batches', async () => {
    const store = await place.open(`idem-${paths}`, { paths });
    try {
      const scan = await store.createScan({ settings: {} });
      const first = syntheticBatch(0, 400, { cves: CVES });
      const want = expectedFindings(first);
      // Most reachable records carry all 12 entries (unreachable ones none).
      expect(want).toBeGreaterThan(400 * 10);
      expect(await store.insertRecords(scan.id, first)).toBe(400);
      expect((await tableCounts(store)).findings).toBe(want);
      // The same batch again (a retry): nothing new, no finding added.
      expect(await store.insertRecords(scan.id, first)).toBe(0);
      // Overlap 200..599: 400..599 are new, and only their findings are added.
      const overlap = syntheticBatch(200, 400, { cves: CVES });
      expect(await store.insertRecords(scan.id, overlap)).toBe(200);
      const all = syntheticBatch(0, 600, { cves: CVES });
      expect((await tableCounts(store)).findings).toBe(expectedFindings(all));
      // A retried seq with other CVE states is skipped whole: its stored findings stay as they were.
      const changed = syntheticBatch(0, 50, { cves: CVES, salt: 3 });
      expect(await store.insertRecords(scan.id, changed)).toBe(0);
      // Duplicate seq inside one batch (the second with other CVEs): the first wins, findings included.
      const dup = [syntheticRecord(700, { cves: CVES }), { ...syntheticRecord(700, { cves: 1 }), ip: '10.9.9.9' }];
      expect(await store.insertRecords(scan.id, dup)).toBe(1);
      const c = await tableCounts(store);
      expect(c.obs).toBe(601);
      expect(c.findings).toBe(expectedFindings([...all, ...dup]));
      expect((await store.getScan(scan.id))?.done).toBe(601);
      const r700 = [];
      for await (const r of store.iterateRecords(scan.id)) if (r.seq === 700) r700.push(r);
      expect(r700).toHaveLength(1);
      expect(Object.keys(r700[0].cve)).toHaveLength(Object.keys(syntheticRecord(700, { cves: CVES }).cve).length);
    } finally {
      await store.close();
    }
  });

  it('a batch failing on a bad record leaves none of its observations or findings', async () => {
    const store = await place.open(`bad-${paths}`, { paths });
    try {
      const scan = await store.createScan({ settings: {} });
      const batch: ScanRecord[] = syntheticBatch(0, 300, { cves: CVES });
      batch.push({ ...syntheticRecord(300, { cves: CVES }), cve: { 'CVE-2019-19781': 'pwned' } } as unknown as ScanRecord);
      await expect(store.insertRecords(scan.id, batch)).rejects.toMatchObject({ code: 'EW_STORE_BAD_RECORD' });
      expect(await tableCounts(store)).toMatchObject({ obs: 0, findings: 0 });
      expect((await store.getScan(scan.id))?.done).toBe(0);
      // The same records without the bad one then go in whole.
      expect(await store.insertRecords(scan.id, batch.slice(0, 300))).toBe(300);
      expect((await tableCounts(store)).findings).toBe(expectedFindings(batch.slice(0, 300)));
    } finally {
      await store.close();
    }
  });
});

describe.runIf(DIALECTS.length > 1)('all-CVE writes give the same results on every dialect', () => {
  it('report and diff are identical for the same batches', async () => {
    const results: Array<{ report: unknown; diff: string[] }> = [];
    for (const dialect of DIALECTS) {
      const store: Store = await places[dialect].open('same');
      try {
        const a = await store.createScan({ settings: {} });
        const b = await store.createScan({ settings: {} });
        for (let i = 0; i < 900; i += 300) {
          await store.insertRecords(a.id, syntheticBatch(i, 300, { cves: CVES }));
          await store.insertRecords(b.id, syntheticBatch(i, 300, { cves: CVES, salt: 1 }));
        }
        const diff = (await store.diff(a.id, b.id)).map((r) => JSON.stringify(r)).sort();
        results.push({ report: comparable(await store.report(b.id)), diff });
      } finally {
        await store.close();
      }
    }
    expect(results[0].diff.length).toBeGreaterThan(0);
    expect(results[1]).toEqual(results[0]);
  });
});
