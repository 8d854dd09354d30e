/**
 * Dialect behaviour: migrations are idempotent on both dialects, the PostgreSQL dialect's open
 * errors (unreachable server: fast EW_STORE_OPEN with the password redacted; missing schema), JSON
 * and integer types read back right, and several writer processes' worth of pools writing
 * overlapping batches of one scan concurrently end with exactly one row per seq.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { redactLocation, storeConfigFor } from '../../src/store/location.js';
import { storeMigrations } from '../../src/store/migrations/index.js';
import { PG_URL } from '../helpers/services.js';
import { DIALECTS, PG_OK, pgUrlFor, storePlaces, tableCounts } from './dialects.js';
import { syntheticBatch, syntheticRecord } from './synthetic.js';

const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d, 'ew-dialect-')]));
afterAll(async () => {
  for (const p of Object.values(places)) await p.cleanup();
});
const ALL = Object.keys(
  storeMigrations({
    returning: true,
    concurrentWriters: true,
    jsonb: true,
    maxBindParams: 1,
    identityColumns: true,
    syncStatements: false,
    skippableForeignKeys: false,
  }),
);

describe('store locations', () => {
  it('selects the dialect by URL scheme and redacts passwords', () => {
    expect(storeConfigFor('postgres://u:pw@127.0.0.1/db')).toEqual({ dialect: 'postgres', url: 'postgres://u:pw@127.0.0.1/db' });
    expect(storeConfigFor('postgresql://127.0.0.1/db').dialect).toBe('postgres');
    expect(storeConfigFor('data/edgewatch.db')).toMatchObject({ dialect: 'sqlite' });
    expect(storeConfigFor('./postgres.db').dialect).toBe('sqlite');
    expect(redactLocation('postgres://user:s3cret@127.0.0.1:5432/db')).toBe('postgres://user:***@127.0.0.1:5432/db');
    expect(redactLocation('postgres://127.0.0.1/db?password=s3cret&x=1')).not.toContain('s3cret');
    expect(redactLocation('postgres://us:s3cret@[bad')).not.toContain('s3cret');
    expect(redactLocation('/var/lib/edgewatch.db')).toBe('/var/lib/edgewatch.db');
  });
});

describe.each(DIALECTS)('migrations (%s)', (dialect) => {
  it('runs every migration once; opening again applies nothing and keeps the data', async () => {
    const place = places[dialect];
    const s1 = await place.open('migrate-twice');
    const scan = await s1.createScan({ settings: { n: 1 } });
    await s1.insertRecords(scan.id, syntheticBatch(0, 10));
    await s1.close();
    const s2 = await place.open('migrate-twice');
    try {
      const names = await s2.db
        .selectFrom('kysely_migration' as never)
        .select('name' as never)
        .orderBy('name' as never)
        .execute();
      expect(names.map((r) => (r as { name: string }).name)).toEqual(ALL);
      expect((await s2.getScan(scan.id))?.done).toBe(10);
      expect(await s2.insertRecords(scan.id, syntheticBatch(0, 10))).toBe(0);
    } finally {
      await s2.close();
    }
  });
});

describe.skipIf(!PG_OK)('PostgreSQL dialect', () => {
  const place = places.postgres ?? storePlaces('postgres');

  it('fails fast with EW_STORE_OPEN naming the redacted URL when the server does not answer', async () => {
    const t = Date.now();
    const err = await openStore({ dialect: 'postgres', url: 'postgres://edgewatch:hunter2@127.0.0.1:1/x' }).catch((e: unknown) => e);
    expect(isEdgewatchError(err, 'EW_STORE_OPEN')).toBe(true);
    expect((err as Error).message).toContain('postgres://edgewatch:***@127.0.0.1:1/x');
    expect((err as Error).message).not.toContain('hunter2');
    expect(Date.now() - t).toBeLessThan(10_000);
  });

  it('fails with EW_STORE_OPEN when the search_path schema does not exist, and on a malformed URL', async () => {
    const err = await openStore({ dialect: 'postgres', url: pgUrlFor('ew_no_such_schema_x') }).catch((e: unknown) => e);
    expect(isEdgewatchError(err, 'EW_STORE_OPEN')).toBe(true);
    expect((err as Error).message).toMatch(/schema/);
    const bad = await openStore({ dialect: 'postgres', url: 'postgres://a:secret@[::1' }).catch((e: unknown) => e);
    expect(isEdgewatchError(bad, 'EW_STORE_OPEN')).toBe(true);
    expect((bad as Error).message).not.toContain('secret');
  });

  it('reads JSON columns back parsed, keeps the record byte for byte, and counts as numbers', async () => {
    const store = await place.open('types');
    try {
      expect(store.capabilities).toMatchObject({ jsonb: true, concurrentWriters: true, syncStatements: false, identityColumns: true });
      const scan = await store.createScan({ settings: { ports: [443, 8443], nested: { a: 'b' } }, total: 3 });
      expect((await store.getScan(scan.id))?.settings).toEqual({ ports: [443, 8443], nested: { a: 'b' } });
      const rec = syntheticRecord(0);
      await store.insertRecords(scan.id, [rec]);
      const row = await store.db.selectFrom('observations').select('record').executeTakeFirstOrThrow();
      // The stored record keeps the key order it was written with (json, not jsonb).
      expect(Object.keys(row.record as unknown as object)).toEqual(Object.keys(rec));
      const rep = await store.report(scan.id);
      expect(typeof rep.byStatus[0].count).toBe('number');
      const got = await store.getScan(scan.id);
      expect(got).toMatchObject({ total: 3, done: 1 });
      expect(typeof got?.done).toBe('number');
    } finally {
      await store.close();
    }
  });

  it('keeps writing through killed connections (server restart): retried batches, exact counts', async () => {
    const base = await place.config('killed');
    const app = `ew_kill_${process.pid}_${Date.now()}`;
    const u = new URL((base as { url: string }).url);
    u.searchParams.set('application_name', app);
    const store = await openStore({ dialect: 'postgres', url: u.toString(), pool: 2 });
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const scan = await store.createScan({ settings: {} });
      let kills = 0;
      const killer = (async () => {
        for (let i = 0; i < 3; i++) {
          await new Promise((r) => setTimeout(r, 150));
          const r = await admin.query(
            'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
            [app],
          );
          kills += Number(r.rows[0].n);
        }
      })();
      let added = 0;
      for (let b = 0; b < 20; b++) added += await store.insertRecords(scan.id, syntheticBatch(b * 200, 200));
      await killer;
      expect(kills).toBeGreaterThan(0);
      // A batch whose commit reached the server before its connection died is retried and adds 0,
      // so `added` may be short of 4,000; the stored rows are exact either way.
      expect(added).toBeLessThanOrEqual(4_000);
      expect((await store.doneSeqs(scan.id)).size).toBe(4_000);
      expect((await store.getScan(scan.id))?.done).toBe(4_000);
      expect((await tableCounts(store)).obs).toBe(4_000);
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it('concurrent writers (separate pools) with overlapping batches store exactly one row per seq', async () => {
    const cfg = await place.config('concurrent');
    const stores = await Promise.all([openStore(cfg), openStore(cfg), openStore(cfg)]);
    try {
      const scan = await stores[0].createScan({ settings: {} });
      // 3 writers, 8 batches each of 250, every batch overlapping its neighbours by half; the same
      // hosts appear in every writer (hosts upsert under contention).
      const jobs: Promise<number>[] = [];
      for (let w = 0; w < 3; w++) {
        jobs.push(
          (async () => {
            let added = 0;
            for (let b = 0; b < 8; b++) added += await stores[w].insertRecords(scan.id, syntheticBatch(((b * 3 + w) * 125) % 2_000, 250));
            return added;
          })(),
        );
      }
      const added = (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
      const seqs = await stores[0].doneSeqs(scan.id);
      const c = await tableCounts(stores[0]);
      expect(c.obs).toBe(seqs.size);
      expect(added).toBe(seqs.size);
      expect((await stores[0].getScan(scan.id))?.done).toBe(seqs.size);
      expect(c.hosts).toBe(seqs.size);
      const expectedFindings = syntheticBatch(0, 2_250).filter((r) => seqs.has(r.seq as number) && Object.keys(r.cve).length > 0).length;
      expect(c.findings).toBe(expectedFindings);
      // A retried batch (same seqs again, from another writer) adds nothing.
      expect(await stores[1].insertRecords(scan.id, syntheticBatch(0, 500))).toBe(0);
    } finally {
      for (const s of stores) await s.close();
    }
  });
});
