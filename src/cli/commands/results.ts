/**
 * Result commands over the store: `scans` (list), `report SCAN` (counts, attribution, trend, host
 * view), `diff A B`, `export SCAN` (records, IntelMQ, Shadowserver-style CSV, STIX 2.1, MISP).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EdgewatchError } from '../../errors.js';
import { EXPORT_FORMATS, type ExportFormat, runExport } from '../../report/exports/index.js';
import { parseTlp, reportMeta } from '../../report/meta.js';
import { type BaseSection, type ReportFormat, renderDiff, table } from '../../report/render.js';
import { type FullReport, renderFullReport } from '../../report/render-attribution.js';
import { createHostViewSink } from '../../report/render-hosts.js';
import { buildAttribution, scanSources } from '../../store/report-attribution.js';
import { validateFilter } from '../../store/report-filter.js';
import { iterateHostRows, scanCves } from '../../store/report-hosts.js';
import { buildTrend } from '../../store/report-trend.js';
import { ATTRIBUTION_DIMS, type AttributionDim, type ReportFilter } from '../../store/report-types.js';
import type { ScanRow, Store } from '../../store/types.js';
import { baseConfig, openConfiguredStore } from '../context.js';
import { pickScan } from '../scan-ref.js';

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

const BASE_SECTIONS: readonly BaseSection[] = ['status', 'version', 'cve'];
const BY_VALUES = [...BASE_SECTIONS, ...ATTRIBUTION_DIMS] as const;
const DEFAULT_BY = ['cve', 'status', 'version', 'country', 'sector', 'org', 'asn'];

function splitList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

function parseBy(v: string | undefined): { sections: Set<BaseSection>; dims: AttributionDim[] } {
  const list = splitList(v) ?? DEFAULT_BY;
  for (const b of list) {
    if (!(BY_VALUES as readonly string[]).includes(b))
      throw new EdgewatchError('EW_REPORT_OPTION', `--by "${b}" is not one of ${BY_VALUES.join(', ')}`);
  }
  return {
    sections: new Set(list.filter((b): b is BaseSection => (BASE_SECTIONS as readonly string[]).includes(b))),
    dims: ATTRIBUTION_DIMS.filter((d) => list.includes(d)),
  };
}

interface FilterFlags {
  cve?: string;
  state?: string;
  org?: string;
  sector?: string;
  country?: string;
}

function filterFrom(flags: FilterFlags): ReportFilter {
  const f: ReportFilter = {
    cves: splitList(flags.cve),
    states: splitList(flags.state),
    orgs: splitList(flags.org),
    sectors: splitList(flags.sector),
    countries: splitList(flags.country),
  };
  validateFilter(f);
  return f;
}

function filterOptions(cmd: Command): Command {
  return cmd
    .option('--cve <ids>', 'only these CVEs (comma-separated)')
    .option('--state <states>', 'vulnerable, mitigated, patched, unknown, not_applicable, compromised (comma-separated)')
    .option('--org <keys>', 'only these organisation keys (`unattributed` for none)')
    .option('--sector <sectors>', 'only these sectors (`unattributed` for none)')
    .option('--country <codes>', 'only these country codes (`unknown` for none)');
}

/** The scans of a trend, oldest first: from `since` (or the first scan) up to `to`. */
function trendScans(all: ScanRow[], to: string, since: string | undefined): ScanRow[] {
  const asc = [...all].reverse();
  const end = asc.findIndex((s) => s.id === to);
  const start = since ? asc.findIndex((s) => s.id === since) : 0;
  if (start > end) throw new EdgewatchError('EW_REPORT_OPTION', `--since ${since} is later than scan ${to}`);
  return asc.slice(start, end + 1);
}

