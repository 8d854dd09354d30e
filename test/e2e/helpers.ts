/**
 * End-to-end helpers: run the real CLI (bin/edgewatch.js) as a child process against a lab started
 * in the test process, so scanner and lab each get a core. Loopback only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ScanRecord } from '../../src/scan/record.js';

const CVE = 'CVE-2019-19781';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'edgewatch.js');

export function tempDir(prefix = 'ew-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string } = {},
): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
  else child.stdin!.end();
  const done = new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}): Promise<CliResult> {
  return startCli(args, opts).done;
}

export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

interface Expect {
  status: string;
  reason: string | null;
  product: string | null;
  version: string | null;
  cve?: Record<string, string>;
  compromised?: string;
}

export function compareWithTruth(records: ScanRecord[], truth: Array<{ ip: string; persona: string; expect: { https?: Expect } }>) {
  const byIp = new Map(records.map((r) => [r.ip, r]));
  const mismatches: string[] = [];
  const personas = new Set<string>();
  for (const t of truth) {
    personas.add(t.persona);
    const e = t.expect.https;
    if (!e) continue;
    const r = byIp.get(t.ip);
    if (!r) {
      mismatches.push(`${t.ip} (${t.persona}): no record`);
      continue;
    }
    const got = {
      status: r.status,
      reason: r.status === 'ok' ? null : r.reason,
      product: r.product,
      version: r.version,
      cve: r.status === 'ok' ? r.cve[CVE] : undefined,
      compromised: r.compromised ?? 'unknown',
    };
    const want = {
      status: e.status,
      reason: e.status === 'ok' ? null : e.reason,
      product: e.product,
      version: e.version,
      cve: e.status === 'ok' ? e.cve?.[CVE] : undefined,
      compromised: e.compromised ?? 'unknown',
    };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      mismatches.push(`${t.ip} (${t.persona}): want ${JSON.stringify(want)} got ${JSON.stringify(got)} ${r.why?.[CVE] ?? r.detail ?? ''}`);
    }
  }
  return { mismatches, personas };
}
