/**
 * CLI of the store itself: `db migrate` (apply pending migrations, print them), `db status`
 * (dialect, redacted location, migrations), `db copy --from FILE.db --to URL` (copy a SQLite store
 * into another store, typically PostgreSQL; idempotent; verifies row counts). Locations are never
 * printed with their password.
 */
import type { Command } from 'commander';
import { EdgewatchError } from '../../errors.js';
import { migrateStore, type StoreStatus, storeStatus } from '../../store/admin.js';
import { copyStore } from '../../store/copy.js';
import { storeConfigFor } from '../../store/location.js';
import { baseConfig, configuredStore, parseIntFlag } from '../context.js';

interface DbFlags {
  db?: string;
  config?: string;
  json?: boolean;
}

function printStatus(s: StoreStatus): string {
  const lines = [
    `dialect:    ${s.dialect}`,
    `location:   ${s.location}${s.schema ? ` (schema ${s.schema})` : ''}`,
    `scans:      ${s.scans ?? '(no tables yet: run `edgewatch db migrate`)'}`,
    'migrations:',
    ...s.migrations.map((m) => `  ${m.appliedAt ? 'applied' : 'PENDING'}  ${m.name}${m.appliedAt ? `  ${m.appliedAt}` : ''}`),
    ...s.unknown.map((n) => `  UNKNOWN  ${n}  (written by a newer edgewatch)`),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('the store: migrations, status, copying a SQLite file to PostgreSQL');

  db.command('migrate')
    .description('apply pending migrations to the store (SQLite file or postgres:// URL) and list them')
    .option('--db <location>', 'SQLite file or postgres:// URL (default: config `db`, EDGEWATCH_DB, edgewatch.db)')
    .option('--config <file>', 'YAML config file')
    .option('--json', 'print the result as JSON')
    .action(async (flags: DbFlags) => {
      const r = await migrateStore(configuredStore(baseConfig(flags)));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ applied: r.applied, status: r.status }, null, 2)}\n`);
      } else {
        process.stdout.write(
          r.applied.length === 0
            ? `${r.location}: up to date (${r.status.migrations.length} migrations)\n`
            : `${r.location}: applied ${r.applied.length} migration${r.applied.length === 1 ? '' : 's'}:\n${r.applied.map((n) => `  ${n}\n`).join('')}`,
        );
      }
      process.exitCode = 0;
    });

  db.command('status')
    .description('dialect, location (password redacted) and migrations of the store; exits 1 when migrations are pending')
    .option('--db <location>', 'SQLite file or postgres:// URL (default: config `db`, EDGEWATCH_DB, edgewatch.db)')
    .option('--config <file>', 'YAML config file')
    .option('--json', 'print the status as JSON')
    .action(async (flags: DbFlags) => {
      const s = await storeStatus(configuredStore(baseConfig(flags)));
      process.stdout.write(flags.json ? `${JSON.stringify(s, null, 2)}\n` : printStatus(s));
      process.exitCode = s.pending.length > 0 ? 1 : 0;
    });

  db.command('copy')
    .description(
      'copy every table of a SQLite store into another store (typically PostgreSQL), in batches; safe to re-run (adds only what is missing); verifies row counts at the end',
    )
    .requiredOption('--from <file>', 'source SQLite store file')
    .option('--to <location>', 'target: postgres:// URL or SQLite file (default: config `db`, EDGEWATCH_DB)')
    .option('--config <file>', 'YAML config file')
    .option('--batch <n>', 'source rows read per batch (default 2000)', parseIntFlag('batch', 1, 50_000))
    .option('--quiet', 'no progress lines')
    .action(async (flags: { from: string; to?: string; config?: string; batch?: number; quiet?: boolean }) => {
      const from = storeConfigFor(flags.from);
      if (from.dialect !== 'sqlite') throw new EdgewatchError('EW_STORE_COPY', '--from must be a SQLite store file');
      const to = flags.to ? storeConfigFor(flags.to) : configuredStore(baseConfig({ config: flags.config }));
      let last = 0;
      const r = await copyStore(from, to, {
        page: flags.batch,
        onProgress: (table, done, total) => {
          const now = Date.now();
          if (!flags.quiet && (now - last > 1000 || done === total)) {
            last = now;
            process.stderr.write(`[edgewatch] copy ${table}: ${done}/${total}\n`);
          }
        },
      });
      const w = Math.max(5, ...r.tables.map((t) => t.table.length));
      process.stdout.write(`copied ${r.from} → ${r.to}\n`);
      process.stdout.write(`${'table'.padEnd(w)}  ${'source'.padStart(10)}  ${'target'.padStart(10)}  ${'new'.padStart(10)}\n`);
      for (const t of r.tables) {
        const cells = [t.source, t.target, t.copied].map((n) => String(n).padStart(10));
        process.stdout.write(`${t.table.padEnd(w)}  ${cells.join('  ')}\n`);
      }
      if (r.problems.length > 0) {
        throw new EdgewatchError('EW_STORE_COPY_VERIFY', `verification failed:\n  ${r.problems.join('\n  ')}`);
      }
      process.stdout.write('verified: the target holds every source row\n');
      process.exitCode = 0;
    });
}