async function withStore<T>(flags: StoreFlags, fn: (s: Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore(baseConfig(flags));
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
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

  filterOptions(
    program
      .command('report')
      .summary('counts by classification, version, country, sector, organisation and AS; trend; host view')
      .argument('[scan]', 'scan id, id prefix, label, `latest` (default) or `previous`')
      .option('--format <format>', 'table (default), markdown, json or csv')
      .option('--tlp <label>', 'TLP label: CLEAR, GREEN, AMBER (default), AMBER+STRICT, RED', 'AMBER')
      .option('--by <list>', `sections: ${BY_VALUES.join(', ')} (default ${DEFAULT_BY.join(',')})`)
      .option('--trend', 'figures per scan up to this scan (all earlier scans, or from --since)')
      .option('--since <scan>', 'compare with this earlier scan (with --trend: every scan in between)')
      .option('--hosts', 'host view: one row per host with each CVE side by side')
      .option('--all', 'host view: every observation, not only product hosts')
      .option('--limit <n>', 'host view: at most n rows', (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new EdgewatchError('EW_REPORT_OPTION', `--limit must be a positive integer, got "${v}"`);
        return n;
      })
      .option('--db <file>', 'database file')
      .option('--config <file>', 'YAML config file'),
  ).action(
    async (
      ref: string | undefined,
      flags: StoreFlags &
        FilterFlags & {
          format?: string;
          tlp: string;
          by?: string;
          trend?: boolean;
          since?: string;
          hosts?: boolean;
          all?: boolean;
          limit?: number;
        },
    ) => {
      const format = checkFormat(flags.format);
      const tlp = parseTlp(flags.tlp);
      const by = parseBy(flags.by);
      const filter = filterFrom(flags);
      await withStore(flags, async (store) => {
        const id = await pickScan(store, ref);
        if (flags.hosts) {
          const cves = (await scanCves(store.db, id)).filter((c) => !filter.cves?.length || filter.cves.includes(c));
          const sink = createHostViewSink(process.stdout, format, cves, tlp);
          for await (const row of iterateHostRows(store.db, id, { ...filter, all: flags.all, limit: flags.limit })) await sink.write(row);
          await sink.close();
          return;
        }
        const base = await store.report(id);
        const attribution = by.dims.length > 0 ? await buildAttribution(store.db, id, by.dims) : null;
        const sources = attribution ? attribution.coverage.sources : await scanSources(store.db, id);
        let trend = null;
        if (flags.trend || flags.since) {
          const all = await store.listScans();
          const since = flags.since ? await pickScan(store, flags.since) : undefined;
          let scans = trendScans(all, id, since);
          if (!flags.trend && scans.length > 2) scans = [scans[0], scans[scans.length - 1]];
          trend = await buildTrend(store.db, scans);
        }
        const full: FullReport = {
          meta: await reportMeta(tlp, Object.keys(base.byCve).sort(), sources),
          base,
          sections: by.sections,
          attribution,
          trend,
        };
        const text = renderFullReport(full, format);
        process.stdout.write(format === 'csv' ? text : `${text}\n`);
      });
    },
  );

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

  filterOptions(
    program
      .command('export')
      .summary('write a scan as IntelMQ events, Shadowserver-style CSV, STIX 2.1, MISP, or its records (JSON Lines / CSV)')
      .argument('[scan]', 'scan id, prefix, label or `latest` (default)')
      .option('-o, --output <file>', 'output file (default stdout); written under a temporary name, renamed when complete')
      .option('--format <format>', `${EXPORT_FORMATS.join(', ')} (default jsonl, or csv for -o *.csv)`)
      .option('--tlp <label>', 'TLP label: CLEAR, GREEN, AMBER (default), AMBER+STRICT, RED', 'AMBER')
      .option('--db <file>', 'database file')
      .option('--config <file>', 'YAML config file'),
  ).action(async (ref: string | undefined, flags: StoreFlags & FilterFlags & { output?: string; format?: string; tlp: string }) => {
    const format = (flags.format ?? (flags.output?.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl')) as ExportFormat;
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new EdgewatchError('EW_CLI_USAGE', `--format must be one of ${EXPORT_FORMATS.join(', ')}`);
    }
    const tlp = parseTlp(flags.tlp);
    const filter = filterFrom(flags);
    await withStore(flags, async (store) => {
      const id = await pickScan(store, ref);
      const scan = (await store.getScan(id)) as ScanRow;
      const r = await runExport(store.db, scan, { format, tlp, filter, output: flags.output ? resolve(flags.output) : undefined });
      if (flags.output)
        process.stderr.write(
          `edgewatch: wrote ${r.items} ${format} item(s) for ${r.hosts} host(s) of scan ${id} to ${flags.output} (TLP:${tlp})\n`,
        );
    });
  });
}
