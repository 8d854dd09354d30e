/**
 * Issue #2 (bounded memory): `edgewatch scan` through the real bin loads only the scan command's
 * modules, not the other commands' (the distributed queue, the dashboard server, OpenPGP…), which
 * a scan would otherwise carry as live heap for its whole run. A module-resolution hook records
 * every module the child resolves; `scan status` (the full CLI) shows the hook does see them.
 * Targets are 16 loopback addresses on a port nothing listens on (refused); loopback only.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'edgewatch.js');
const dir = mkdtempSync(join(tmpdir(), 'ew-scan-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

writeFileSync(
  join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.EW_TEST_MODULE_LOG, r.url + '\\n');
  return r;
}
`,
);
writeFileSync(
  join(dir, 'probe.mjs'),
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`,
);

function run(args: string[], log: string): Promise<{ code: number | null; stderr: string; modules: string[] }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'probe.mjs')).href, BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8', EW_TEST_MODULE_LOG: log },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      let modules: string[] = [];
      try {
        modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
      } catch {}
      res({ code, stderr, modules });
    });
  });
}

const OTHER_COMMANDS = /\/(node_modules\/(bullmq|fastify|openpgp|mailparser)\/|src\/cli\/commands\/(worker|serve|import|cases)\.ts)/;

describe('edgewatch scan entry (bounded memory)', () => {
  it('a plain scan records every target and loads none of the other commands’ modules', async () => {
    const db = join(dir, 'scan.db');
    const r = await run(
      [
        'scan',
        '--lab',
        '--db',
        db,
        '--silent',
        '--no-summary',
        '--no-enrich',
        '--no-cases',
        '127.64.0.0/28',
        '-p',
        '24447',
        '--timeout',
        '2',
      ],
      join(dir, 'scan.log'),
    );
    expect(r.stderr).toMatch(/finished: 16 records this run/);
    expect(r.code).toBe(0);
    expect(r.modules.some((u) => u.endsWith('/src/cli/commands/scan-run.ts'))).toBe(true);
    expect(r.modules.filter((u) => OTHER_COMMANDS.test(u))).toEqual([]);
  });

  it('a usage error keeps the CLI exit status and message', async () => {
    const r = await run(['scan', '--lab', '--db', join(dir, 'usage.db'), '--scheme', 'gopher', '127.0.0.1'], join(dir, 'usage.log'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/edgewatch: error EW_CLI_USAGE: --scheme must be http or https/);
  });

  it('`scan status` still runs through the full CLI (the hook sees the queue modules there)', async () => {
    const r = await run(['scan', 'status', '--help'], join(dir, 'status.log'));
    expect(r.code).toBe(0);
    expect(r.modules.some((u) => OTHER_COMMANDS.test(u))).toBe(true);
  });
});
