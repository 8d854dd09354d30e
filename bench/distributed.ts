/**
 * Distributed vs single-process throughput on the N-host lab (issue #6): the same scan run once by
 * one `edgewatch scan` process, then by a coordinator (`scan --distributed`) and W `edgewatch worker`
 * processes on a private redis-server (random loopback port, AOF on, temp dir). Prints hosts/s of
 * both, their ratio, and the batch overhead per target (coordinator CPU, worker CPU beyond the
 * single process's, and the wall time a worker spends on a batch outside the scan loop).
 *
 *   npx tsx bench/distributed.ts [--hosts 65536] [--workers 2] [-c 1000] [--batch-size 512] [--store sqlite|postgres]
 *
 * `--store postgres` puts both runs' stores in fresh schemas of the local PostgreSQL (EDGEWATCH_TEST_PG
 * or postgres://postgres@127.0.0.1:5432/test; dropped afterwards), as a multi-machine set-up would.
 * Post-scan steps (enrichment, case update) are off in both runs (--no-enrich --no-cases): the
 * figure is scan throughput.
 *
 * Loopback only (lab on 127.43.0.0/16), bounded: at most 65,536 hosts, each run stops after 30 min.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'edgewatch.js');
const ENV = { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8' };
const RUN_LIMIT_MS = 30 * 60_000;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
}

const HOSTS = Math.min(65_536, Math.max(256, 2 ** Math.round(Math.log2(arg('--hosts', 65_536)))));
const WORKERS = Math.min(8, Math.round(arg('--workers', 2)));
const CONC = Math.min(5000, Math.round(arg('-c', 1000)));
const BATCH = Math.min(10_000, Math.round(arg('--batch-size', 512)));
const RANGE = `127.43.0.0/${32 - Math.log2(HOSTS)}`;
const PORT = 24447;
const DIR = mkdtempSync(join(tmpdir(), 'ew-bench-dist-'));
const REDIS_BIN = '/usr/bin/redis-server';
const STORE = (() => {
  const i = process.argv.indexOf('--store');
  const v = i < 0 ? 'sqlite' : process.argv[i + 1];
  if (v !== 'sqlite' && v !== 'postgres') throw new Error('--store must be sqlite or postgres');
  return v;
})();
const PG = process.env.EDGEWATCH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
if (STORE === 'postgres' && !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(PG).hostname)) throw new Error('loopback PostgreSQL only');
const schemas: string[] = [];

/** The --db value of one run: a SQLite file in DIR, or a fresh PostgreSQL schema. */
async function storeFor(name: string): Promise<string> {
  if (STORE === 'sqlite') return join(DIR, `${name}.db`);
  const schema = `ew_bench_dist_${name}_${process.pid}`;
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await c.end();
  }
  schemas.push(schema);
  const u = new URL(PG);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function dropSchemas(): Promise<void> {
  if (!schemas.length) return;
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  try {
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await c.end();
  }
}

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<number | null>;
}

