/**
 * The host view (`edgewatch report SCAN --hosts`): one row per host with each CVE decided in the
 * scan side by side, compromised, country and organisation. Written row by row as the rows stream
 * from the store (bounded memory): table and Markdown use fixed column widths (long cells are cut
 * with "…" in the table), CSV is formula-safe, JSON is one object per line. Lab demo identities are
 * labelled on every row.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { HostRow } from '../store/report-types.js';
import { LAB_LABEL } from './render-attribution.js';
import { csvSafe } from './output.js';
import { printable, type ReportFormat } from './render.js';

export interface HostViewSink {
  write(row: HostRow): Promise<void>;
  /** Returns the number of rows written. */
  close(): Promise<number>;
}

/** Best readable name of a host: the target name, else the first certificate/PTR name. */
export function hostName(r: HostRow): string {
  if (r.host) return r.host;
  const n = r.names?.find((x) => x.source !== 'ptr') ?? r.names?.[0];
  if (n) return n.wildcard && !n.name.startsWith('*.') ? `*.${n.name}` : n.name;
  return r.rdns ?? '';
}

export function orgLabel(r: HostRow): string {
  return r.org_name ?? r.org_key ?? (r.enriched ? 'unattributed' : 'not enriched');
}

/** `lab demo identity (stands for 8.8.8.8)` for lab rows, else empty. */
export function labNote(r: HostRow): string {
  return r.lab_public_ip ? `${LAB_LABEL} (stands for ${r.lab_public_ip})` : '';
}

const FIXED: Array<[string, number]> = [
  ['ip', 15],
  ['port', 5],
  ['name', 28],
  ['product', 12],
  ['version', 12],
];

function cut(s: string, w: number): string {
  const p = printable(s);
  return p.length > w ? `${p.slice(0, w - 1)}…` : p;
}

export function hostColumns(cves: readonly string[]): string[] {
  return ['ip', 'port', 'name', 'product', 'version', ...cves, 'compromised', 'country', 'asn', 'organisation', 'sector', 'note'];
}

export function hostCells(r: HostRow, cves: readonly string[]): string[] {
  return [
    r.ip,
    String(r.port),
    hostName(r),
    r.product ?? '',
    r.version ?? '',
    ...cves.map((c) => r.cve[c] ?? ''),
    r.compromised ?? '',
    r.cc ?? '',
    r.asn === null ? '' : `AS${r.asn}`,
    orgLabel(r),
    r.sector ?? '',
    labNote(r),
  ];
}

export function createHostViewSink(out: Writable, format: ReportFormat, cves: readonly string[], tlp: string): HostViewSink {
  const headers = hostColumns(cves);
  const widths = headers.map((h, i) => {
    if (i < FIXED.length) return Math.max(h.length, FIXED[i][1]);
    if (i < FIXED.length + cves.length) return Math.max(h.length, 'not_applicable'.length);
    return h === 'organisation' ? 32 : h === 'note' ? 45 : Math.max(h.length, 10);
  });
  let count = 0;
  let buf = '';
  const flush = async (force = false) => {
    if (buf.length === 0 || (!force && buf.length < 64 * 1024)) return;
    const text = buf;
    buf = '';
    if (!out.write(text)) await once(out, 'drain');
  };
  const tableLine = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? cut(c, widths[i]) : cut(c, widths[i]).padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const mdCell = (s: string) => printable(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
  if (format === 'table') {
    buf += `TLP:${tlp}\n${tableLine(headers)}\n${tableLine(widths.map((w) => '-'.repeat(w)))}\n`;
  } else if (format === 'markdown') {
    buf += `**TLP:${tlp}**\n\n| ${headers.map(mdCell).join(' | ')} |\n| ${headers.map(() => '---').join(' | ')} |\n`;
  } else if (format === 'csv') {
    buf += stringify([[...headers, 'tlp']]);
  }
  return {
    async write(r) {
      count++;
      const cells = hostCells(r, cves);
      if (format === 'table') buf += `${tableLine(cells)}\n`;
      else if (format === 'markdown') buf += `| ${cells.map(mdCell).join(' | ')} |\n`;
      else if (format === 'csv') buf += stringify([[...cells.map(csvSafe), tlp]]);
      else {
        const { record: _r, ...rest } = r;
        buf += `${JSON.stringify({ ...rest, tlp, lab_demo_identity: r.lab_public_ip !== null })}\n`;
      }
      await flush();
    },
    async close() {
      if (format === 'table' && count === 0) buf += '(no hosts match)\n';
      await flush(true);
      return count;
    },
  };
}
