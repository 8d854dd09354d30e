/**
 * The store's behaviour, one test body per dialect (SQLite always; PostgreSQL when the local server
 * answers, required under CI=true) and per write path (prepared/set-based `auto`, generic `builder`).
 */
import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../src/errors.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { openStore } from '../../src/store/index.js';
import { storeMigrations } from '../../src/store/migrations/index.js';
import { DIALECTS, storePlaces, tableCounts } from './dialects.js';
import { PATHS, tempDir } from './helpers.js';
import { syntheticBatch, syntheticRecord } from './synthetic.js';

const tmp = tempDir();
const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d)]));
afterAll(async () => {
  tmp.cleanup();
  for (const p of Object.values(places)) await p.cleanup();
});
const ALL_MIGRATIONS = Object.keys(
  storeMigrations({
    returning: true,
    concurrentWriters: false,
    jsonb: false,
    maxBindParams: 1,
    identityColumns: false,
    syncStatements: false,
    skippableForeignKeys: true,
  }),
);

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isEdgewatchError(err, code), `expected ${code}, got ${String(err)}`).toBe(true);
}

const MATRIX = DIALECTS.flatMap((d) => PATHS.map((p) => [d, p] as const));

describe.each(MATRIX)('store (%s, %s path)', (dialect, paths) => {
  const place = places[dialect];
  it('creates, lists and updates scans with sortable ids', async () => {
    const store = await place.open(`scans-${paths}`, { paths });
    try {
      const a = await store.createScan({ label: 'day 0', settings: { ports: [443] }, total: 10 });
      expect(a.id).toMatch(/^s\d{8}T\d{6}-[0-9a-f]{4}$/);
      expect(a).toMatchObject({ label: 'day 0', state: 'running', total: 10, done: 0, finished_at: null });
      const b = await store.createScan({ settings: {} });
      await store.setScanTotal(b.id, 99);
      await store.setScanState(b.id, 'finished');
      const got = await store.getScan(b.id);
      expect(got?.total).toBe(99);
      expect(got?.state).toBe('finished');
      expect(got?.finished_at).toMatch(/^\d{4}-/);
      expect(await store.getScan('s-nope')).toBeUndefined();
      const list = await store.listScans();
      expect(list.map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      expect((await store.getScan(a.id))?.settings).toEqual({ ports: [443] });
      await expectCode(store.setScanState('s-nope', 'failed'), 'EW_STORE_SCAN_NOT_FOUND');
      await expectCode(store.setScanTotal('s-nope', 1), 'EW_STORE_SCAN_NOT_FOUND');
      await expectCode(store.insertRecords('s-nope', syntheticBatch(0, 2)), 'EW_STORE_SCAN_NOT_FOUND');
      await expectCode(store.doneSeqs('s-nope'), 'EW_STORE_SCAN_NOT_FOUND');
      await expectCode(store.report('s-nope'), 'EW_STORE_SCAN_NOT_FOUND');
      await expectCode(store.diff(a.id, 's-nope'), 'EW_STORE_SCAN_NOT_FOUND');
    } finally {
      await store.close();
    }
  });

  it('inserts idempotently: repeated and overlapping batches give exact counts', async () => {
    const store = await place.open(`idem-${paths}`, { paths });
    try {
      const scan = await store.createScan({ settings: {} });
      const first = syntheticBatch(0, 500);
      expect(await store.insertRecords(scan.id, first)).toBe(500);
      expect(await store.insertRecords(scan.id, first)).toBe(0);
      // Overlap 250..749: only 500..749 are new.
      expect(await store.insertRecords(scan.id, syntheticBatch(250, 500))).toBe(250);
      // Same seqs with different content are skipped, never overwritten.
      const changed = syntheticBatch(0, 10, { salt: 7 }).map((r) => ({ ...r, version: 'overwritten' }));
      expect(await store.insertRecords(scan.id, changed)).toBe(0);
      // Duplicate seq inside one batch: first wins.
      const dup = [syntheticRecord(800), { ...syntheticRecord(800), ip: '10.9.9.9' }, syntheticRecord(801)];
      expect(await store.insertRecords(scan.id, dup)).toBe(2);
      expect(await store.insertRecords(scan.id, [])).toBe(0);

      expect((await store.getScan(scan.id))?.done).toBe(752);
      const c = await tableCounts(store);
      expect(c.obs).toBe(752);
      const okWithCve = [...syntheticBatch(0, 750), syntheticRecord(800), syntheticRecord(801)].filter(
        (r) => Object.keys(r.cve).length > 0,
      ).length;
      expect(c.findings).toBe(okWithCve);
      expect(c.hosts).toBe(752);

      const recs: ScanRecord[] = [];
      for await (const r of store.iterateRecords(scan.id)) if (r.seq !== undefined && r.seq < 10) recs.push(r);
      expect(recs.every((r) => r.version !== 'overwritten')).toBe(true);
      const r800 = [];
      for await (const r of store.iterateRecords(scan.id)) if (r.seq === 800) r800.push(r);
      expect(r800).toHaveLength(1);
      expect(r800[0].ip).toBe(syntheticRecord(800).ip);

      // Concurrent overlapping calls are serialised: still exact.
      const both = await Promise.all([
        store.insertRecords(scan.id, syntheticBatch(900, 100)),
        store.insertRecords(scan.id, syntheticBatch(950, 100)),
      ]);
      expect(both[0] + both[1]).toBe(150);
      expect((await store.getScan(scan.id))?.done).toBe(902);
      expect((await tableCounts(store)).obs).toBe(902);

      // A second scan over the same hosts reuses host rows.
      const again = await store.createScan({ settings: {} });
      expect(await store.insertRecords(again.id, syntheticBatch(0, 100))).toBe(100);
      expect((await tableCounts(store)).hosts).toBe(902);
    } finally {
      await store.close();
    }
  });

  it('rejects hostile records without writing any of the batch', async () => {
    const store = await place.open(`bad-${paths}`, { paths });
    try {
      const scan = await store.createScan({ settings: {} });
      const good = syntheticBatch(0, 3);
      const cases: unknown[] = [
        { ...syntheticRecord(3), seq: undefined },
        { ...syntheticRecord(3), seq: -1 },
        { ...syntheticRecord(3), seq: 1.5 },
        { ...syntheticRecord(3), port: 70_000 },
        { ...syntheticRecord(3), status: 'maybe' },
        { ...syntheticRecord(3), cve: { 'CVE-2019-19781': 'pwned' } },
        { ...syntheticRecord(3), ip: 'x'.repeat(1000) },
        null,
      ];
      for (const bad of cases) {
        await expectCode(store.insertRecords(scan.id, [...good, bad as ScanRecord]), 'EW_STORE_BAD_RECORD');
      }
      expect((await tableCounts(store)).obs).toBe(0);
      expect((await store.getScan(scan.id))?.done).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('returns doneSeqs as a set, and iterates records in seq order over several pages', async () => {
    const store = await place.open(`iter-${paths}`, { paths, pageSize: 200 });
    try {
      const scan = await store.createScan({ settings: {} });
      const n = 1_001; // 1,000 stored: five full pages of 200, then an empty one
      // Insert out of order and with a gap (seq 7 missing).
      const all = syntheticBatch(0, n).filter((r) => r.seq !== 7);
      const reversed = [...all].reverse();
      for (let i = 0; i < reversed.length; i += 300) {
        await store.insertRecords(scan.id, reversed.slice(i, i + 300));
      }
      const done = await store.doneSeqs(scan.id);
      expect(done.size).toBe(n - 1);
      expect(done.has(0)).toBe(true);
      expect(done.has(7)).toBe(false);
      expect(done.has(n - 1)).toBe(true);
      expect(done.has(n)).toBe(false);

      let prev = -1;
      let count = 0;
      for await (const r of store.iterateRecords(scan.id)) {
        expect(r.seq).toBeGreaterThan(prev);
        expect(r.scan_id).toBe(scan.id);
        prev = r.seq as number;
        count++;
        if (r.seq === 401) expect(r).toEqual({ ...syntheticRecord(401), scan_id: scan.id });
      }
      expect(count).toBe(n - 1);
      expect(prev).toBe(n - 1);
    } finally {
      await store.close();
    }
  });

  it('reports counts by status, reason, product, CVE state and version (in SQL)', async () => {
    const store = await place.open(`report-${paths}`, { paths });
    try {
      const scan = await store.createScan({ settings: {} });
      const recs = syntheticBatch(0, 2_000);
      await store.insertRecords(scan.id, recs);
      const rep = await store.report(scan.id);
      expect(rep.scan.done).toBe(2_000);

      const tally = (key: (r: ScanRecord) => string | null | undefined, filter: (r: ScanRecord) => boolean = () => true) => {
        const m = new Map<string | null, number>();
        for (const r of recs.filter(filter)) m.set(key(r) ?? null, (m.get(key(r) ?? null) ?? 0) + 1);
        return m;
      };
      const asMap = (rows: { key: string | null; count: number }[]) => new Map(rows.map((r) => [r.key, r.count]));
      expect(asMap(rep.byStatus)).toEqual(tally((r) => r.status));
      expect(asMap(rep.byReason)).toEqual(
        tally(
          (r) => r.reason,
          (r) => r.reason !== null,
        ),
      );
      expect(asMap(rep.byProduct)).toEqual(
        tally(
          (r) => r.product,
          (r) => r.status === 'ok',
        ),
      );
      expect(asMap(rep.byVersion)).toEqual(
        tally(
          (r) => r.version,
          (r) => r.product !== null,
        ),
      );
      expect(asMap(rep.byCve['CVE-2019-19781'])).toEqual(
        tally(
          (r) => r.cve['CVE-2019-19781'],
          (r) => 'CVE-2019-19781' in r.cve,
        ),
      );
      expect(rep.byVersion.some((r) => r.key === null)).toBe(true);
      // Sorted by count, largest first.
      const sc = rep.byStatus.map((r) => r.count);
      expect([...sc].sort((a, b) => b - a)).toEqual(sc);
    } finally {
      await store.close();
    }
  });
});

describe('store file handling', () => {
  it('reopens an existing store without re-running migrations and keeps data', async () => {
    const file = tmp.file('nested/dir/reopen.db');
    const s1 = await openStore({ dialect: 'sqlite', file });
    const scan = await s1.createScan({ label: 'keep', settings: { a: 1 } });
    await s1.insertRecords(scan.id, syntheticBatch(0, 50));
    await s1.close();
    await s1.close(); // idempotent
    for (let i = 0; i < 2; i++) {
      const s2 = await openStore({ dialect: 'sqlite', file });
      expect((await s2.getScan(scan.id))?.done).toBe(i === 0 ? 50 : 60);
      expect(await s2.insertRecords(scan.id, syntheticBatch(0, 60))).toBe(i === 0 ? 10 : 0);
      await s2.close();
    }
    const db = new Database(file, { readonly: true });
    const names = db.prepare('SELECT name FROM kysely_migration ORDER BY name').pluck().all();
    const mode = db.pragma('journal_mode', { simple: true });
    db.close();
    expect(names).toEqual(ALL_MIGRATIONS);
    expect(mode).toBe('wal');
  });

  it('fails with EW_STORE_MIGRATION on a database from a newer edgewatch', async () => {
    const file = tmp.file('future.db');
    const s1 = await openStore({ dialect: 'sqlite', file });
    await s1.close();
    const db = new Database(file);
    db.prepare("INSERT INTO kysely_migration (name, timestamp) VALUES ('9999_future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    await expectCode(openStore({ dialect: 'sqlite', file }), 'EW_STORE_MIGRATION');
  });

  it('fails with EW_STORE_OPEN naming the path for a non-database file or an impossible path', async () => {
    const junk = tmp.file('junk.db');
    writeFileSync(junk, 'this is not a database, just text that is long enough to have a header'.repeat(10));
    const err = await openStore({ dialect: 'sqlite', file: junk }).catch((e: unknown) => e);
    expect(isEdgewatchError(err, 'EW_STORE_OPEN')).toBe(true);
    expect((err as Error).message).toContain(junk);

    const underFile = `${junk}/sub/x.db`; // parent is a regular file
    const err2 = await openStore({ dialect: 'sqlite', file: underFile }).catch((e: unknown) => e);
    expect(isEdgewatchError(err2, 'EW_STORE_OPEN')).toBe(true);
    expect((err2 as Error).message).toContain(underFile);
  });

  it('refuses dialects it does not implement', async () => {
    await expectCode(openStore({ dialect: 'oracle', url: 'x' } as never), 'EW_STORE_DIALECT');
    await expectCode(openStore(null as never), 'EW_STORE_DIALECT');
  });
});
