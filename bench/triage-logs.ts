/**
 * `npx tsx bench/triage-logs.ts [MB] [--own-reader]`: access-log analysis throughput (issue 3:
 * ≥ 200 MB/s on plain logs, bounded memory). Generates, under os.tmpdir(), a collection with a
 * plain `httpaccess.log` of MB MiB (default 1024) of Gateway traffic (1 line in 15 is Receiver's
 * `/vpns/services.html`, ~0.1% attack lines), plus two gzip rotations (`.0.gz`, `.1.gz`, each MB/8
 * decompressed); runs analyzeLogs over it in a child process (through the real directory reader,
 * or with `--own-reader` a minimal one in this file) and prints MB/s (plain, gzip, both) and the
 * child's peak RSS; then runs `LC_ALL=C grep -E -c` with the same patterns on the plain file and
 * prints the time ratio. Everything generated is deleted at the end. Bounded: one pass each.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { analyzeLogs } from '../src/triage/logs/index.js';
import { openCollection } from '../src/triage/open.js';
import type { Collection, CollectionFile } from '../src/triage/types.js';

const CHILD = process.argv[2] === '--child';
const OWN = process.argv.includes('--own-reader');
const READER = OWN ? 'own' : 'real';
const MB = CHILD ? 0 : Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? process.env.EW_BENCH_MB ?? 1024);
const root = CHILD ? process.argv[3] : mkdtempSync(join(tmpdir(), 'ew-bench-triage-'));
const logDir = join(root, 'fs', 'var', 'log');
if (!CHILD) mkdirSync(logDir, { recursive: true });

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ORDINARY = [
  'GET /vpn/index.html HTTP/1.1" 200 1911',
  'GET /logon/LogonPoint/index.html HTTP/1.1" 200 4122',
  'GET /logon/LogonPoint/tmindex.html HTTP/1.1" 200 3300',
  'POST /cgi/login HTTP/1.1" 302 0',
  'GET /cgi/setclient?wica HTTP/1.1" 200 88',
  'GET /vpn/js/rdx/core/lang/rdx_en.json.gz HTTP/1.1" 200 8422',
  'GET /logon/themes/Default/css/base.css HTTP/1.1" 304 -',
  'GET /vpn/images/AccessGateway.ico HTTP/1.1" 200 9662',
  'GET /vpns/services.html HTTP/1.1" 200 1023',
  'GET /Citrix/StoreWeb/Resources/List HTTP/1.1" 200 20931',
  'GET /logon/LogonPoint/receiver/js/ctxs.core.min.js?v=4d5e HTTP/1.1" 200 300122',
  'GET /epa/epa.html HTTP/1.1" 200 1210',
  'GET /vpn/pluginlist.xml HTTP/1.1" 200 3012',
  'POST /cgi/resources/list?q=%2Fapps HTTP/1.1" 200 1456',
  'GET /menu/neo HTTP/1.1" 302 -',
];
const ATTACK = [
  'POST /vpn/../vpns/portal/scripts/newbm.pl HTTP/1.1" 200 143',
  'GET /vpn/../vpns/portal/a1b2c3.xml HTTP/1.1" 200 782',
  'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1" 200 83',
  'GET /vpn/js/%2e./.%2e/%76pns/cfg/smb.conf HTTP/1.1" 403 -',
  'POST /vpns/portal/scripts/newbm.pl HTTP/1.1" 304 -',
  'GET /vpn/../vpns/portal/x.xml HTTP/1.1" 404 211',
  'GET /vpn/themes/imgs/tiny.php HTTP/1.1" 200 12',
];
const UA = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.117 Safari/537.36',
  'CitrixReceiver/19.12.0.71 Windows/10.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 13_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'curl/7.64.1',
];

/** One ~4 MiB block of lines; attack lines at ~0.1%. */
function block(seed: number): Buffer {
  const r = rng(seed);
  const out: string[] = [];
  let len = 0;
  let sec = seed * 1000;
  while (len < 4 * 1024 * 1024) {
    sec += Math.floor(r() * 3);
    const d = new Date(Date.UTC(2020, 0, 10) + sec * 1000);
    const ts = `${String(d.getUTCDate()).padStart(2, '0')}/Jan/2020:${d.toISOString().slice(11, 19)} +0000`;
    const ip = `${10 + Math.floor(r() * 200)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}`;
    const req = r() < 0.001 ? ATTACK[Math.floor(r() * ATTACK.length)] : ORDINARY[Math.floor(r() * ORDINARY.length)];
    const l = `${ip} - - [${ts}] "${req} "https://gw.example.org/logon/LogonPoint/tmindex.html" "${UA[Math.floor(r() * UA.length)]}" "Time: ${Math.floor(r() * 90000)} microsecs"\n`;
    out.push(l);
    len += l.length;
  }
  return Buffer.from(out.join(''), 'latin1');
}

