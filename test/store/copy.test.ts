/**
 * `db copy` (SQLite → PostgreSQL, and SQLite → SQLite when no PostgreSQL answers): every table
 * arrives, host ids are translated when the target already holds other hosts, reports/diffs/records
 * read the same on both sides, a re-run adds nothing, a re-run after more writes adds only those;
 * and the `db` CLI (migrate, status with a redacted password, copy) end to end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { isEdgewatchError } from '../../src/errors.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { copyStore } from '../../src/store/copy.js';
import { openStore } from '../../src/store/index.js';
import { saveTriageRun } from '../../src/store/triage.js';
import type { Store } from '../../src/store/types.js';
import { DIALECTS, PG_OK, storePlaces, tableCounts } from './dialects.js';
import { tempDir } from './helpers.js';
import { syntheticBatch, syntheticRecord } from './synthetic.js';

const tmp = tempDir('ew-copy-');
const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d, 'ew-copy-t-')]));
afterAll(async () => {
  tmp.cleanup();
  for (const p of Object.values(places)) await p.cleanup();
});

async function records(store: Store, scanId: string): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  for await (const r of store.iterateRecords(scanId)) out.push(r);
  return out;
}

describe.each(DIALECTS)('db copy SQLite → %s', (dialect) => {
  it('copies every table, translates host ids, verifies, and re-runs idempotently', async () => {
    const srcFile = tmp.file(`src-${dialect}.db`);
    const src = await openStore({ dialect: 'sqlite', file: srcFile });
    const a = await src.createScan({ label: 'day 0', settings: { ports: [443] } });
    const b = await src.createScan({ label: 'day 1', settings: {} });
    await src.insertRecords(a.id, syntheticBatch(0, 2_500));
    await src.insertRecords(b.id, syntheticBatch(0, 2_500, { salt: 3 }));
    await src.setScanState(a.id, 'finished');
    await saveTriageRun(src, '10.0.0.5', {
      collection: 'c.tgz',
      host: { hostname: null, ip: '10.0.0.5', version: null, collected_at: null },
      findings: [],
      timeline: [],
      summary: { first_attempt: null, first_success: null, source_ips: [], verdict: 'clean' },
      not_checked: [],
      stats: { files: 0, bytes: 0, warnings: [] },
    });

    // The target already has a scan over other hosts: its host ids collide with the source's.
    const cfg = await places[dialect].config('copy-target');
    const pre = await openStore(cfg);
    const other = await pre.createScan({ settings: {} });
    await pre.insertRecords(
      other.id,
      Array.from({ length: 50 }, (_, i) => syntheticRecord(i, { hostIndex: 900_000 + i })),
    );
    await pre.close();

    const r1 = await copyStore({ dialect: 'sqlite', file: srcFile }, cfg, { page: 700 });
    expect(r1.problems).toEqual([]);
    const byTable = Object.fromEntries(r1.tables.map((t) => [t.table, t]));
    expect(byTable.observations).toMatchObject({ source: 5_000, target: 5_050, copied: 5_000 });
    expect(byTable.scans).toMatchObject({ source: 2, target: 3 });
    expect(byTable.triage_runs).toMatchObject({ source: 1, copied: 1 });

    const dst = await openStore(cfg);
    try {
      for (const s of [a, b]) {
        expect(await dst.report(s.id)).toEqual(await src.report(s.id));
        expect(await records(dst, s.id)).toEqual(await records(src, s.id));
      }
      expect(await dst.diff(a.id, b.id)).toEqual(await src.diff(a.id, b.id));
      expect((await dst.getScan(a.id))?.state).toBe('finished');
      // Re-run: nothing new, still verified.
      const r2 = await copyStore({ dialect: 'sqlite', file: srcFile }, cfg);
      expect(r2.problems).toEqual([]);
      expect(r2.tables.filter((t) => t.table !== 'scans').every((t) => t.copied === 0)).toBe(true);
      // More writes to the file, then copy again: only those arrive; done is recounted.
      await src.insertRecords(b.id, syntheticBatch(2_500, 100));
      const r3 = await copyStore({ dialect: 'sqlite', file: srcFile }, cfg);
      expect(r3.tables.find((t) => t.table === 'observations')?.copied).toBe(100);
      expect((await dst.getScan(b.id))?.done).toBe(2_600);
      const c = await tableCounts(dst);
      expect(c.obs).toBe(5_150);
      expect(c.hosts).toBe(2_600 + 50);
    } finally {
      await dst.close();
      await src.close();
    }
  });
});

describe('db copy refusals', () => {
  it('refuses a missing source file and copying a store onto itself', async () => {
    const missing = await copyStore({ dialect: 'sqlite', file: tmp.file('nope.db') }, { dialect: 'sqlite', file: tmp.file('t.db') }).catch(
      (e: unknown) => e,
    );
    expect(isEdgewatchError(missing, 'EW_STORE_COPY')).toBe(true);
    const f = tmp.file('self.db');
    await (await openStore({ dialect: 'sqlite', file: f })).close();
    const self = await copyStore({ dialect: 'sqlite', file: f }, { dialect: 'sqlite', file: f }).catch((e: unknown) => e);
    expect(isEdgewatchError(self, 'EW_STORE_COPY')).toBe(true);
  });
});

/** Runs the real CLI entry in-process, capturing what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const saved = { out: process.stdout.write, err: process.stderr.write, db: process.env.EDGEWATCH_DB, exit: process.exitCode };
  let out = '';
  let err = '';
  process.stdout.write = ((c: string | Uint8Array) => {
    out += String(c);
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => {
    err += String(c);
    return true;
  }) as typeof process.stderr.write;
  delete process.env.EDGEWATCH_DB;
  try {
    process.exitCode = undefined;
    const code = await main(args);
    return { code, out, err };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    if (saved.db !== undefined) process.env.EDGEWATCH_DB = saved.db;
    process.exitCode = saved.exit;
  }
}

describe('db CLI', () => {
  it('migrate, status and copy, with the password never printed', async () => {
    const file = tmp.file('cli.db');
    const missing = await cli(['db', 'status', '--db', file]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('EW_STORE_OPEN');
    const m1 = await cli(['db', 'migrate', '--db', file]);
    expect(m1.code, m1.err).toBe(0);
    expect(m1.out).toContain('0001_initial');
    expect((await cli(['db', 'migrate', '--db', file])).out).toContain('up to date');
    const st = await cli(['db', 'status', '--db', file]);
    expect(st.code).toBe(0);
    expect(st.out).toMatch(/dialect:\s+sqlite/);

    const down = await cli(['db', 'status', '--db', 'postgres://edgewatch:hunter2@127.0.0.1:1/x']);
    expect(down.code).toBe(2);
    expect(down.err).toContain('EW_STORE_OPEN');
    expect(down.err + down.out).not.toContain('hunter2');

    const src = await openStore({ dialect: 'sqlite', file });
    const s = await src.createScan({ settings: {} });
    await src.insertRecords(s.id, syntheticBatch(0, 300));
    await src.close();
    const target = PG_OK ? await places.postgres.config('cli-target') : { dialect: 'sqlite' as const, file: tmp.file('cli-t.db') };
    const to =
      target.dialect === 'postgres' ? target.url.replace('postgres://postgres@', 'postgres://postgres:pw-never-shown@') : target.file;
    const cp = await cli(['db', 'copy', '--from', file, '--to', to, '--quiet']);
    expect(cp.code, cp.err).toBe(0);
    expect(cp.out).toMatch(/observations\s+300\s+300\s+300/);
    expect(cp.out).toContain('verified');
    expect(cp.out + cp.err).not.toContain('pw-never-shown');
    expect((await cli(['db', 'copy', '--from', file, '--to', to, '--quiet'])).out).toMatch(/observations\s+300\s+300\s+0/);
  });
});
