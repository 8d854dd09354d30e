/**
 * Store write benchmark: inserts synthetic ScanRecords (about 1.7 KB of JSON each) into a fresh
 * store — a temp SQLite file, or a fresh schema of a PostgreSQL database (dropped afterwards) — and
 * prints observations/s and peak RSS, then times the read queries on the result. Record generation
 * is excluded from the write timing; validation and JSON encoding are included (the store does them).
 *
 *   npx tsx bench/store-write.ts [--dialect sqlite|postgres|both] [--n 200000] [--batch 1000]
 *        [--paths auto|builder|both] [--writers 1] [--cves 1] [--pg postgres://postgres@127.0.0.1:5432/test] [--diff]
 *
 * `--writers K` (PostgreSQL) runs K concurrent writer loops on K pools, each on its own seq range of
 * the same scan, to show concurrent writers are safe and what they add. `--cves N` gives every
 * reachable record N CVE entries (12 = a scan with every shipped check; default 1, the figures
 * BENCHMARKS.md quotes). Loopback servers only.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openStore, type StoreOptions } from '../src/store/index.js';
import type { Store, StoreConfig } from '../src/store/types.js';
import { syntheticBatch } from '../test/store/synthetic.js';

const { values } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'sqlite' },
    n: { type: 'string' },
    records: { type: 'string' },
    batch: { type: 'string', default: '1000' },
    paths: { type: 'string', default: 'auto' },
    writers: { type: 'string', default: '1' },
    cves: { type: 'string', default: '1' },
    pg: { type: 'string', default: process.env.EDGEWATCH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test' },
    diff: { type: 'boolean', default: false },
  },
});
const N = Math.max(1, Math.min(Number(values.n ?? values.records ?? 200_000), 5_000_000));
const B = Math.max(1, Math.min(Number(values.batch), 100_000));
const W = Math.max(1, Math.min(Number(values.writers), 8));
const CVES = Math.max(1, Math.min(Number(values.cves) || 1, 12));
const dialects = values.dialect === 'both' ? ['sqlite', 'postgres'] : [values.dialect as string];
const pathsList = values.paths === 'both' ? (['auto', 'builder'] as const) : [values.paths as 'auto' | 'builder'];
const pgHost = new URL(values.pg as string).hostname;
if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(pgHost)) throw new Error('the benchmark only talks to a loopback PostgreSQL');

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const ms = (t: number) => `${t.toFixed(0)} ms`;

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

/** A fresh place to write: a temp file, or a new schema. Returns its config and a cleanup. */
async function freshStore(dialect: string): Promise<{ cfg: StoreConfig; where: () => string; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ew-bench-store-'));
    const file = join(dir, 'bench.db');
    return {
      cfg: { dialect: 'sqlite', file },
      where: () => `db file ${mb(statSync(file).size / 1024)}`,
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `ew_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: values.pg as string, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(values.pg as string);
  url.searchParams.set('options', `-c search_path=${schema}`);
  let size = '';
  return {
    cfg: { dialect: 'postgres', url: url.toString() },
    where: () => size,
    cleanup: async () => {
      const r = await admin.query(
        `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [schema],
      );
      size = `schema size ${r.rows[0]?.s}`;
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/**
 * CPU time (ms) used so far by every process named `postgres` on this machine (a loopback server
 * is local: its backends, WAL writer and checkpointer), from /proc; undefined where /proc is not
 * readable. Includes other clients of the same server, so read it on a quiet server.
 */
function pgServerCpuMs(): number | undefined {
  try {
    let ticks = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const close = stat.lastIndexOf(')');
      if (!stat.slice(stat.indexOf('(') + 1, close).startsWith('postgres')) continue;
      const f = stat.slice(close + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    }
    return ticks * 10;
  } catch {
    return undefined;
  }
}

let cpuUs = 0;
async function writeRange(store: Store, scanId: string, from: number, to: number): Promise<number> {
  let writeMs = 0;
  for (let i = from; i < to; i += B) {
    const batch = syntheticBatch(i, Math.min(B, to - i), { cves: CVES });
    const t = performance.now();
    const c = process.cpuUsage();
    await store.insertRecords(scanId, batch);
    const cu = process.cpuUsage(c);
    cpuUs += cu.user + cu.system;
    writeMs += performance.now() - t;
  }
  return writeMs;
}

for (const dialect of dialects) {
  for (const paths of pathsList) {
    const tag = `[${dialect} ${paths}${W > 1 ? ` ×${W}` : ''}]`;
    const place = await freshStore(dialect);
    try {
      const opts: StoreOptions = { paths };
      const store = await openStore(place.cfg, opts);
      const scan = await store.createScan({ label: 'bench', settings: {} });
      const bytes = JSON.stringify(syntheticBatch(0, 1, { cves: CVES })[0]).length;
      let rate: number;
      let took: number;
      cpuUs = 0;
      const serverBefore = dialect === 'postgres' ? pgServerCpuMs() : undefined;
      if (W === 1) {
        took = await writeRange(store, scan.id, 0, N);
        rate = Math.round((N / took) * 1000);
      } else {
        // K writers, each with its own store (pool) and seq range; wall-clock rate.
        const extra = await Promise.all(Array.from({ length: W - 1 }, () => openStore(place.cfg, opts)));
        const stores = [store, ...extra];
        const per = Math.ceil(N / W);
        const t = performance.now();
        await Promise.all(stores.map((s, k) => writeRange(s, scan.id, k * per, Math.min(N, (k + 1) * per))));
        took = performance.now() - t;
        rate = Math.round((N / took) * 1000);
        for (const s of extra) await s.close();
      }
      const serverAfter = dialect === 'postgres' ? pgServerCpuMs() : undefined;
      const server =
        serverBefore !== undefined && serverAfter !== undefined
          ? `; PostgreSQL server CPU ${(((serverAfter - serverBefore) * 1000) / N).toFixed(1)} µs per observation (all postgres processes)`
          : '';
      console.log(`${tag} wrote ${N} observations (~${bytes} B JSON each, batches of ${B}${CVES > 1 ? `, ${CVES} CVEs per reachable record` : ''}) in ${ms(took)}: ${rate} observations/s; this process's CPU ${(cpuUs / N).toFixed(1)} µs per observation${W > 1 ? ' (overlapping writers: approximate)' : ''}${server}`);

      const [seqs, tSeqs] = await time(() => store.doneSeqs(scan.id));
      const [rep, tRep] = await time(() => store.report(scan.id));
      let n = 0;
      const [, tIter] = await time(async () => {
        for await (const _ of store.iterateRecords(scan.id)) n++;
      });
      console.log(
        `${tag} doneSeqs ${seqs.size} in ${ms(tSeqs)}; report in ${ms(tRep)} (${rep.byStatus.length} statuses); iterate ${n} in ${ms(tIter)} (${Math.round((n / tIter) * 1000)}/s)`,
      );
      if ((await store.getScan(scan.id))?.done !== N || seqs.size !== N) throw new Error('benchmark store lost or duplicated records');
      if (values.diff) {
        const scan2 = await store.createScan({ label: 'bench 2', settings: {} });
        for (let i = 0; i < N; i += B) await store.insertRecords(scan2.id, syntheticBatch(i, Math.min(B, N - i), { salt: 1, cves: CVES }));
        const [rows, tDiff] = await time(() => store.diff(scan.id, scan2.id));
        console.log(`${tag} diff ${rows.length} rows in ${ms(tDiff)}`);
      }
      await store.close();
      if (dialect === 'sqlite') console.log(`${tag} ${place.where()}; peak RSS so far ${mb(process.resourceUsage().maxRSS)}`);
    } finally {
      await place.cleanup();
      if (dialect === 'postgres') console.log(`${tag} ${place.where()}; peak RSS so far ${mb(process.resourceUsage().maxRSS)}`);
    }
  }
}