function run(args: string[], bin = process.execPath, pre: string[] = [BIN]): Proc {
  const child = spawn(bin, [...pre, ...args], { env: ENV, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += String(d);
    if (err.length > 1_000_000) err = err.slice(-500_000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_LIMIT_MS);
  const done = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      r(code);
    }),
  );
  return { child, stderr: () => err, done };
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readLoad(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

function num(re: RegExp, text: string): number {
  const m = re.exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

async function main(): Promise<void> {
  if (!existsSync(REDIS_BIN)) throw new Error(`${REDIS_BIN} is needed`);
  mkdirSync(DIR, { recursive: true });
  const truth = join(DIR, 'truth.jsonl');
  const lab = run(['lab', '--range', RANGE, '--https-port', String(PORT), '--http-port', '0', '--truth', truth, '--listen', 'wildcard']);
  const redisPort = await freePort();
  const redis = run(
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', DIR, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'],
    REDIS_BIN,
    [],
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  try {
    await waitFor(() => existsSync(truth), 180_000, 'lab');
    const scanArgs = [RANGE, '-p', String(PORT), '--lab', '--timeout', '3', '--total-timeout', '10', '--no-summary', '--no-enrich', '--no-cases'];
    console.log(`distributed bench: ${HOSTS} hosts (${RANGE}), ${WORKERS} workers, -c ${CONC} in total, batches of ${BATCH}, store ${STORE}; load average before: ${readLoad()}`);

    // 1. Single process.
    let t0 = performance.now();
    const single = run(['scan', ...scanArgs, '-c', String(CONC), '--db', await storeFor('single'), '--silent']);
    if ((await single.done) !== 0) throw new Error(`single scan failed:\n${single.stderr().slice(-2000)}`);
    const singleS = (performance.now() - t0) / 1000;
    const singleCpu = num(/cpu ([\d.]+) s/, single.stderr());
    console.log(`single:      ${HOSTS} hosts in ${singleS.toFixed(1)} s = ${(HOSTS / singleS).toFixed(0)} hosts/s; cpu ${singleCpu.toFixed(1)} s (${((singleCpu * 1000) / HOSTS).toFixed(3)} ms/host)`);

    // 2. Coordinator + workers (workers exit when idle; the clock stops when the coordinator ends).
    const db = await storeFor('dist');
    // Migrate once before the workers open the store (several processes must not migrate a fresh schema at once).
    const mig = run(['db', 'migrate', '--db', db]);
    if ((await mig.done) !== 0) throw new Error(`db migrate failed:\n${mig.stderr().slice(-2000)}`);
    const per = Math.max(1, Math.floor(CONC / WORKERS));
    const workers = Array.from({ length: WORKERS }, () =>
      run(['worker', '--lab', '--db', db, '--redis', redisUrl, '-c', String(per), '--exit-when-idle', '3', '--stats-interval', '0']),
    );
    t0 = performance.now();
    const coord = run(['scan', '--distributed', ...scanArgs, '--db', db, '--redis', redisUrl, '--batch-size', String(BATCH), '--silent']);
    if ((await coord.done) !== 0) throw new Error(`distributed scan failed:\n${coord.stderr().slice(-2000)}`);
    const distS = (performance.now() - t0) / 1000;
    await Promise.all(workers.map((w) => w.done));
    const coordCpu = num(/coordinator cpu ([\d.]+) s/, coord.stderr());
    // Worker CPU from its first batch on (start-up, i.e. tsx and loading the checks, excluded as for the single scan).
    const wCpu = workers.map((w) => num(/\(([\d.]+) s since the first batch\)/, w.stderr()));
    const wJob = workers.map((w) => num(/in batches ([\d.]+) s/, w.stderr()));
    const wScan = workers.map((w) => num(/of which scanning ([\d.]+) s/, w.stderr()));
    const wHosts = workers.map((w) => num(/exiting: batches \d+, hosts (\d+)/, w.stderr()));
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const batches = Math.ceil(HOSTS / BATCH);
    console.log(
      `distributed: ${HOSTS} hosts in ${distS.toFixed(1)} s = ${(HOSTS / distS).toFixed(0)} hosts/s (${((singleS / distS) * 100).toFixed(0)} % of single's rate); ${batches} batches; hosts per worker ${wHosts.join(' / ')}`,
    );
    console.log(
      `cpu:         coordinator ${coordCpu.toFixed(2)} s (${((coordCpu * 1e6) / HOSTS).toFixed(1)} µs/target), workers ${wCpu.map((c) => c.toFixed(1)).join(' + ')} s; total ${(coordCpu + sum(wCpu)).toFixed(1)} s vs single ${singleCpu.toFixed(1)} s → overhead ${(((coordCpu + sum(wCpu) - singleCpu) * 1e6) / HOSTS).toFixed(1)} µs CPU/target`,
    );
    console.log(
      `batch wall:  workers spent ${sum(wJob).toFixed(1)} s in batches, ${sum(wScan).toFixed(1)} s of it in the scan loop → ${(((sum(wJob) - sum(wScan)) * 1e6) / HOSTS).toFixed(1)} µs/target outside it (store look-up of stored seqs, settings, queue round trips)`,
    );
  } finally {
    redis.child.kill('SIGTERM');
    lab.child.kill('SIGTERM');
    await Promise.all([redis.done, lab.done]);
    rmSync(DIR, { recursive: true, force: true });
    await dropSchemas().catch((e) => console.error(`could not drop schemas ${schemas.join(', ')}: ${e}`));
    console.log(`load average after: ${readLoad()} (2-core machine shared with other work: figures are noisy)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
