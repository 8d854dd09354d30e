/**
 * `edgewatch triage PATH [--json] [--host IP [--history]] [--db FILE]`: triage a collection taken
 * from one appliance (directory, .tar, .tar.gz/.tgz, .zip). Exit 0: no indicator of compromise or
 * of successful exploitation (attempts are low findings); 1: there is; 2: could not run.
 * `--host IP` stores the run in the scan database, joined to the host by IP; `--history` lists
 * that host's scans and triage runs.
 */
import type { Command } from 'commander';
import { EdgewatchError } from '../../errors.js';
import { printable, table } from '../../report/render.js';
import { hostHistory, saveTriageRun } from '../../store/triage.js';
import type { Store } from '../../store/types.js';
import { renderTriage } from '../../triage/render.js';
import { triage } from '../../triage/run.js';
import { triageExitCode } from '../../triage/types.js';
import { baseConfig, openConfiguredStore, parseIntFlag } from '../context.js';

interface TriageFlags {
  json?: boolean;
  host?: string;
  history?: boolean;
  db?: string;
  config?: string;
  maxFileMb?: number;
}

async function withStore<T>(flags: TriageFlags, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(baseConfig(flags));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function renderHistory(h: Awaited<ReturnType<typeof hostHistory>>): string {
  const out = [`History of ${h.ip}`, ''];
  out.push(`Triage runs (${h.triage.length})`);
  out.push(
    h.triage.length === 0
      ? '  none'
      : table(
          ['run', 'triaged', 'verdict', 'high', 'medium', 'low', 'version', 'collection'],
          h.triage.map((t) => [t.id, t.triaged_at, t.verdict, t.high, t.medium, t.low, t.version ?? '', t.collection]),
        ),
  );
  out.push('', `Scan observations (${h.scans.length})`);
  out.push(
    h.scans.length === 0
      ? '  none'
      : table(
          ['scan', 'scanned', 'port', 'status', 'version', 'compromised', 'CVEs'],
          h.scans.map((s) => [
            s.scan_id,
            s.scanned_at,
            s.port,
            s.status,
            s.version ?? '',
            s.compromised ?? '',
            Object.entries(s.cves)
              .map(([c, st]) => `${c}=${st}`)
              .join(' '),
          ]),
        ),
  );
  return out.join('\n');
}

export function registerTriageCommand(program: Command): void {
  program
    .command('triage')
    .summary('find indicators of compromise in a collection taken from one appliance')
    .description(
      'Triage a collection made by `edgewatch collect-script` (a directory, .tar, .tar.gz/.tgz or .zip).\n' +
        'Exit status: 0 no indicator of compromise or of successful exploitation (failed or blocked attempts are\n' +
        'low-confidence findings), 1 indicators found, 2 could not run.',
    )
    .argument('[path]', 'collection directory or archive')
    .option('--json', 'print the TriageReport as JSON')
    .option('--host <ip>', 'store the run in the database, joined to this host (by IP)')
    .option('--history', "with --host: list the host's scans and triage runs")
    .option('--max-file-mb <n>', 'skip collected files larger than this (default 512)', parseIntFlag('--max-file-mb', 1, 1024 * 1024))
    .option('--db <file>', 'database file (default edgewatch.db)')
    .option('--config <file>', 'YAML config file')
    .action(async (path: string | undefined, flags: TriageFlags) => {
      if (flags.history && !flags.host) throw new EdgewatchError('EW_CLI_USAGE', '--history needs --host IP');
      if (!path && !flags.history) throw new EdgewatchError('EW_CLI_USAGE', 'give the collection to triage (a directory or archive)');
      let code = 0;
      if (path) {
        const ac = new AbortController();
        const onSig = () => ac.abort(new EdgewatchError('EW_TRIAGE_ABORTED', 'interrupted', { exitCode: 130 }));
        process.once('SIGINT', onSig);
        let report: Awaited<ReturnType<typeof triage>>;
        try {
          report = await triage(path, {
            signal: ac.signal,
            limits: flags.maxFileMb ? { maxFileBytes: flags.maxFileMb * 1024 * 1024 } : undefined,
          });
        } finally {
          process.off('SIGINT', onSig);
        }
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderTriage(report)}\n`);
        code = triageExitCode(report);
        if (flags.host) {
          const host = flags.host;
          await withStore(flags, async (store) => {
            const run = await saveTriageRun(store, host, report);
            const seen = (await hostHistory(store, host)).scans.length;
            process.stderr.write(
              `edgewatch: stored triage run ${run.id} for ${printable(host)} (${seen === 0 ? 'no scan of this address yet' : `${seen} scan observation(s) of this address`})\n`,
            );
          });
        }
      }
      if (flags.history && flags.host) {
        const host = flags.host;
        await withStore(flags, async (store) => {
          const h = await hostHistory(store, host);
          process.stdout.write(flags.json && !path ? `${JSON.stringify(h, null, 2)}\n` : `${renderHistory(h)}\n`);
        });
      }
      process.exitCode = code;
    });
}