async function writeLog(path: string, bytes: number, seed: number, gzip: boolean): Promise<void> {
  const file = createWriteStream(path);
  const gz = gzip ? createGzip({ level: 1 }) : null;
  if (gz) gz.pipe(file);
  const sink = gz ?? file;
  const blocks = Array.from({ length: 8 }, (_, i) => block(seed * 100 + i));
  for (let written = 0, i = 0; written < bytes; i++) {
    const b = blocks[i % blocks.length];
    if (!sink.write(b)) await once(sink, 'drain');
    written += b.length;
  }
  sink.end();
  await once(file, 'close');
}

/** Minimal directory-backed Collection (`dir/fs/<appliance path>`), 1 MiB reads. */
class BenchCollection implements Collection {
  readonly warnings: string[] = [];
  constructor(
    readonly name: string,
    private readonly list: CollectionFile[],
  ) {}
  files(): readonly CollectionFile[] {
    return this.list;
  }
  has(p: string): boolean {
    return this.list.some((f) => f.path === p);
  }
  open(p: string): NodeJS.ReadableStream {
    return createReadStream(join(this.name, 'fs', p), { highWaterMark: 1024 * 1024 });
  }
  async meta(): Promise<string | null> {
    return null;
  }
  async close(): Promise<void> {}
}

const VPNS = '(v|%76)(p|%70)(n|%6[eE])(s|%73)';
const EXT = '((x|%78)(m|%6[dD])(l|%6[cC])|(p|%70)(l|%6[cC])|(c|%63)(o|%6[fF])(n|%6[eE])(f|%66))';
/** The access rules as one grep -E alternation (statuses of the rules; webshell as x1sec greps it). */
const GREP = `/${VPNS}/[^ ]*(\\.|%2[eE])${EXT}(\\?[^ ]*)? HTTP/[0-9.]+" (200|304|401|404) |/${VPNS}/[^"]*" 403 |/(support|shared|n_top|vpn|themes)/[^ ]*\\.php HTTP/1\\.1" 20[01]`;

interface Figures {
  bytes: number;
  wall: number;
  cpu: number;
  rssMb: number;
  findings: number;
  timeline: number;
  checked: string[];
}

/** Child mode: analyse the named files of the collection at `dir`, print figures as JSON. */
async function child(dir: string, reader: string, names: string[]): Promise<void> {
  const list = names.map((n) => ({ path: `/var/log/${n}`, size: statSync(join(dir, 'fs', 'var', 'log', n)).size }));
  const t = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let c: Collection;
  if (reader === 'real') {
    // the reader `edgewatch triage DIR` uses, restricted to the files of this run
    const real = await openCollection(dir, { limits: { maxFileBytes: 64 * 1024 ** 3, maxTotalBytes: 256 * 1024 ** 3 } });
    if (real.warnings.length) process.stderr.write(`reader warnings: ${real.warnings.join('; ')}\n`);
    const wanted = new Set(list.map((f) => f.path));
    const files = real.files().filter((f) => wanted.has(f.path));
    c = {
      name: real.name,
      warnings: real.warnings,
      files: () => files,
      has: (p) => real.has(p),
      open: (p) => real.open(p),
      meta: (n) => real.meta(n),
      close: () => real.close(),
    };
  } else {
    c = new BenchCollection(dir, list);
  }
  const a = await analyzeLogs(c);
  const cpu = process.cpuUsage(c0);
  const f: Figures = {
    bytes: a.bytes,
    wall: Number(process.hrtime.bigint() - t) / 1e9,
    cpu: (cpu.user + cpu.system) / 1e6,
    rssMb: process.resourceUsage().maxRSS / 1024,
    findings: a.findings.length,
    timeline: a.timeline.length,
    checked: [...a.checked, ...a.notChecked.filter((x) => x.startsWith('/')).map((x) => `NOT CHECKED ${x}`)],
  };
  process.stdout.write(JSON.stringify(f));
}

