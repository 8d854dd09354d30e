/**
 * Micro-benchmark of the probe engine's client cost. Starts a keep-alive HTTPS (and HTTP)
 * server on 127.0.0.1 in a CHILD process (so process.cpuUsage() counts the client only), then
 * runs N host sessions doing 5 requests each (the shape of the Citrix check) and prints client
 * CPU per host and hosts/s. For comparison it also runs a bare `tls.connect` + one hand-written
 * request per host, and the parser alone.
 *
 *   npx tsx bench/net-session.ts [hosts=2000] [concurrency=32] [rounds=3]
 *
 * Loopback only; bounded in count (hosts ≤ 20,000) and time (each phase stops after 60 s).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ResponseParser } from '../src/net/http1.js';
import { createHostSession } from '../src/net/session.js';
import { DEFAULT_PROBE_OPTIONS, type ProbeOptions } from '../src/net/types.js';

const HOSTS = Math.min(20_000, Math.max(1, Number(process.argv[2] ?? 2000)));
const CONC = Math.min(512, Math.max(1, Number(process.argv[3] ?? 32)));
const ROUNDS = Math.min(9, Math.max(1, Number(process.argv[4] ?? 3)));
const PHASE_LIMIT_MS = 60_000;
const PATHS = [
  '/vpn/index.html',
  '/vpn/js/rdx/core/lang/rdx_en.json.gz',
  '/vpn/../vpns/cfg/smb.conf',
  '/vpn/js/%2e./.%2e/%76pns/cfg/smb.conf',
  '/vpn/../vpns/',
];

const SERVER = `
const tls = require('node:tls'), net = require('node:net'), fs = require('node:fs');
const body = 'x'.repeat(600);
const resp = 'HTTP/1.1 200 OK\\r\\nServer: bench\\r\\nContent-Type: text/html\\r\\nContent-Length: ' + body.length + '\\r\\n\\r\\n' + body;
function handler(sock) {
  sock.on('error', () => {});
  let buf = '';
  sock.on('data', (c) => {
    buf += c.toString('latin1');
    let i;
    while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) { buf = buf.slice(i + 4); sock.write(resp); }
  });
}
const s1 = tls.createServer({ key: fs.readFileSync(process.env.KEY), cert: fs.readFileSync(process.env.CERT) }, handler);
s1.on('tlsClientError', () => {});
const s2 = net.createServer(handler);
s1.listen(0, '127.0.0.1', () => s2.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ tls: s1.address().port, tcp: s2.address().port }) + '\\n');
}));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

function startServer(key: string, cert: string): Promise<{ child: ChildProcess; tls: number; tcp: number }> {
  const child = spawn(process.execPath, ['-e', SERVER], {
    env: { ...process.env, KEY: key, CERT: cert },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, ...(JSON.parse(out.slice(0, nl)) as { tls: number; tcp: number }) });
    });
    child.on('error', reject);
  });
}

async function pool(n: number, conc: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n && performance.now() - t0 < PHASE_LIMIT_MS) await job(next++);
  };
  await Promise.all(Array.from({ length: conc }, worker));
}

interface Phase {
  label: string;
  hosts: number;
  reqsPerHost: number;
  job: (i: number) => Promise<void>;
  /** CPU µs per host, one entry per round. */
  cpu: number[];
  rate: number[];
}

