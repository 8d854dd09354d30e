/**
 * Rendering of scan reports and diffs for people (aligned text tables, Markdown) and for machines
 * (JSON, CSV). Host-controlled strings are never interpreted: tables print them as plain text
 * with control characters escaped.
 */
import { stringify } from 'csv-stringify/sync';
import type { CompromiseByCve, CountRow, DiffRow, ScanReport } from '../store/types.js';
import { csvSafe } from './output.js';

export type ReportFormat = 'table' | 'markdown' | 'json' | 'csv';

/** Escape control and bidi-override characters so terminal output cannot be spoofed. */
export function printable(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function table(headers: string[], rows: Array<Array<string | number>>, markdown = false): string {
  const cells = rows.map((r) => r.map((c) => printable(String(c))));
  if (markdown) {
    // Markdown renderers pass inline HTML through: host-controlled text must not become markup.
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
    return [
      `| ${headers.map(esc).join(' | ')} |`,
      `| ${headers.map(() => '---').join(' | ')} |`,
      ...cells.map((r) => `| ${r.map(esc).join(' | ')} |`),
    ].join('\n');
  }
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const TOP_BUILDS = 20;

const STATE_ORDER = ['vulnerable', 'mitigated', 'patched', 'unknown', 'not_applicable'];

function countRows(rows: CountRow[], order?: string[]): Array<[string, number]> {
  const out = rows.map((r) => [r.key ?? '(none)', r.count] as [string, number]);
  if (order) out.sort((a, b) => (order.indexOf(a[0]) + 1 || 99) - (order.indexOf(b[0]) + 1 || 99));
  else out.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return out;
}

/** Sections of the base report: `status` (transport, reasons, products), `version`, `cve` (with compromise). */
export type BaseSection = 'status' | 'version' | 'cve';
const ALL_BASE: ReadonlySet<BaseSection> = new Set(['status', 'version', 'cve']);

export interface RenderOptions {
  /** Which base sections to print in table/Markdown/CSV (default all). */
  sections?: ReadonlySet<BaseSection>;
  /** Provenance lines printed under the title (table/Markdown). */
  headerLines?: string[];
}

export function renderReport(rep: ScanReport, format: ReportFormat, tlp = 'AMBER', opts: RenderOptions = {}): string {
  const sec = opts.sections ?? ALL_BASE;
  if (format === 'json') return JSON.stringify({ tlp, ...rep }, null, 2);
  if (format === 'csv') {
    const rows: string[][] = [['section', 'key', 'count']];
    const add = (section: string, list: CountRow[]) => {
      for (const r of list) rows.push([section, csvSafe(r.key ?? ''), String(r.count)]);
    };
    if (sec.has('status')) {
      add('status', rep.byStatus);
      add('reason', rep.byReason);
      add('product', rep.byProduct);
    }
    if (sec.has('cve')) for (const [cve, list] of Object.entries(rep.byCve)) add(`cve:${csvSafe(cve)}`, list);
    if (sec.has('version')) add('version', rep.byVersion);
    const c = rep.compromise;
    if (c && sec.has('cve')) {
      for (const k of ['true', 'false', 'unknown'] as const) rows.push(['compromise', k, String(c.hosts[k])]);
      for (const [cve, e] of Object.entries(c.byCve)) {
        const section = `compromise:${csvSafe(cve)}`;
        for (const k of CROSS_KEYS) rows.push([section, k, String(e[k])]);
        rows.push([section, 'compromised', String(e.compromised)]);
        rows.push([section, 'patched_compromised_share', e.patched_compromised_share === null ? '' : String(e.patched_compromised_share)]);
      }
    }
    return stringify(rows);
  }
  const md = format === 'markdown';
  const total = rep.byStatus.reduce((a, r) => a + r.count, 0);
  const h = (t: string) => (md ? `\n### ${t}\n` : `\n${t}\n`);
  const s = rep.scan;
  let out = md ? `## edgewatch scan ${s.id}\n\n**TLP:${tlp}**\n` : `edgewatch scan ${s.id}  (TLP:${tlp})\n`;
  out += `${md ? '\n' : ''}state ${s.state}, started ${s.started_at}${s.finished_at ? `, finished ${s.finished_at}` : ''}, ${total} of ${s.total ?? '?'} targets recorded${s.label ? `, label "${printable(s.label)}"` : ''}\n`;
  for (const l of opts.headerLines ?? []) out += `${md ? '\n' : ''}${printable(l)}\n`;
  if (sec.has('cve')) {
    for (const [cve, list] of Object.entries(rep.byCve)) {
      out += h(`${printable(cve)} — classification of answering hosts`);
      out += `${table(['classification', 'hosts'], countRows(list, STATE_ORDER), md)}\n`;
    }
  }
  if (sec.has('status')) {
    out += h('Transport');
    out += `${table(['status', 'hosts'], countRows(rep.byStatus), md)}\n`;
    if (rep.byReason.length) {
      out += h('Unreachable / error reasons');
      out += `${table(['reason', 'hosts'], countRows(rep.byReason), md)}\n`;
    }
    out += h('Products');
    out += `${table(['product', 'hosts'], countRows(rep.byProduct), md)}\n`;
  }
  if (rep.byVersion.length && sec.has('version')) {
    out += h('Firmware builds (product hosts)');
    // The people who read a table want the builds that matter; CSV and JSON carry every build.
    const rows = countRows(rep.byVersion);
    const shown = rows.slice(0, TOP_BUILDS);
    out += `${table(['version', 'hosts'], shown, md)}\n`;
    if (rows.length > shown.length) {
      const rest = rows.slice(TOP_BUILDS).reduce((a, [, n]) => a + n, 0);
      out += `… ${rows.length - shown.length} more builds on ${rest} hosts (--format csv or json lists them all)\n`;
    }
  }
  if (rep.compromise && sec.has('cve')) out += renderCompromise(rep, md, h);
  return out;
}

const CROSS_KEYS = ['vulnerable', 'mitigated', 'patched', 'unknown', 'not_applicable'] as const;

/** `patched but compromised: N (x % of compromised)`. */
export function patchedButCompromised(e: CompromiseByCve): string {
  if (e.patched_compromised_share === null) return `patched but compromised: ${e.patched} (no compromised hosts)`;
  return `patched but compromised: ${e.patched} (${(e.patched_compromised_share * 100).toFixed(1)} % of compromised)`;
}

/** The "Compromise (from outside)" section of the table and Markdown reports. */
function renderCompromise(rep: ScanReport, md: boolean, h: (t: string) => string): string {
  const c = rep.compromise;
  let out = h('Compromise (from outside) — product hosts');
  out += `${table(
    ['compromised', 'hosts'],
    [
      ['true (an indicator answered as an implant)', c.hosts.true],
      ['false (no externally visible indicator)', c.hosts.false],
      ['unknown (not checked, failed or inconclusive)', c.hosts.unknown],
    ],
    md,
  )}\n`;
  for (const [cve, e] of Object.entries(c.byCve)) {
    out += h(`${cve} — compromised hosts by classification`);
    const rows: Array<[string, number]> = CROSS_KEYS.filter((k) => k !== 'not_applicable' || e[k] > 0).map((k) => [k, e[k]]);
    rows.push(['all compromised', e.compromised]);
    out += `${table(['classification', 'compromised hosts'], rows, md)}\n`;
    out += `${md ? '\n**' : ''}${patchedButCompromised(e)}${md ? '**' : ''}\n`;
  }
  return out;
}

const CHANGE_ORDER = [
  'newly_patched',
  'newly_mitigated',
  'still_vulnerable',
  'newly_vulnerable',
  'still_mitigated',
  'gone_unreachable',
  'back_reachable',
  'unchanged',
  'other',
];

export function renderDiff(a: string, b: string, rows: DiffRow[], format: ReportFormat, showHosts = true): string {
  if (format === 'json') return JSON.stringify({ from: a, to: b, rows }, null, 2);
  if (format === 'csv') {
    return stringify([
      ['ip', 'port', 'host', 'cve', 'before', 'after', 'change'],
      ...rows.map((r) => [r.ip, String(r.port), csvSafe(r.host ?? ''), r.cve, r.before, r.after, r.change]),
    ]);
  }
  const md = format === 'markdown';
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.change, (counts.get(r.change) ?? 0) + 1);
  let out = `${md ? '## ' : ''}changes from scan ${a} to scan ${b}\n\n`;
  out += `${table(
    ['change', 'hosts'],
    CHANGE_ORDER.filter((c) => counts.has(c)).map((c) => [c, counts.get(c)!]),
    md,
  )}\n`;
  if (showHosts) {
    const interesting = rows.filter((r) => r.change !== 'unchanged' && r.change !== 'other');
    if (interesting.length) {
      out += `\n${table(
        ['host', 'cve', 'before', 'after', 'change'],
        interesting
          .sort((x, y) => CHANGE_ORDER.indexOf(x.change) - CHANGE_ORDER.indexOf(y.change))
          .map((r) => [`${r.ip}:${r.port}${r.host ? ` (${r.host})` : ''}`, r.cve, r.before, r.after, r.change]),
        md,
      )}\n`;
    }
  }
  return out;
}
