/**
 * `npm run bench [-- NAME …]`: end-to-end benchmarks that print figures (not timed tests).
 * Everything runs on this machine: the lab in one child process, the scanner in another, traffic
 * only on 127.0.0.0/8. Every loop is bounded in count and time.
 *
 *   citrix-cpu   full Citrix check, scanner CPU per Citrix host (lab of Citrix personas only)
 *   throughput   hosts/s end to end on a 65,536-host lab with the default mix
 *   stream       1,048,576 targets streamed (no listeners: refused), peak RSS
 *   baseline     naive curl under xargs -P with the same requests, ratio to edgewatch
 *   checks-ratio issue #7: CPU of all shipped checks / CPU of the CVE-2019-19781 check alone, on a
 *                lab of Citrix personas (default 16,384 hosts; `--size N` for a smaller run)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'edgewatch.js');
const OUT = join(ROOT, 'bench', 'out');
mkdirSync(OUT, { recursive: true });
const ENV = { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8' };

interface LabHandle {
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startLab(range: string, port: number, extra: string[] = []): Promise<LabHandle> {
  const truth = join(OUT, `truth-${port}.jsonl`);
  rmSync(truth, { force: true });
  const child = spawn(
    process.execPath,
    [BIN, 'lab', '--range', range, '--https-port', String(port), '--http-port', '0', '--truth', truth, ...extra],
    {
      env: ENV,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const end = Date.now() + 120_000;
  while (!existsSync(truth)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error('lab did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    stop: () =>
      new Promise<void>((r) => {
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

interface ScanFigures {
  seconds: number;
  records: number;
  cpu: number;
  rssMb: number;
}

function scan(args: string[], nodeArgs: string[] = []): Promise<ScanFigures> {
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const db = join(OUT, `bench-${Date.now()}.db`);
    const child = spawn(
      process.execPath,
      [BIN, 'scan', '--lab', '--scope', '127.0.0.0/8', '--db', db, '--silent', '--no-summary', '--no-enrich', '--no-cases', ...args],
      {
        env: ENV,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      const m = /finished: (\d+) records this run, cpu ([\d.]+) s \(scanning phase\), peak RSS (\d+) MB/.exec(err);
      if (code !== 0 || !m) return rej(new Error(`scan failed (${code}): ${err.slice(-2000)}`));
      res({ seconds, records: Number(m[1]), cpu: Number(m[2]), rssMb: Number(m[3]) });
    });
  });
}

function bareTls(prefix: string, port: number, n: number): { cpuMsPerHost: number; hostsPerSec: number } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', 'bare-tls.mjs'), prefix, String(port), String(n), '200'], { encoding: 'utf8', timeout: 300_000 });
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}');
}

/** A directory holding only the named shipped checks (the scan's --checks takes a directory). */
function checksDir(ids: string[]): string {
  const dir = join(OUT, `checks-${ids.join('+')}`);
  mkdirSync(dir, { recursive: true });
  for (const id of ids) writeFileSync(join(dir, `${id}.yaml`), readFileSync(join(ROOT, 'checks', `${id}.yaml`)));
  return dir;
}

/** `--size N` (hosts, rounded up to a power of two, 256 … 65,536) for the checks-ratio scenario. */
function sizeFlag(def: number): number {
  const i = process.argv.indexOf('--size');
  const n = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(n) || n < 256 || n > 65_536) {
    console.error('--size takes a number of hosts between 256 and 65536');
    process.exit(2);
  }
  return 2 ** Math.ceil(Math.log2(n));
}

