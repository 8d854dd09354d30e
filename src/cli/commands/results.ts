/**
 * Result commands over the store: `scans` (list), `report SCAN`, `diff A B`, `export SCAN`.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EdgewatchError } from '../../errors.js';
import { createRecordSink, formatFromPath, openFileSink, type RecordFormat } from '../../report/output.js';
import { type ReportFormat, renderDiff, renderReport, table } from '../../report/render.js';
import type { Store } from '../../store/types.js';
import { baseConfig, openConfiguredStore } from '../context.js';

interface StoreFlags {
  db?: string;
  config?: string;
}

const FORMATS = ['table', 'markdown', 'json', 'csv'];

function checkFormat(f: string | undefined): ReportFormat {
  const v = f ?? 'table';
  if (!FORMATS.includes(v)) throw new EdgewatchError('EW_CLI_USAGE', `--format must be one of ${FORMATS.join(', ')}`);
  return v as ReportFormat;
}

async function withStore<T>(flags: StoreFlags, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(baseConfig(flags));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `latest`, `previous`, an id, or an unambiguous id prefix. */
async function pickScan(store: Store, ref: string | undefined, offset = 0): Promise<string> {
  const scans = await store.listScans();
  if (scans.length === 0) throw new EdgewatchError('EW_SCAN_NOT_FOUND', 'the database has no scans yet; run `edgewatch scan` first');
  if (!ref || ref === 'latest') {
    const s = scans[offset];
    if (!s) throw new EdgewatchError('EW_SCAN_NOT_FOUND', `there is no scan #${offset + 1} from the latest`);
    return s.id;
  }
  if (ref === 'previous') {
    if (!scans[1]) throw new EdgewatchError('EW_SCAN_NOT_FOUND', 'there is no previous scan');
    return scans[1].id;
  }
  const matches = scans.filter((s) => s.id === ref || s.id.startsWith(ref) || s.label === ref);
  if (matches.length === 1) return matches[0].id;
  if (matches.length === 0) throw new EdgewatchError('EW_SCAN_NOT_FOUND', `no scan matches "${ref}"`);
  throw new EdgewatchError('EW_SCAN_AMBIGUOUS', `"${ref}" matches ${matches.length} scans; give more of the id`);
}

export function registerResultCommands(program: Command): void {
  program
    .command('scans')
    .summary('list scans in the database')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .option('-j, --jsonl', 'one JSON line per scan')
    .action(async (flags: StoreFlags & { jsonl?: boolean }) => {
      await withStore(flags, async (store) => {
        const scans = await store.listScans();
        if (flags.jsonl) {
          for (const s of scans) process.stdout.write(`${JSON.stringify(s)}\n`);
          return;
        }
        process.stdout.write(
          `${table(
            ['id', 'label', 'state', 'started', 'finished', 'recorded', 'total'],
            scans.map((s) => [s.id, s.label ?? '', s.state, s.started_at, s.finished_at ?? '', s.done, s.total ?? '']),
          )}\n`,
        );
      });
    });

  program
    .command('report')
    .summary('counts by classification, status and firmware build for a scan')
    .argument('[scan]', 'scan id, id prefix, label, `latest` (default) or `previous`')
    .option('--format <format>', 'table (default), markdown, json or csv')
    .option('--tlp <label>', 'TLP label printed on the report', 'AMBER')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (ref: string | undefined, flags: StoreFlags & { format?: string; tlp: string }) => {
      const format = checkFormat(flags.format);
      await withStore(flags, async (store) => {
        const id = await pickScan(store, ref);
        process.stdout.write(`${renderReport(await store.report(id), format, flags.tlp.toUpperCase())}\n`);
      });
    });

  program
    .command('diff')
    .summary('what changed between two scans (newly patched, newly mitigated, still vulnerable, gone unreachable)')
    .argument('[from]', 'earlier scan (default: the one before the latest)')
    .argument('[to]', 'later scan (default: the latest)')
    .option('--format <format>', 'table (default), markdown, json or csv')
    .option('--counts-only', 'only the counts per change')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (a: string | undefined, b: string | undefined, flags: StoreFlags & { format?: string; countsOnly?: boolean }) => {
      const format = checkFormat(flags.format);
      await withStore(flags, async (store) => {
        const from = a ? await pickScan(store, a) : await pickScan(store, undefined, 1);
        const to = b ? await pickScan(store, b) : await pickScan(store, undefined, 0);
        process.stdout.write(`${renderDiff(from, to, await store.diff(from, to), format, !flags.countsOnly)}\n`);
      });
    });

  program
    .command('export')
    .summary('write the records of a scan as JSON Lines or CSV')
    .argument('[scan]', 'scan id, prefix, label or `latest` (default)')
    .option('-o, --output <file>', 'output file (default stdout)')
    .option('--format <format>', 'jsonl (default) or csv')
    .option('--db <file>', 'database file')
    .option('--config <file>', 'YAML config file')
    .action(async (ref: string | undefined, flags: StoreFlags & { output?: string; format?: string }) => {
      await withStore(flags, async (store) => {
        const id = await pickScan(store, ref);
        const format = (flags.format ?? (flags.output ? formatFromPath(flags.output) : 'jsonl')) as RecordFormat;
        if (format !== 'jsonl' && format !== 'csv') throw new EdgewatchError('EW_CLI_USAGE', '--format must be jsonl or csv');
        const rep = await store.report(id);
        const cves = Object.keys(rep.byCve);
        const sink = flags.output ? openFileSink(resolve(flags.output), format, cves) : createRecordSink(process.stdout, format, cves);
        let batch = [];
        for await (const r of store.iterateRecords(id)) {
          batch.push(r);
          if (batch.length >= 1000) {
            await sink.write(batch);
            batch = [];
          }
        }
        await sink.write(batch);
        await sink.close();
      });
    });
}
