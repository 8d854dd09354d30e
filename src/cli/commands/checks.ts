/**
 * `edgewatch checks list` and `edgewatch checks validate`: show the check pack and validate
 * check files. The default pack is `checks/` at the repository root (resolved from the source
 * location, not the working directory); `--checks DIR` picks another.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_CHECKS_DIR, formatIssue, loadChecks, REPO_ROOT, validateCheckFiles } from '../../checks/index.js';

/** Where the command writes (injectable for tests). */
export interface ChecksIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: ChecksIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

function packVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** Register `checks list` and `checks validate` on the program. */
export function registerChecksCommand(program: Command, io: ChecksIo = processIo): void {
  const checks = program.command('checks').description('list and validate check definitions (one YAML file per check)');

  checks
    .command('list')
    .description('list the checks of the pack: id, kind, product, CVEs, severity, file')
    .option('--checks <dir>', 'directory of check files (default: the shipped pack)')
    .option('-j, --jsonl', 'one JSON line per check')
    .action(async (flags: { checks?: string; jsonl?: boolean }) => {
      const dir = flags.checks ? resolve(flags.checks) : DEFAULT_CHECKS_DIR;
      const list = await loadChecks(dir);
      if (flags.jsonl) {
        const version = packVersion();
        for (const c of list) {
          io.out(
            `${JSON.stringify({
              id: c.id,
              kind: c.kind,
              cves: c.info.cves ?? [],
              vendor: c.info.vendor,
              product: c.info.product,
              severity: c.info.severity,
              file: relative(process.cwd(), resolve(c.file)) || c.file,
              pack_version: version,
            })}\n`,
          );
        }
        return;
      }
      const rows = [['ID', 'KIND', 'PRODUCT', 'CVES', 'SEVERITY', 'FILE']];
      for (const c of list) rows.push([c.id, c.kind, c.info.product, (c.info.cves ?? []).join(',') || '-', c.info.severity, c.file]);
      io.out(`${table(rows)}\n`);
    });

  checks
    .command('validate')
    .description('validate check files (default: the whole pack); exit 1 with file:line: path: message on problems')
    .argument('[files...]', 'check files or directories')
    .option('--checks <dir>', 'directory of check files (default: the shipped pack)')
    .action(async (files: string[], flags: { checks?: string }) => {
      const targets = files.length > 0 ? files : [flags.checks ? resolve(flags.checks) : DEFAULT_CHECKS_DIR];
      const results = await validateCheckFiles(targets);
      const issues = results.flatMap((r) => r.issues);
      for (const i of issues) io.err(`${formatIssue(i)}\n`);
      const ok = results.filter((r) => r.issues.length === 0).length;
      if (issues.length > 0) {
        io.err(`${results.length - ok} of ${results.length} check file(s) invalid\n`);
        process.exitCode = 1;
        return;
      }
      io.out(`${ok} check file(s) valid\n`);
    });
}
