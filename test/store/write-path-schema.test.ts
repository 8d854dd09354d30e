/**
 * Migration 0010 (issue #6, store writes), on each dialect: the two observation indexes that
 * observations_api_idx covers are gone; PostgreSQL's observations and findings carry no foreign
 * keys (SQLite keeps them declared), so the batch writers' own guarantees are what keeps the rows
 * consistent: no orphan after concurrent, overlapping, retried and failed batches. The migration
 * goes down and up again over a store with data, keeping every row.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDialect } from '../../src/store/dialect.js';
import { openStore } from '../../src/store/index.js';
import { storeMigrator } from '../../src/store/migrate.js';
import type { Database } from '../../src/store/schema.js';
import type { Store, StoreCapabilities } from '../../src/store/types.js';
import { DIALECTS, storePlaces, tableCounts } from './dialects.js';
import { syntheticBatch, syntheticRecord } from './synthetic.js';

const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d, 'ew-write-path-')]));
afterAll(async () => {
  for (const p of Object.values(places)) await p.cleanup();
});

const DROPPED = ['observations_host_idx', 'observations_attr_idx'];

async function indexNames(db: Kysely<Database>, caps: StoreCapabilities): Promise<string[]> {
  if (caps.syncStatements) {
    const r = await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index'`.execute(db);
    return r.rows.map((x) => x.name);
  }
  const r = await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()`.execute(db);
  return r.rows.map((x) => x.name);
}

/** Foreign keys declared on observations and findings. */
async function recordForeignKeys(store: Store): Promise<number> {
  if (store.capabilities.syncStatements) {
    const r = await sql<{ n: number }>`
      SELECT (SELECT count(DISTINCT id) FROM pragma_foreign_key_list('observations')) + (SELECT count(DISTINCT id) FROM pragma_foreign_key_list('findings')) AS n`.execute(
      store.db,
    );
    return Number(r.rows[0].n);
  }
  const r = await sql<{ n: number }>`
    SELECT count(*)::int4 AS n FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace AND t.relname IN ('observations', 'findings')`.execute(
    store.db,
  );
  return Number(r.rows[0].n);
}

/** Rows whose reference points nowhere: what the foreign keys would have refused. */
async function orphans(store: Store): Promise<{ noScan: number; noHost: number; noObservation: number }> {
  const r = await sql<{ a: number; b: number; c: number }>`
    SELECT
      (SELECT count(*) FROM observations o WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.id = o.scan_id)) AS a,
      (SELECT count(*) FROM observations o WHERE NOT EXISTS (SELECT 1 FROM hosts h WHERE h.id = o.host_id)) AS b,
      (SELECT count(*) FROM findings f WHERE NOT EXISTS
        (SELECT 1 FROM observations o WHERE o.scan_id = f.scan_id AND o.seq = f.seq AND o.host_id = f.host_id)) AS c`.execute(store.db);
  const row = r.rows[0];
  return { noScan: Number(row.a), noHost: Number(row.b), noObservation: Number(row.c) };
}

describe.each(DIALECTS)('the write path schema (%s)', (dialect) => {
  const place = places[dialect];

  it('has no index that observations_api_idx covers; foreign keys only where the writer can skip them', async () => {
    const store = await place.open('schema');
    try {
      const names = await indexNames(store.db, store.capabilities);
      expect(names).toContain('observations_api_idx');
      for (const n of DROPPED) expect(names).not.toContain(n);
      expect(await recordForeignKeys(store)).toBe(store.capabilities.skippableForeignKeys ? 3 : 0);
    } finally {
      await store.close();
    }
  });

  it('leaves no orphan: concurrent overlapping writers, retries, an unknown scan and a bad record', async () => {
    const cfg = await place.config('orphans');
    const stores = await Promise.all([openStore(cfg), openStore(cfg)]);
    try {
      const [a, b] = stores;
      const scan = await a.createScan({ settings: {} });
      await Promise.all(
        [a, b].map(async (s, w) => {
          for (let k = 0; k < 6; k++) await s.insertRecords(scan.id, syntheticBatch(((k * 2 + w) * 100) % 900, 200, { cves: 12 }));
        }),
      );
      expect(await a.insertRecords(scan.id, syntheticBatch(0, 300, { cves: 12 }))).toBe(0);
      await expect(a.insertRecords('s-no-such-scan', syntheticBatch(5_000, 10))).rejects.toMatchObject({ code: 'EW_STORE_SCAN_NOT_FOUND' });
      const bad = [...syntheticBatch(6_000, 50), { ...syntheticRecord(6_050), status: 'exploded' }] as never[];
      await expect(b.insertRecords(scan.id, bad)).rejects.toMatchObject({ code: 'EW_STORE_BAD_RECORD' });
      const seqs = await a.doneSeqs(scan.id);
      expect(seqs.size).toBe(1_000);
      expect((await tableCounts(a)).obs).toBe(1_000);
      expect(await orphans(a)).toEqual({ noScan: 0, noHost: 0, noObservation: 0 });
    } finally {
      for (const s of stores) await s.close();
    }
  });

  it('goes down to 0009 and up again over a store with data, keeping every row', async () => {
    const cfg = await place.config('updown');
    let store = await openStore(cfg);
    const scan = await store.createScan({ settings: {} });
    await store.insertRecords(scan.id, syntheticBatch(0, 500, { cves: 3 }));
    const before = await tableCounts(store);
    await store.close();

    const d = openDialect(cfg);
    try {
      const info = (await d.init?.()) ?? {};
      const down = await storeMigrator(d.db, d.capabilities, info.schema).migrateTo('0009_api_indexes');
      expect(down.error).toBeUndefined();
      expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([['0010_write_path', 'Down', 'Success']]);
      const names = await indexNames(d.db, d.capabilities);
      for (const n of DROPPED) expect(names).toContain(n);
    } finally {
      await d.close?.();
      await d.db.destroy();
    }

    store = await openStore(cfg);
    try {
      for (const n of DROPPED) expect(await indexNames(store.db, store.capabilities)).not.toContain(n);
      expect(await recordForeignKeys(store)).toBe(store.capabilities.skippableForeignKeys ? 3 : 0);
      expect(await tableCounts(store)).toEqual(before);
      expect(await store.insertRecords(scan.id, syntheticBatch(400, 200, { cves: 3 }))).toBe(100);
      expect((await store.report(scan.id)).byStatus.reduce((n, r) => n + r.count, 0)).toBe(600);
      expect(await orphans(store)).toEqual({ noScan: 0, noHost: 0, noObservation: 0 });
    } finally {
      await store.close();
    }
  });
});
