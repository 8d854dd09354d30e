/**
 * Rendering of the full `edgewatch report`: the base scan report (render.ts) plus provenance (TLP,
 * versions, data sources), the attribution tables (country, sector, organisation, AS, group), "how
 * many organisations stand behind these hosts", and the trend across scans. Table and Markdown for
 * people (long lists cut to the top rows, CSV/JSON carry all), CSV in the long `section,key,count`
 * form, JSON as one object. Host-controlled text is escaped (tables) or formula-neutralised (CSV).
 */
import { stringify } from 'csv-stringify/sync';
import { type AttributionDim, type AttributionReport, COUNTED_STATES, type DimRow, type OrgsBehind, type TrendReport } from '../store/report-types.js';
import type { ScanReport } from '../store/types.js';
import { type ReportMeta, metaLines } from './meta.js';
import { csvSafe } from './output.js';
import { type BaseSection, printable, type ReportFormat, renderReport, table } from './render.js';

export interface FullReport {
  meta: ReportMeta;
  base: ScanReport;
  /** Base sections asked for (status, version, cve). */
  sections: ReadonlySet<BaseSection>;
  attribution: AttributionReport | null;
  trend: TrendReport | null;
}

export const LAB_LABEL = 'lab demo identity';
const TOP_ROWS = 20;

const DIM_TITLE: Record<AttributionDim, string> = {
  country: 'By country',
  sector: 'By sector',
  org: 'By organisation',
  asn: 'By autonomous system',
  group: 'Unattributed hosts by notification group (AS | abuse contact)',
};
const DIM_KEY: Record<AttributionDim, string> = { country: 'country', sector: 'sector', org: 'organisation', asn: 'AS', group: 'group' };

function pct(part: number, whole: number): string {
  return whole === 0 ? '–' : `${((part / whole) * 100).toFixed(1)} %`;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : n < 0 ? `−${-n}` : '±0';
}

/** "CVE-2019-19781 vulnerable: 713 → 250 (−463, −64.9 %)". */
export function changeLine(c: TrendReport['changes'][number]): string {
  const what = c.cve === '*' ? c.state : `${c.cve} ${c.state}`;
  const ratio = c.ratio === null ? '' : `, ${c.ratio > 0 ? '+' : c.ratio < 0 ? '−' : '±'}${Math.abs(c.ratio * 100).toFixed(1)} %`;
  return `${what}: ${c.from} → ${c.to} (${signed(c.delta)}${ratio})`;
}

function cvesOf(rows: DimRow[]): string[] {
  const s = new Set<string>();
  for (const r of rows) for (const c of Object.keys(r.cve)) s.add(c);
  return [...s].sort();
}

