/**
 * `edgewatch export`: streams a scan's hosts (the host view, filtered in SQL) into one of the
 * formats CERTs load — IntelMQ events (JSON Lines), Shadowserver-style CSV, a STIX 2.1 bundle, a
 * MISP event — or the scan records themselves (jsonl, csv). Rows are read page by page and written
 * with back-pressure, so memory stays bounded for any scan size. A file output is written to a
 * temporary name beside the target and renamed at the end: a failed export never leaves a partial
 * file under the asked name.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../../errors.js';
import { scanSources } from '../../store/report-attribution.js';
import { validateFilter } from '../../store/report-filter.js';
import { iterateHostRows, scanCves } from '../../store/report-hosts.js';
import type { ReportFilter } from '../../store/report-types.js';
import type { Database } from '../../store/schema.js';
import type { ScanRow } from '../../store/types.js';
import type { ScanRecord } from '../../scan/record.js';
import { metaLines, reportMeta, type Tlp } from '../meta.js';
import { CSV_BASE_COLUMNS, createRecordSink } from '../output.js';
import { intelmqEvents } from './intelmq.js';
import { MispBuilder } from './misp.js';
import { DEFAULT_EXPORT_STATES, type Selection } from './select.js';
import { shadowserverHeader, shadowserverRows } from './shadowserver.js';
import { StixBuilder } from './stix.js';

export const EXPORT_FORMATS = ['intelmq', 'shadowserver', 'stix', 'misp', 'jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  format: ExportFormat;
  tlp: Tlp;
  filter: ReportFilter;
  /** Output file; stdout when absent. */
  output?: string;
  /** Rows per page read from the store. */
  pageSize?: number;
}

export interface ExportResult {
  hosts: number;
  /** Events / rows / objects written (format dependent: IntelMQ events, CSV rows, STIX objects, MISP objects, records). */
  items: number;
}

class Out {
  #buf = '';
  constructor(readonly stream: Writable) {}
  async write(s: string): Promise<void> {
    this.#buf += s;
    if (this.#buf.length >= 64 * 1024) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.#buf.length === 0) return;
    const t = this.#buf;
    this.#buf = '';
    if (!this.stream.write(t)) await once(this.stream, 'drain');
  }
}

function filterKey(f: ReportFilter): string {
  return JSON.stringify([f.cves ?? [], f.states ?? [], f.orgs ?? [], f.sectors ?? [], f.countries ?? []]);
}

async function writeBody(db: Kysely<Database>, scan: ScanRow, o: ExportOptions, out: Out): Promise<ExportResult> {
  const records = o.format === 'jsonl' || o.format === 'csv';
  const filter: ReportFilter = records ? o.filter : { ...o.filter, states: o.filter.states?.length ? o.filter.states : [...DEFAULT_EXPORT_STATES] };
  validateFilter(filter);
  const sel: Selection = { cves: filter.cves, states: filter.states ?? [] };
  const allCves = await scanCves(db, scan.id);
  const cves = filter.cves?.length ? allCves.filter((c) => filter.cves?.includes(c)) : allCves;
  const rows = iterateHostRows(db, scan.id, {
    ...filter,
    all: records && Object.values(o.filter).every((v) => !v || v.length === 0),
    // Every format reads the record: indicators of compromise and the scheme live there.
    withRecord: true,
    pageSize: o.pageSize,
  });
  let hosts = 0;
  let items = 0;
  switch (o.format) {
    case 'jsonl':
    case 'csv': {
      const sink = createRecordSink(out.stream, o.format, allCves);
      let batch: ScanRecord[] = [];
      await out.flush();
      for await (const r of rows) {
        hosts++;
        batch.push(r.record as unknown as ScanRecord);
        if (batch.length >= 1000) {
          await sink.write(batch);
          batch = [];
        }
      }
      await sink.write(batch);
      // Not sink.close(): that ends file streams, and runExport ends its own.
      if (o.format === 'csv' && hosts === 0) await out.write(stringify([[...CSV_BASE_COLUMNS, ...allCves]]));
      return { hosts, items: hosts };
    }
    case 'intelmq': {
      for await (const r of rows) {
        hosts++;
        for (const e of intelmqEvents(r, sel, o.tlp)) {
          items++;
          await out.write(`${JSON.stringify(e)}\n`);
        }
      }
      return { hosts, items };
    }
    case 'shadowserver': {
      await out.write(shadowserverHeader());
      for await (const r of rows) {
        hosts++;
        const text = shadowserverRows(r, sel, o.tlp);
        if (text) {
          items += text.split('\n').length - 1;
          await out.write(text);
        }
      }
      return { hosts, items };
    }
    case 'stix': {
      const b = new StixBuilder(scan, o.tlp);
      await out.write(`{"type":"bundle","id":${JSON.stringify(b.bundleId(filterKey(filter)))},"objects":[\n`);
      let first = true;
      const emit = async (obj: unknown) => {
        await out.write(`${first ? '' : ',\n'}${JSON.stringify(obj)}`);
        first = false;
        items++;
      };
      for (const obj of b.head()) await emit(obj);
      for await (const r of rows) {
        hosts++;
        for (const obj of b.host(r, sel)) await emit(obj);
      }
      await out.write('\n]}\n');
      return { hosts, items };
    }
    case 'misp': {
      const meta = await reportMeta(o.tlp, allCves, await scanSources(db, scan.id));
      const b = new MispBuilder(scan, o.tlp, filterKey(filter));
      const { prefix, suffix } = b.head(cves, [`TLP:${o.tlp}`, ...metaLines(meta).filter((l) => !l.startsWith('generated '))]);
      await out.write(prefix);
      let first = true;
      for await (const r of rows) {
        hosts++;
        const obj = b.host(r, sel);
        if (obj === null) continue;
        await out.write(`${first ? '\n' : ',\n'}${JSON.stringify(obj)}`);
        first = false;
        items++;
      }
      await out.write(`${suffix}\n`);
      return { hosts, items };
    }
  }
}

/** Export one scan. Throws EW_REPORT_OPTION (bad filter) or EW_EXPORT_WRITE (output not writable). */
export async function runExport(db: Kysely<Database>, scan: ScanRow, o: ExportOptions): Promise<ExportResult> {
  if (!o.output) {
    const out = new Out(process.stdout);
    const r = await writeBody(db, scan, o, out);
    await out.flush();
    return r;
  }
  const tmp = `${o.output}.tmp-${process.pid}`;
  let stream: WriteStream;
  try {
    stream = createWriteStream(tmp, { flags: 'wx' });
    await once(stream, 'open');
  } catch (cause) {
    throw new EdgewatchError('EW_EXPORT_WRITE', `cannot write ${o.output}: ${(cause as Error).message}`, { cause });
  }
  let failed: unknown = null;
  stream.on('error', (e) => {
    failed = e;
  });
  try {
    const out = new Out(stream);
    const r = await writeBody(db, scan, o, out);
    await out.flush();
    stream.end();
    await once(stream, 'finish');
    if (failed) throw failed;
    await rename(tmp, o.output);
    return r;
  } catch (e) {
    stream.destroy();
    await rm(tmp, { force: true });
    if (e instanceof EdgewatchError) throw e;
    throw new EdgewatchError('EW_EXPORT_WRITE', `cannot write ${o.output}: ${(e as Error).message}`, { cause: e });
  }
}