/** Shipped check ids of one kind (from the file names and the kind line), in file-name order. */
function shippedChecks(kind: 'fingerprint' | 'cve' | 'compromise'): string[] {
  return readdirSync(join(ROOT, 'checks'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .filter((f) => new RegExp(`^kind: ${kind}$`, 'm').test(readFileSync(join(ROOT, 'checks', f), 'utf8')))
    .map((f) => f.slice(0, -'.yaml'.length));
}

const lines: string[] = [];
function report(s: string): void {
  lines.push(s);
  console.log(s);
}

const CITRIX_MIX = {
  'citrix-vulnerable-12.1': 2,
  'citrix-vulnerable-13.0': 2,
  'citrix-mitigated': 3,
  'citrix-patched-first': 2,
  'citrix-patched-later': 1,
};

async function citrixCpu(): Promise<void> {
  const mix = join(OUT, 'citrix-mix.json');
  writeFileSync(mix, JSON.stringify(CITRIX_MIX));
  const lab = await startLab('127.40.0.0/18', 24443, ['--mix', mix, '--listen', 'wildcard']);
  try {
    // Interleave: bare baseline, scan, bare baseline — this VM's speed drifts by up to 2× over minutes.
    const bare1 = bareTls('127.40', 24443, 8192);
    // Issue #2's figure is for the fingerprint + CVE-2019-19781 check alone; the compromise
    // indicator checks (10 more GETs a Citrix host) are measured separately below.
    const f = await scan(['127.40.0.0/18', '-p', '24443', '-c', '200', '--checks', checksDir(['netscaler-fingerprint', 'CVE-2019-19781'])]);
    const all = await scan(['127.40.0.0/18', '-p', '24443', '-c', '200']);
    const bare2 = bareTls('127.40', 24443, 8192);
    const bare = (bare1.cpuMsPerHost + bare2.cpuMsPerHost) / 2;
    const ours = (f.cpu * 1000) / f.records;
    report(
      `citrix-cpu (all shipped checks incl. compromise indicators): ${((all.cpu * 1000) / all.records).toFixed(3)} ms/host = ${(((all.cpu * 1000) / all.records) / bare).toFixed(2)}× bare, ${(all.records / all.seconds).toFixed(0)} hosts/s`,
    );
    report(
      `citrix-cpu: all shipped checks / CVE-2019-19781 alone = ${((all.cpu / all.records) / (f.cpu / f.records)).toFixed(2)}× scanner CPU per host (target ≤ 1.5×, issue #7)`,
    );
    report(
      `citrix-cpu: ${f.records} Citrix hosts (vulnerable/mitigated/patched) in ${f.seconds.toFixed(1)} s = ${(f.records / f.seconds).toFixed(0)} hosts/s; scanner CPU ${ours.toFixed(3)} ms/host (scanning phase: TLS, all requests, classification, SQLite writes); bare TLS connect + 1 request in the same run ${bare.toFixed(3)} ms/host; ratio ${(ours / bare).toFixed(2)}×; peak RSS ${f.rssMb} MB`,
    );
  } finally {
    await lab.stop();
  }
}

async function throughput(): Promise<void> {
  const lab = await startLab('127.41.0.0/16', 24444, ['--listen', 'wildcard']);
  try {
    const f = await scan(['127.41.0.0/16', '-p', '24444', '-c', '1000', '--timeout', '3', '--total-timeout', '10']);
    report(
      `throughput: ${f.records} hosts (default mix) in ${f.seconds.toFixed(1)} s = ${(f.records / f.seconds).toFixed(0)} hosts/s end to end; scanner CPU ${((f.cpu * 1000) / f.records).toFixed(3)} ms/host; peak RSS ${f.rssMb} MB`,
    );
  } finally {
    await lab.stop();
  }
}

async function stream(): Promise<void> {
  // Memory is bounded by design (targets stream, records are written in batches, in-flight hosts
  // are capped by -c). The scan is run with node's defaults, as a user runs it: bin/edgewatch.js
  // itself keeps a scan's modules and V8's heap growth small (issue #2).
  const f = await scan(['127.64.0.0/12', '-p', '24445', '-c', '1000', '--timeout', '2']);
  report(
    `stream: ${f.records} targets (refused ports, node defaults) in ${f.seconds.toFixed(1)} s = ${(f.records / f.seconds).toFixed(0)} targets/s; peak RSS ${f.rssMb} MB (target ≤ 256); scanner CPU ${((f.cpu * 1e6) / f.records).toFixed(1)} µs/target`,
  );
}

async function baseline(): Promise<void> {
  const mix = join(OUT, 'citrix-mix.json');
  writeFileSync(mix, JSON.stringify(CITRIX_MIX));
  const lab = await startLab('127.42.0.0/21', 24446, ['--mix', mix, '--listen', 'wildcard']);
  try {
    const n = 2048;
    const ips: string[] = [];
    for (let i = 0; i < n; i++) ips.push(`127.42.${i >> 8}.${i & 255}`);
    const list = join(OUT, 'baseline-ips.txt');
    writeFileSync(list, `${ips.join('\n')}\n`);
    const paths = [
      '/vpn/index.html',
      '/vpn/js/rdx/core/lang/rdx_en.json.gz',
      '/vpn/js/edgewatch-probe-absent.js',
      '/vpn/../vpns/cfg/smb.conf',
    ];
    // The same requests with curl: one curl per host (reusing its connection for the GETs), plus
    // the HEAD, as nuclei-era one-liners do; --path-as-is keeps the traversal.
    const script = `ip="$1"; curl -sk --path-as-is --max-time 5 -o /dev/null ${paths.map((p) => `"https://$ip:24446${p}"`).join(' ')}; curl -sk --path-as-is --max-time 5 -I -o /dev/null "https://$ip:24446/vpn/../vpns/cfg/smb.conf"`;
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', ['-c', `xargs -P 64 -n 1 bash -c '${script.replace(/'/g, "'\\''")}' _ < ${list}`], {
      stdio: 'ignore',
      timeout: 600_000,
    });
    const curlSec = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) report(`baseline: curl run exited ${r.status}`);
    const f = await scan(['-l', list, '-p', '24446', '-c', '200']);
    report(
      `baseline: ${n} Citrix hosts — curl under xargs -P 64: ${curlSec.toFixed(1)} s (${(n / curlSec).toFixed(0)} hosts/s); edgewatch: ${f.seconds.toFixed(1)} s (${(n / f.seconds).toFixed(0)} hosts/s); edgewatch is ${(curlSec / f.seconds).toFixed(1)}× faster, and classifies`,
    );
  } finally {
    await lab.stop();
  }
}

/**
 * Issue #7: what the later, version-decided checks cost on top of CVE-2019-19781. Three scans of the
 * same Citrix lab: fingerprint + CVE-2019-19781 alone; all fingerprints + every CVE check; every
 * shipped check (adds the ten compromise-indicator GETs of issue #3). Runs alternate alone/all twice
 * because this VM's speed drifts; the ratios use the sums.
 */
async function checksRatio(): Promise<void> {
  const n = sizeFlag(16_384);
  const mix = join(OUT, 'checks-ratio-mix.json');
  writeFileSync(mix, JSON.stringify({ ...CITRIX_MIX, 'citrix-later-build': 2 }));
  const range = `127.45.0.0/${32 - Math.log2(n)}`;
  const lab = await startLab(range, 24451, ['--mix', mix, '--listen', n > 4096 ? 'wildcard' : 'per-address']);
  try {
    const fps = shippedChecks('fingerprint');
    const alone = checksDir(['netscaler-fingerprint', 'CVE-2019-19781']);
    const cves = checksDir([...fps, ...shippedChecks('cve')]);
    const args = (dir: string | null) => [range, '-p', '24451', '-c', '200', ...(dir ? ['--checks', dir] : [])];
    const sum = { alone: { cpu: 0, records: 0 }, cves: { cpu: 0, records: 0 }, all: { cpu: 0, records: 0 } };
    for (let round = 0; round < 2; round++) {
      for (const [k, dir] of [
        ['alone', alone],
        ['cves', cves],
        ['all', null],
      ] as const) {
        const f = await scan(args(dir));
        sum[k].cpu += f.cpu;
        sum[k].records += f.records;
      }
    }
    const per = (k: keyof typeof sum) => (sum[k].cpu * 1000) / sum[k].records;
    report(
      `checks-ratio (${n} Citrix hosts, ${fps.length} fingerprints, ${shippedChecks('cve').length} CVE checks): CVE-2019-19781 alone ${per('alone').toFixed(3)} ms/host; all CVE checks ${per('cves').toFixed(3)} ms/host = ${(per('cves') / per('alone')).toFixed(2)}×; all shipped checks incl. compromise indicators ${per('all').toFixed(3)} ms/host = ${(per('all') / per('alone')).toFixed(2)}× (target ≤ 1.5×)`,
    );
  } finally {
    await lab.stop();
  }
}

const ALL: Record<string, () => Promise<void>> = { 'citrix-cpu': citrixCpu, throughput, stream, baseline, 'checks-ratio': checksRatio };
const flagValues = new Set(process.argv.flatMap((a, i) => (a === '--size' ? [process.argv[i + 1]] : [])));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-') && !flagValues.has(a));
for (const name of wanted.length ? wanted : Object.keys(ALL)) {
  const fn = ALL[name];
  if (!fn) {
    console.error(`unknown benchmark ${name}; known: ${Object.keys(ALL).join(', ')}`);
    process.exit(2);
  }
  await fn();
}
writeFileSync(join(OUT, 'last-run.txt'), `${new Date().toISOString()}\n${lines.join('\n')}\n`);
