/**
 * Turns a batch of ScanRecords into validated, de-duplicated rows for both write paths (prepared
 * statements and the Kysely builder). Records are hostile input: every field that becomes a column
 * is checked, and a bad record fails the whole batch with EW_STORE_BAD_RECORD before any write.
 */
import { EdgewatchError } from '../errors.js';
import type { ScanRecord } from '../scan/record.js';

const STATUSES: ReadonlySet<string> = new Set(['ok', 'unreachable', 'error']);
const CVE_STATES: ReadonlySet<string> = new Set(['vulnerable', 'mitigated', 'patched', 'not_applicable', 'unknown']);
const MAX_TEXT = 255;
const MAX_CVE_KEY = 64;
const MAX_CVES = 256;
/** Upper bound of one stored record's JSON (evidence is bounded upstream; this is the backstop). */
export const MAX_RECORD_JSON = 1_048_576;

/** One record ready to store; column values in plain form, JSON serialised once. */
export interface RecordRow {
  seq: number;
  ip: string;
  port: number;
  /** '' when the record has no host name. */
  host: string;
  status: string;
  reason: string | null;
  product: string | null;
  product_confidence: string;
  version: string | null;
  version_source: string | null;
  compromised: string | null;
  scanned_at: string;
  record: string;
  /** Parallel arrays: CVE id and its state, one finding each. */
  cves: string[];
  states: string[];
}

function bad(index: number, what: string): EdgewatchError {
  return new EdgewatchError('EW_STORE_BAD_RECORD', `record #${index} of the batch: ${what}`);
}

function text(v: unknown, index: number, field: string, nullable: boolean): string | null {
  if (v === null || v === undefined) {
    if (nullable) return null;
    throw bad(index, `${field} is missing`);
  }
  if (typeof v !== 'string' || v.length > MAX_TEXT) throw bad(index, `${field} is not a string of at most ${MAX_TEXT} chars`);
  return v;
}

/** Validate and map one record. */
export function toRow(rec: ScanRecord, index: number): RecordRow {
  if (rec === null || typeof rec !== 'object') throw bad(index, 'not an object');
  const seq = rec.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) throw bad(index, 'seq is not a non-negative integer');
  const port = rec.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535) throw bad(index, 'port is not 0–65535');
  const ip = text(rec.ip, index, 'ip', false) as string;
  if (ip.length === 0) throw bad(index, 'ip is empty');
  if (typeof rec.status !== 'string' || !STATUSES.has(rec.status)) throw bad(index, 'status is not ok/unreachable/error');
  const cves: string[] = [];
  const states: string[] = [];
  const cve = rec.cve;
  if (cve !== undefined && cve !== null) {
    if (typeof cve !== 'object' || Array.isArray(cve)) throw bad(index, 'cve is not an object');
    for (const key in cve) {
      if (!Object.hasOwn(cve, key)) continue;
      const state = (cve as Record<string, unknown>)[key];
      if (key.length === 0 || key.length > MAX_CVE_KEY) throw bad(index, 'cve key is empty or too long');
      if (typeof state !== 'string' || !CVE_STATES.has(state)) throw bad(index, `cve ${key} has an unknown state`);
      cves.push(key);
      states.push(state);
    }
    if (cves.length > MAX_CVES) throw bad(index, `more than ${MAX_CVES} cve entries`);
  }
  const json = JSON.stringify(rec);
  if (json.length > MAX_RECORD_JSON) throw bad(index, `record JSON is larger than ${MAX_RECORD_JSON} chars`);
  return {
    seq,
    ip,
    port,
    host: text(rec.host, index, 'host', true) ?? '',
    status: rec.status,
    reason: text(rec.reason, index, 'reason', true),
    product: text(rec.product, index, 'product', true),
    product_confidence: text(rec.product_confidence, index, 'product_confidence', true) ?? 'none',
    version: text(rec.version, index, 'version', true),
    version_source: text(rec.version_source, index, 'version_source', true),
    compromised: text(rec.compromised, index, 'compromised', true),
    scanned_at: text(rec.scanned_at, index, 'scanned_at', false) as string,
    record: json,
    cves,
    states,
  };
}

/** Validate a batch and drop repeated seqs inside it (the first occurrence wins, like the store). */
export function toRows(records: readonly ScanRecord[]): RecordRow[] {
  if (!Array.isArray(records)) throw new EdgewatchError('EW_STORE_BAD_RECORD', 'records is not an array');
  const rows: RecordRow[] = new Array(records.length);
  let n = 0;
  let seen: Set<number> | undefined;
  let last = -1;
  for (let i = 0; i < records.length; i++) {
    const row = toRow(records[i], i);
    // Batches usually arrive in ascending seq order: only build the set when that breaks.
    if (row.seq <= last) {
      if (seen === undefined) {
        seen = new Set<number>();
        for (let j = 0; j < n; j++) seen.add(rows[j].seq);
      }
      if (seen.has(row.seq)) continue;
    }
    if (row.seq > last) last = row.seq;
    seen?.add(row.seq);
    rows[n++] = row;
  }
  rows.length = n;
  return rows;
}

/**
 * Validate records[start, end) of a batch, dropping seqs already in `seen` (first occurrence wins,
 * across chunks of the same batch); adds the kept seqs to `seen`. Errors name the index in the batch.
 */
export function toRowsRange(records: readonly ScanRecord[], start: number, end: number, seen: Set<number>): RecordRow[] {
  const rows: RecordRow[] = [];
  for (let i = start; i < end; i++) {
    const row = toRow(records[i], i);
    if (seen.has(row.seq)) continue;
    seen.add(row.seq);
    rows.push(row);
  }
  return rows;
}

/** Key of a host inside one batch. */
export function hostKey(ip: string, port: number, host: string): string {
  return `${ip}\u0000${port}\u0000${host}`;
}
