/**
 * Record outputs: JSON Lines (one ScanRecord per line, the default for `-j` and `-o x.jsonl`) and
 * CSV (one row per record, one column per CVE). Writers respect back-pressure and never buffer a
 * whole scan.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { ScanRecord } from '../scan/record.js';
import { type NucleiCheckMeta, nucleiText } from './nuclei.js';

/** `nuclei`: nuclei-compatible JSON Lines, one line per finding (src/report/nuclei.ts). */
export type RecordFormat = 'jsonl' | 'csv' | 'nuclei';

/** Validate a `--format` value for record output. */
export function isRecordFormat(v: string): v is RecordFormat {
  return v === 'jsonl' || v === 'csv' || v === 'nuclei';
}

/** Extra inputs of some formats: the loaded checks for `nuclei` (template names, severities). */
export interface SinkOptions {
  checks?: readonly NucleiCheckMeta[];
}

export interface RecordSink {
  write(records: ScanRecord[]): Promise<void>;
  close(): Promise<void>;
}

export const CSV_BASE_COLUMNS = [
  'ip',
  'port',
  'host',
  'scheme',
  'status',
  'reason',
  'product',
  'product_confidence',
  'version',
  'version_source',
  'build_date',
  'tls_subject_cn',
  'tls_sans',
  'scanned_at',
] as const;

/** Neutralise spreadsheet formula injection (host-controlled text such as certificate names). */
export function csvSafe(v: string): string {
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

export function csvRow(r: ScanRecord, cves: string[]): string[] {
  const row = [
    r.ip,
    String(r.port),
    r.host ?? '',
    r.scheme,
    r.status,
    r.reason ?? '',
    r.product ?? '',
    r.product_confidence,
    r.version ?? '',
    r.version_source ?? '',
    r.build_date ?? '',
    r.tls?.subject_cn ?? '',
    (r.tls?.sans ?? []).join(' '),
    r.scanned_at,
  ];
  for (const c of cves) row.push(r.cve[c] ?? '');
  return row.map(csvSafe);
}

async function writeText(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

export function createRecordSink(out: Writable, format: RecordFormat, cves: string[], opts: SinkOptions = {}): RecordSink {
  let headerDone = false;
  return {
    async write(records) {
      if (records.length === 0) return;
      let text = '';
      if (format === 'jsonl') {
        for (const r of records) text += `${JSON.stringify(r)}\n`;
      } else if (format === 'nuclei') {
        text = nucleiText(records, opts.checks);
        if (text === '') return;
      } else {
        const rows = records.map((r) => csvRow(r, cves));
        if (!headerDone) {
          rows.unshift([...CSV_BASE_COLUMNS, ...cves]);
          headerDone = true;
        }
        text = stringify(rows);
      }
      await writeText(out, text);
    },
    async close() {
      if (format === 'csv' && !headerDone) await writeText(out, stringify([[...CSV_BASE_COLUMNS, ...cves]]));
      if (out !== process.stdout && out !== process.stderr) {
        (out as WriteStream).end();
        await once(out, 'finish');
      }
    },
  };
}

export function openFileSink(path: string, format: RecordFormat, cves: string[], opts: SinkOptions = {}): RecordSink {
  return createRecordSink(createWriteStream(path, { flags: 'w' }), format, cves, opts);
}

export function formatFromPath(path: string): RecordFormat {
  return path.toLowerCase().endsWith('.csv') ? 'csv' : 'jsonl';
}
