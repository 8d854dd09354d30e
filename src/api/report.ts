/**
 * The full scan report of `edgewatch report` for the API: the same store functions (store.report,
 * buildAttribution, scanSources, buildTrend, reportMeta) composed the same way as
 * src/cli/commands/results.ts, rendered by the same renderFullReport, so GET /api/reports answers
 * byte-for-byte what `edgewatch report --format json` prints (test/api/reports.test.ts compares
 * the two). The report functions count every host of a scan and take no host filter, so the route
 * is denied to constituency-scoped users rather than leaking other constituencies' figures.
 */
import { EdgewatchError } from '../errors.js';
import { parseTlp, reportMeta, type Tlp } from '../report/meta.js';
import { type FullReport, renderFullReport } from '../report/render-attribution.js';
import type { BaseSection } from '../report/render.js';
import { pickScan } from '../cli/scan-ref.js';
import { buildAttribution, scanSources } from '../store/report-attribution.js';
import { buildTrend } from '../store/report-trend.js';
import { ATTRIBUTION_DIMS, type AttributionDim } from '../store/report-types.js';
import type { ScanRow, Store } from '../store/types.js';

const BASE_SECTIONS: readonly BaseSection[] = ['status', 'version', 'cve'];
/** What `--by` accepts, and its default (as in results.ts). */
export const REPORT_BY = [...BASE_SECTIONS, ...ATTRIBUTION_DIMS] as const;
export const REPORT_DEFAULT_BY = ['cve', 'status', 'version', 'country', 'sector', 'org', 'asn'] as const;
export const REPORT_FORMATS = ['json', 'csv', 'markdown'] as const;
export type ApiReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportRequest {
  /** Scan reference: id, id prefix, label, `latest` (default) or `previous`. */
  scan?: string;
  /** Compare with this earlier scan (with `trend`: every scan in between). */
  since?: string;
  /** Figures per scan up to this scan. */
  trend?: boolean;
  /** Sections (comma-separated list already split). */
  by?: string[];
  tlp?: string;
}

function parseBy(list: readonly string[] | undefined): { sections: Set<BaseSection>; dims: AttributionDim[] } {
  const by = list && list.length > 0 ? list : REPORT_DEFAULT_BY;
  for (const b of by) {
    if (!(REPORT_BY as readonly string[]).includes(b)) throw new EdgewatchError('EW_REPORT_OPTION', `by "${b.slice(0, 40)}" is not one of ${REPORT_BY.join(', ')}`);
  }
  return {
    sections: new Set(by.filter((b): b is BaseSection => (BASE_SECTIONS as readonly string[]).includes(b))),
    dims: ATTRIBUTION_DIMS.filter((d) => by.includes(d)),
  };
}

/** The scans of a trend, oldest first: from `since` (or the first scan) up to `to` (as the CLI). */
function trendScans(all: ScanRow[], to: string, since: string | undefined): ScanRow[] {
  const asc = [...all].reverse();
  const end = asc.findIndex((s) => s.id === to);
  const start = since ? asc.findIndex((s) => s.id === since) : 0;
  if (start > end) throw new EdgewatchError('EW_REPORT_OPTION', `since ${since} is later than scan ${to}`);
  return asc.slice(start, end + 1);
}

/** Build the full report of one scan exactly as `edgewatch report` does. */
export async function buildFullReport(store: Store, r: ReportRequest): Promise<FullReport> {
  const tlp: Tlp = parseTlp(r.tlp);
  const by = parseBy(r.by);
  const id = await pickScan(store, r.scan);
  const base = await store.report(id);
  const attribution = by.dims.length > 0 ? await buildAttribution(store.db, id, by.dims) : null;
  const sources = attribution ? attribution.coverage.sources : await scanSources(store.db, id);
  let trend = null;
  if (r.trend || r.since) {
    const all = await store.listScans();
    const since = r.since ? await pickScan(store, r.since) : undefined;
    let scans = trendScans(all, id, since);
    if (!r.trend && scans.length > 2) scans = [scans[0], scans[scans.length - 1]];
    trend = await buildTrend(store.db, scans);
  }
  return { meta: await reportMeta(tlp, Object.keys(base.byCve).sort(), sources), base, sections: by.sections, attribution, trend };
}

/** The report as the CLI's `--format` prints it (JSON: one object; CSV: long form; Markdown). */
export function renderApiReport(full: FullReport, format: ApiReportFormat): string {
  return renderFullReport(full, format);
}