function dimTable(dim: AttributionDim, rows: DimRow[], md: boolean, showLab: boolean): string {
  const cves = cvesOf(rows);
  const wide = cves.length <= 1;
  const headers = [DIM_KEY[dim], 'name', 'hosts'];
  for (const c of cves) {
    if (wide) headers.push(`${c} vulnerable`, 'mitigated', 'patched', 'unknown');
    else headers.push(`${c} vulnerable`);
  }
  headers.push('compromised');
  if (showLab) headers.push(LAB_LABEL);
  const shown = rows.slice(0, TOP_ROWS);
  const body = shown.map((r) => {
    const line: Array<string | number> = [r.key, (r.name ?? '') + (r.lab > 0 ? ` [${LAB_LABEL}]` : ''), r.hosts];
    for (const c of cves) {
      const s = r.cve[c];
      if (wide) line.push(s?.vulnerable ?? 0, s?.mitigated ?? 0, s?.patched ?? 0, s?.unknown ?? 0);
      else line.push(s?.vulnerable ?? 0);
    }
    line.push(r.compromised);
    if (showLab) line.push(r.lab);
    return line;
  });
  let out = table(headers, body, md);
  if (rows.length > shown.length) {
    const rest = rows.slice(TOP_ROWS).reduce((a, r) => a + r.hosts, 0);
    out += `\n… ${rows.length - shown.length} more on ${rest} hosts (--format csv or json lists them all)`;
  }
  return `${out}\n`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "5 CVE-2019-19781 vulnerable hosts belong to 3 organisations; 1 unattributed in 1 AS/abuse-contact group." */
export function orgsSentence(o: OrgsBehind): string {
  let s = `${o.hosts} ${o.cve ? `${o.cve} ` : ''}${o.state} hosts belong to ${plural(o.organisations, 'organisation')}`;
  if (o.unattributed_hosts > 0) {
    s += `; ${o.unattributed_hosts} unattributed in ${plural(o.unattributed_groups, 'AS/abuse-contact group')}`;
    if (o.unenriched_hosts > 0) s += ` (${o.unenriched_hosts} not enriched)`;
  }
  return `${s}.`;
}

function renderAttributionText(a: AttributionReport, scanId: string, md: boolean, h: (t: string) => string): string {
  const c = a.coverage;
  let out = h('Attribution');
  const enriched = `${c.enriched_hosts} of ${c.product_hosts} product hosts enriched (${pct(c.enriched_hosts, c.product_hosts)})`;
  const attributed = `${c.attributed_hosts} attributed to an organisation (${pct(c.attributed_hosts, c.product_hosts)})`;
  out += `${enriched}, ${attributed}; hosts without enrichment count as "unknown" / "unattributed".\n`;
  if (c.lab_demo_hosts > 0) {
    out += `${md ? '\n**' : ''}${c.lab_demo_hosts} hosts carry a ${LAB_LABEL}: their country, AS and organisation are a demo, not a real attribution.${md ? '**' : ''}\n`;
  }
  if (c.enriched_hosts === 0) {
    // Tables of nothing but "unknown" help nobody; JSON and CSV still carry them.
    out += `No host of this scan is enriched yet: run \`edgewatch enrich --scan ${printable(scanId)}\` for countries, networks and organisations.\n`;
    return out;
  }
  const lab = c.lab_demo_hosts > 0;
  for (const [dim, rows] of Object.entries(a.by) as Array<[AttributionDim, DimRow[]]>) {
    out += h(DIM_TITLE[dim]);
    out += rows.length ? dimTable(dim, rows, md, lab) : '(no product hosts)\n';
  }
  if (a.orgsBehind.length) {
    out += h('Organisations behind the hosts');
    out += `${table(
      ['hosts', 'count', 'organisations', 'sectors', 'unattributed', 'groups (AS | abuse)', 'not enriched'],
      a.orgsBehind.map((o) => [o.selection, o.hosts, o.organisations, o.sectors, o.unattributed_hosts, o.unattributed_groups, o.unenriched_hosts]),
      md,
    )}\n`;
    for (const o of a.orgsBehind.filter((x) => x.state === 'vulnerable' || x.state === 'compromised')) {
      out += `${md ? '\n' : ''}${orgsSentence(o)}\n`;
    }
  }
  return out;
}

function renderTrendText(t: TrendReport, md: boolean, h: (t: string) => string): string {
  let out = h(`Trend over ${t.points.length} scan${t.points.length === 1 ? '' : 's'}`);
  const cves = [...new Set(t.points.flatMap((p) => Object.keys(p.cve)))].sort();
  out += `${table(
    ['scan', 'label', 'started', 'product hosts', ...cves.flatMap((c) => [`${c} vulnerable`, 'mitigated', 'patched']), 'compromised'],
    t.points.map((p) => [
      p.scan_id,
      p.label ?? '',
      p.started_at,
      p.product_hosts,
      ...cves.flatMap((c) => [p.cve[c]?.vulnerable ?? 0, p.cve[c]?.mitigated ?? 0, p.cve[c]?.patched ?? 0]),
      p.compromised,
    ]),
    md,
  )}\n`;
  if (t.points.length >= 2) {
    const first = t.points[0];
    const last = t.points[t.points.length - 1];
    out += `${md ? '\n' : ''}from ${first.scan_id}${first.label ? ` ("${printable(first.label)}")` : ''} to ${last.scan_id}${last.label ? ` ("${printable(last.label)}")` : ''}:\n`;
    for (const c of t.changes.filter((x) => x.state === 'vulnerable' || x.state === 'compromised' || x.state === 'patched')) {
      out += `${md ? '- ' : '  '}${changeLine(c)}\n`;
    }
  }
  return out;
}

function csvRows(r: FullReport): string[][] {
  const rows: string[][] = [];
  const m = r.meta;
  rows.push(['meta', 'tlp', m.tlp], ['meta', 'generated_at', m.generated_at], ['meta', 'edgewatch_version', m.edgewatch_version]);
  rows.push(['meta', 'checks_pack', `${m.checks.pack} ${m.checks.version} (${m.checks.origin})`]);
  for (const s of m.data_sources) rows.push(['data_source', csvSafe(s.id), csvSafe(`${s.version}${s.date ? ` ${s.date}` : ''} ${s.origin}`)]);
  const a = r.attribution;
  if (a) {
    const c = a.coverage;
    rows.push(['coverage', 'product_hosts', String(c.product_hosts)], ['coverage', 'enriched_hosts', String(c.enriched_hosts)]);
    rows.push(['coverage', 'attributed_hosts', String(c.attributed_hosts)], ['coverage', 'lab_demo_hosts', String(c.lab_demo_hosts)]);
    for (const [dim, list] of Object.entries(a.by) as Array<[AttributionDim, DimRow[]]>) {
      for (const d of list) {
        const key = csvSafe(d.key);
        rows.push([dim, key, String(d.hosts)], [`${dim}:compromised`, key, String(d.compromised)]);
        if (d.lab > 0) rows.push([`${dim}:lab_demo_identity`, key, String(d.lab)]);
        if (d.name) rows.push([`${dim}:name`, key, csvSafe(d.name)]);
        for (const [cve, s] of Object.entries(d.cve)) for (const st of COUNTED_STATES) rows.push([`${dim}:${csvSafe(cve)}:${st}`, key, String(s[st])]);
      }
    }
    for (const o of a.orgsBehind) {
      const sel = `orgs_behind:${csvSafe(o.selection)}`;
      for (const k of ['hosts', 'organisations', 'sectors', 'unattributed_hosts', 'unattributed_groups', 'unenriched_hosts'] as const) rows.push([sel, k, String(o[k])]);
    }
  }
  const t = r.trend;
  if (t) {
    for (const p of t.points) {
      const sec = `trend:${p.scan_id}`;
      rows.push([sec, 'product_hosts', String(p.product_hosts)], [sec, 'compromised', String(p.compromised)]);
      for (const [cve, s] of Object.entries(p.cve)) for (const st of COUNTED_STATES) rows.push([sec, `${csvSafe(cve)}:${st}`, String(s[st])]);
    }
    for (const c of t.changes) rows.push([`trend_change:${csvSafe(c.cve)}:${c.state}`, `${c.from}->${c.to}`, String(c.delta)]);
  }
  return rows;
}

export function renderFullReport(r: FullReport, format: ReportFormat): string {
  if (format === 'json') {
    return JSON.stringify({ tlp: r.meta.tlp, meta: r.meta, ...r.base, attribution: r.attribution, trend: r.trend }, null, 2);
  }
  if (format === 'csv') {
    // The base CSV first (header `section,key,count`), then provenance, attribution and trend rows.
    return renderReport(r.base, 'csv', r.meta.tlp, { sections: r.sections }) + stringify(csvRows(r));
  }
  const md = format === 'markdown';
  const h = (t: string) => (md ? `\n### ${t}\n` : `\n${t}\n`);
  let out = renderReport(r.base, format, r.meta.tlp, { sections: r.sections, headerLines: metaLines(r.meta) });
  if (r.attribution) out += renderAttributionText(r.attribution, r.base.scan.id, md, h);
  if (r.trend) out += renderTrendText(r.trend, md, h);
  out += `${md ? '\n' : '\n'}TLP:${r.meta.tlp}\n`;
  return out;
}