/** Runs one analysis in a fresh process so that its peak RSS is its own. */
function measure(names: string[]): Figures {
  const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', root, READER, ...names], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`analysis child failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Figures;
}

const rate = (mb: number, s: number): string => `${(mb / s).toFixed(0)} MB/s`;

async function main(): Promise<void> {
  const t0 = Date.now();
  const plain = join(logDir, 'httpaccess.log');
  await writeLog(plain, MB * 1024 * 1024, 1, false);
  await writeLog(join(logDir, 'httpaccess.log.0.gz'), (MB / 8) * 1024 * 1024, 2, true);
  await writeLog(join(logDir, 'httpaccess.log.1.gz'), (MB / 8) * 1024 * 1024, 3, true);
  const names = ['httpaccess.log', 'httpaccess.log.0.gz', 'httpaccess.log.1.gz'];
  mkdirSync(join(root, 'meta'));
  writeFileSync(join(root, 'meta', 'collect.txt'), 'hostname: bench\ncollected_at: 2020-02-01T00:00:00Z\n');
  console.log(
    `reader: ${OWN ? 'bench-local directory Collection (1 MiB reads)' : 'src/triage/open.ts openCollection (the one `edgewatch triage DIR` uses)'}`,
  );
  console.log(
    `generated in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${names.map((n) => `${n} ${(statSync(join(logDir, n)).size / 1e6).toFixed(0)} MB`).join(', ')}`,
  );
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${cpus().length} cores)`,
  );
  // warm the page cache for a fair comparison with grep (both read the same cached file)
  spawnSync('cat', [plain], { stdio: ['ignore', 'ignore', 'ignore'] });

  for (const [label, set] of [
    ['plain', names.slice(0, 1)],
    ['gzip ', names.slice(1)],
    ['all  ', names],
  ] as const) {
    const f = measure([...set]);
    const mb = f.bytes / 1e6;
    console.log(
      `${label}: ${mb.toFixed(0)} MB decoded in ${f.wall.toFixed(2)} s wall = ${rate(mb, f.wall)} (CPU ${f.cpu.toFixed(2)} s = ${rate(mb, f.cpu)}); peak RSS ${f.rssMb.toFixed(0)} MB; ${f.findings} findings, ${f.timeline} timeline events`,
    );
    if (label === 'all  ') console.log(`       ${f.checked.join('; ')}`);
    if (label === 'plain') plainFigures = f;
  }

  const plainMB = (plainFigures as Figures).bytes / 1e6;
  let s = process.hrtime.bigint();
  const gr = spawnSync('grep', ['-E', '-c', GREP, plain], { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' });
  const grepSec = Number(process.hrtime.bigint() - s) / 1e9;
  console.log(
    `grep -E (LC_ALL=C, same patterns): ${gr.stdout.trim()} lines in ${grepSec.toFixed(2)} s = ${rate(plainMB, grepSec)}; edgewatch time / grep time = ${((plainFigures as Figures).wall / grepSec).toFixed(2)}`,
  );
  s = process.hrtime.bigint();
  const gz0 = join(logDir, 'httpaccess.log.0.gz');
  const zg = spawnSync('sh', ['-c', 'gzip -dc "$1" | grep -E -c "$2"', 'sh', gz0, GREP], {
    env: { ...process.env, LC_ALL: 'C' },
    encoding: 'utf8',
  });
  const zgSec = Number(process.hrtime.bigint() - s) / 1e9;
  console.log(
    `gzip -dc | grep -E on one rotation: ${zg.stdout.trim()} lines in ${zgSec.toFixed(2)} s = ${rate(((MB / 8) * 1048576) / 1e6, zgSec)}`,
  );
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

let plainFigures: Figures | undefined;

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], process.argv.slice(5));
} else {
  try {
    await main();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
