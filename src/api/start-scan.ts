/**
 * Starting a scan from the API: runs `edgewatch scan` as a child process of the server (same
 * binary, same environment — so the server's scope guard, EDGEWATCH_SCOPE and exclusions apply
 * unchanged), with the targets in a temporary list file, and returns the new scan's id once the
 * child has created it. The child outlives the HTTP request; its output goes to the server's log.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgewatchError } from '../errors.js';
import type { Store } from '../store/types.js';
import type { StartScanRequest } from './routes/index.js';

const BIN = fileURLToPath(new URL('../../bin/edgewatch.js', import.meta.url));

export interface ScanStarterOptions {
  store: Store;
  /** The store as given to the child (`--db`). */
  db: string;
  /** Allow `lab: true` (lifts loopback from the reserved-range exclusions); set by `serve --lab`. */
  allowLab: boolean;
  /** Extra arguments for every scan (e.g. timeouts). */
  extraArgs?: string[];
  onLog?: (line: string) => void;
}

export function createScanStarter(o: ScanStarterOptions) {
  return async (req: StartScanRequest, actor: string): Promise<string> => {
    if (req.lab && !o.allowLab) throw new EdgewatchError('EW_API_LAB', 'this server was not started with --lab');
    for (const t of req.targets) {
      if (/^\s*-|[\r\n\0]/.test(t)) throw new EdgewatchError('EW_API_TARGET', `not a target: ${JSON.stringify(t.slice(0, 60))}`);
    }
    const nonce = randomBytes(4).toString('hex');
    const label = `${(req.label ?? 'api scan').replace(/\p{Cc}/gu, ' ').slice(0, 150)} (${actor.slice(0, 30)} ${nonce})`;
    const dir = mkdtempSync(join(tmpdir(), 'ew-api-scan-'));
    const list = join(dir, 'targets.txt');
    writeFileSync(list, `${req.targets.join('\n')}\n`);
    const args = [BIN, 'scan', '-l', list, '--db', o.db, '--label', label, '--silent', '--no-summary', ...(o.extraArgs ?? [])];
    if (req.ports?.length) args.push('-p', req.ports.join(','));
    if (req.lab) args.push('--lab');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 8000) stderr += d;
      for (const line of d.split('\n')) if (line.trim()) o.onLog?.(line.slice(0, 500));
    });
    let exited: number | null = null;
    child.on('exit', (code) => {
      exited = code ?? 2;
      rmSync(dir, { recursive: true, force: true });
    });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const found = (await o.store.listScans()).find((s) => s.label === label);
      if (found) return found.id;
      if (exited !== null) {
        const msg = stderr.split('\n').find((l) => l.includes('error')) ?? `scan exited with status ${exited}`;
        throw new EdgewatchError('EW_API_SCAN_FAILED', msg.replace(/^edgewatch: /, '').slice(0, 300));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGINT');
    throw new EdgewatchError('EW_API_SCAN_FAILED', 'the scan did not start within 30 s');
  };
}