/** Run one round of a phase (after a short warm-up) and record CPU/host and hosts/s. */
async function round(ph: Phase): Promise<void> {
  await pool(Math.min(100, ph.hosts), CONC, ph.job);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await pool(ph.hosts, CONC, ph.job);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  ph.cpu.push((cpu.user + cpu.system) / ph.hosts);
  ph.rate.push((ph.hosts / wall) * 1000);
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

function report(ph: Phase): void {
  const perHost = median(ph.cpu);
  console.log(
    `${ph.label.padEnd(46)} ${(perHost / 1000).toFixed(3)} ms CPU/host ${(perHost / ph.reqsPerHost).toFixed(1).padStart(7)} µs/request ${Math.round(
      median(ph.rate),
    )
      .toString()
      .padStart(6)} hosts/s   rounds: ${ph.cpu.map((c) => (c / 1000).toFixed(2)).join(' ')}`,
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ew-bench-'));
  const key = join(dir, 'k.pem');
  const cert = join(dir, 'c.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=default BENCHX', '-days', '1', '-keyout', key, '-out', cert],
    {
      stdio: 'ignore',
    },
  );
  const srv = await startServer(key, cert);
  try {
    console.log(`hosts=${HOSTS} concurrency=${CONC} rounds=${ROUNDS} requests/host=${PATHS.length} node=${process.version}`);
    const tlsOpts: ProbeOptions = { ...DEFAULT_PROBE_OPTIONS, tls: true };
    const tcpOpts: ProbeOptions = { ...DEFAULT_PROBE_OPTIONS, tls: false };
    const phase = (label: string, hosts: number, reqsPerHost: number, job: (i: number) => Promise<void>): Phase => ({
      label,
      hosts,
      reqsPerHost,
      job,
      cpu: [],
      rate: [],
    });
    const phases: Phase[] = [
      phase('session TLS, 5 requests (the Citrix check)', HOSTS, PATHS.length, async () => {
        const s = createHostSession({ ip: '127.0.0.1', port: srv.tls }, tlsOpts);
        for (const path of PATHS) await s.request({ method: 'GET', path });
        s.tls();
        s.close();
      }),
      phase('bare tls.connect + 1 request (baseline)', HOSTS, 1, () => bareTls(srv.tls, 1)),
      phase('bare tls.connect + 5 requests (baseline)', HOSTS, PATHS.length, () => bareTls(srv.tls, PATHS.length)),
      phase('session TLS, 1 request', HOSTS, 1, async () => {
        const s = createHostSession({ ip: '127.0.0.1', port: srv.tls }, tlsOpts);
        await s.request({ method: 'GET', path: PATHS[0] });
        s.close();
      }),
      phase('session plain TCP, 50 requests', Math.ceil(HOSTS / 10), 50, async () => {
        const s = createHostSession({ ip: '127.0.0.1', port: srv.tcp }, tcpOpts);
        for (let i = 0; i < 50; i++) await s.request({ method: 'GET', path: PATHS[i % PATHS.length] });
        s.close();
      }),
      phase('bare net.connect + 50 requests (baseline)', Math.ceil(HOSTS / 10), 50, () => bareTcp(srv.tcp, 50)),
    ];
    // Interleaved rounds, median reported: the machine is shared and noisy.
    for (let r = 0; r < ROUNDS; r++) for (const ph of phases) await round(ph);
    for (const ph of phases) report(ph);
    const check = median(phases[0].cpu) / 1000;
    const base = median(phases[1].cpu) / 1000;
    const perReq = (median(phases[4].cpu) - median(phases[5].cpu)) / 50;
    console.log(
      `Citrix check ${check.toFixed(3)} ms = ${(check / base).toFixed(2)} x bare TLS+1 request (budget 1.5 x); session overhead over bare TCP ${perReq.toFixed(1)} µs/request (target <= 30)`,
    );

    // Parser alone.
    const resp = Buffer.from(
      `HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: text/html\r\nContent-Length: 600\r\n\r\n${'x'.repeat(600)}`,
    );
    const p = new ResponseParser({ maxHeaderBytes: 16384, maxBodyBytes: 262144 });
    const iters = 200_000;
    const c0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) {
      p.reset(false);
      p.feed(resp);
    }
    const cpu = process.cpuUsage(c0);
    console.log(
      `${'parser only (feed + reset), one 680-byte response'.padEnd(44)} ${((cpu.user + cpu.system) / iters).toFixed(2)} µs/response`,
    );
  } finally {
    srv.child.stdin?.end();
    srv.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

const BARE_REQ = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n';
const RESP_LEN = 680; // the bench server's response size

/** The floor: Node's own socket, `n` requests, each read until the known response size. */
function bare(s: Socket, n: number, resolve: () => void): void {
  let got = 0;
  let left = n;
  s.on('data', (c: Buffer) => {
    got += c.length;
    if (got >= RESP_LEN) {
      got -= RESP_LEN;
      if (--left === 0) {
        s.destroy();
        resolve();
      } else s.write(BARE_REQ);
    }
  });
}

function bareTls(port: number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => s.write(BARE_REQ));
    bare(s, n, resolve);
    s.on('error', reject);
  });
}

function bareTcp(port: number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => s.write(BARE_REQ));
    bare(s, n, resolve);
    s.on('error', reject);
  });
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
