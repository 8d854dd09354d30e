/**
 * `edgewatch import nuclei FILE`: read nuclei -jsonl results into one scan (src/import/nuclei).
 * Prints what was imported; broken lines go to stderr as `file:line: reason`. Exit 0 when every
 * line was imported, 1 when some lines were skipped (the rest is imported), 2 when nothing could be.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadChecks } from '../../checks/index.js';
import { dataDir } from '../../data-dir.js';
import { importNuclei, type KnownCheck } from '../../import/nuclei/index.js';
import { baseConfig, openConfiguredStore } from '../context.js';

interface ImportFlags {
  label?: string;
  again?: boolean;
  db?: string;
  config?: string;
  checks?: string;
  quiet?: boolean;
}

const SHOWN_PROBLEMS = 50;

export function registerImportCommands(program: Command): void {
  const imp = program.command('import').description('import results of other tools into the database');
  imp
    .command('nuclei')
    .description(
      'read nuclei -jsonl output into one scan (one observation per host; a matched CVE template means vulnerable), so it joins enrichment, cases and reports',
    )
    .argument('<file>', 'nuclei JSON Lines output (nuclei -jsonl -o FILE)')
    .option('--label <text>', 'label of the new scan, e.g. "nuclei day 1"')
    .option('--again', 'import into a new scan even when the same file content was imported before')
    .option('--checks <dir>', 'check files whose ids are recognised as template ids (default: the pack in use)')
    .option('--db <file>', 'database file (default edgewatch.db, or EDGEWATCH_DB)')
    .option('--config <file>', 'YAML config file')
    .option('-q, --quiet', 'print only the summary line')
    .action(async (file: string, flags: ImportFlags) => {
      const cfg = baseConfig(flags);
      const known = new Map<string, KnownCheck>();
      try {
        const paths = flags.checks ? resolve(flags.checks) : undefined;
        const checks = await loadChecks(paths, cfg.data_dir ? { packDataRoot: dataDir(cfg) } : {});
        for (const c of checks) known.set(c.id, { kind: c.kind, cves: c.info.cves ?? [], product: c.info.product });
      } catch (e) {
        process.stderr.write(
          `edgewatch: warning: checks not loaded (${(e as Error).message.split('\n')[0]}); edgewatch template ids are not recognised\n`,
        );
      }
      const store = await openConfiguredStore(cfg);
      try {
        const r = await importNuclei(store, file, { label: flags.label ?? null, again: flags.again, known });
        if (!flags.quiet) {
          for (const p of r.problems.slice(0, SHOWN_PROBLEMS)) process.stderr.write(`${file}:${p.line}: ${p.message}\n`);
          if (r.problemCount > SHOWN_PROBLEMS) process.stderr.write(`… and ${r.problemCount - SHOWN_PROBLEMS} more broken line(s)\n`);
        }
        const what =
          r.action === 'already'
            ? `already imported as scan ${r.scan.id} (same content); nothing written (use --again for a new scan)`
            : `${r.action === 'completed' ? 'completed the earlier import' : 'imported'} into scan ${r.scan.id}${r.scan.label ? ` (${r.scan.label})` : ''}`;
        process.stdout.write(
          `${what}: ${r.imported} result(s) from ${r.lines} line(s) → ${r.hosts} host(s), ${r.findings} vulnerable finding(s), ${r.compromised} compromised host(s), ${r.evidenceOnly} result(s) of other templates kept as evidence; ${r.problemCount} line(s) skipped\n`,
        );
        process.exitCode = r.problemCount > 0 ? 1 : 0;
      } finally {
        await store.close();
      }
    });
}
