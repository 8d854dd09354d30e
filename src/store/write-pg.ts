/**
 * Set-based batch writer for PostgreSQL: one transaction per batch, a few statements whatever its
 * size (each chunk of records travels as one JSON document built by concatenating each row's
 * already-serialised record, so nothing is encoded twice, and is unpacked server-side by
 * json_to_recordset; no bind parameter limit). The next chunk is validated and encoded while the
 * server stores the previous one.
 *
 * Per chunk, one statement of data-modifying CTEs:
 * - hosts: missing ones inserted in sorted key order (concurrent writers lock host keys in the same
 *   order: no deadlock cycle), `WHERE NOT EXISTS` first so existing hosts burn no identity values
 *   (its `OFFSET 0` keeps it a per-row probe of the unique index: left to the planner, the 100-row
 *   default estimate of json_to_recordset made it hash the whole hosts table for every chunk);
 *   a host id comes from that insert's RETURNING or, for an existing host, an index lookup;
 * - observations `ON CONFLICT (scan_id, seq) DO NOTHING RETURNING`, findings only for the
 *   observations that were new. The scan's `done += new` comes once, last (short row lock).
 * One race is left to the retry: a host that a concurrent writer commits while this statement runs
 * is neither inserted (conflict) nor visible (snapshot), so its host_id is NULL and the NOT NULL
 * constraint fails the whole statement; the retry then sees the committed host.
 *
 * Connection loss (server restart), deadlocks, serialization failures and that race are retried
 * with backoff for up to RETRY_MS (the whole batch transaction again): it is idempotent, so a retry
 * never duplicates. Concurrent writers whose batches share new hosts across chunks may deadlock;
 * PostgreSQL breaks it and the loser is retried.
 */
import { type Kysely, sql } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { ScanRecord } from '../scan/record.js';
import type { Database } from './schema.js';
import { hostKey, type RecordRow, toRowsRange } from './write-rows.js';

/** Longest a batch keeps retrying a lost connection before the error reaches the caller. */
export const RETRY_MS = 60_000;
const BACKOFF_START_MS = 200;
const BACKOFF_MAX_MS = 5_000;

const q = JSON.stringify;

function hostsJson(rows: readonly RecordRow[]): string {
  const seen = new Map<string, RecordRow>();
  for (const r of rows) {
    const k = hostKey(r.ip, r.port, r.host);
    if (!seen.has(k)) seen.set(k, r);
  }
  const keys = [...seen.keys()].sort();
  const parts: string[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const r = seen.get(keys[i]) as RecordRow;
    parts[i] = `{"i":${q(r.ip)},"p":${r.port},"h":${q(r.host)}}`;
  }
  return `[${parts.join(',')}]`;
}

/**
 * The chunk's rows as three JSON documents: the observation columns (with `n`, the 1-based
 * position), the records themselves as a plain array in the same order, and the findings. The
 * records travel apart because json_to_recordset extracting a nested `json` column costs the
 * server about twice as much as json_array_elements over the same records (measured: 20.7 vs
 * 1.2 + 10.0 ms per 1,000 records of ~1.7 KB); they are joined back by position.
 */
function observationsJson(rows: readonly RecordRow[]): { obs: string; records: string; findings: string } {
  const obs: string[] = new Array(rows.length);
  const records: string[] = new Array(rows.length);
  const findings: string[] = [];
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    obs[k] =
      `{"n":${k + 1},"s":${r.seq},"i":${q(r.ip)},"p":${r.port},"h":${q(r.host)},"st":${q(r.status)},"re":${q(r.reason)},` +
      `"pr":${q(r.product)},"pc":${q(r.product_confidence)},"v":${q(r.version)},"vs":${q(r.version_source)},` +
      `"c":${q(r.compromised)},"at":${q(r.scanned_at)}}`;
    records[k] = r.record;
    for (let i = 0; i < r.cves.length; i++) findings.push(`{"s":${r.seq},"c":${q(r.cves[i])},"t":${q(r.states[i])}}`);
  }
  return { obs: `[${obs.join(',')}]`, records: `[${records.join(',')}]`, findings: `[${findings.join(',')}]` };
}

/** Errors worth retrying: the connection went away, the server is restarting, or a lock cycle. */
export function isTransientPgError(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : '';
  if (/^08/.test(code) || ['57P01', '57P02', '57P03', '40001', '40P01', '53300'].includes(code)) return true;
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN'].includes(code)) return true;
  // NOT NULL on observations.host_id: a host committed by a concurrent writer mid-statement (see above).
  if (code === '23502' && (e as { column?: unknown }).column === 'host_id') return true;
  const msg = typeof err?.message === 'string' ? err.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|terminating connection|the database system is (starting up|shutting down)/i.test(msg);
}

/** Runs `fn`, retrying transient failures with exponential backoff for up to `limitMs`. */
export async function withPgRetry<T>(fn: () => Promise<T>, limitMs: number = RETRY_MS): Promise<T> {
  const started = Date.now();
  let wait = BACKOFF_START_MS;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransientPgError(e) || Date.now() - started + wait > limitMs) throw e;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(BACKOFF_MAX_MS, wait * 2);
    }
  }
}

/** Records per statement inside a batch: small enough to overlap, large enough to stay set-based. */
const MIN_CHUNK = 250;
/** A batch is cut into about this many statements (encoding of one overlaps the server's work on the last). */
const CHUNKS = 4;

type Pending = Promise<{ rows: Array<{ found: number; added: number }> }>;

function chunkStatement(db: Kysely<Database>, scanId: string, rows: readonly RecordRow[]): Pending {
  return chunkSql(scanId, rows).execute(db);
}

/** The statement that stores one chunk (exported for benchmarks: EXPLAIN ANALYZE of the real SQL). */
export function chunkSql(scanId: string, rows: readonly RecordRow[]) {
  const hosts = hostsJson(rows);
  const { obs, records, findings } = observationsJson(rows);
  return sql<{ found: number; added: number }>`
    WITH s AS (SELECT id FROM scans WHERE id = ${scanId}),
    t AS (
      SELECT t.*, e.r FROM json_to_recordset(${obs}::json) AS t(
        n int8, s int4, i text, p int4, h text, st text, re text, pr text, pc text, v text, vs text, c text, at text)
      JOIN json_array_elements(${records}::json) WITH ORDINALITY AS e(r, n) ON e.n = t.n
    ),
    hk AS (SELECT * FROM json_to_recordset(${hosts}::json) AS x(i text, p int4, h text)),
    hins AS (
      INSERT INTO hosts (ip, port, host)
      SELECT hk.i, hk.p, hk.h FROM hk
      WHERE EXISTS (SELECT 1 FROM s)
        AND NOT EXISTS (SELECT 1 FROM hosts hs WHERE hs.ip = hk.i AND hs.port = hk.p AND hs.host = hk.h OFFSET 0)
      ORDER BY hk.i, hk.p, hk.h
      ON CONFLICT (ip, port, host) DO NOTHING
      RETURNING id, ip, port, host
    ),
    ins AS (
      INSERT INTO observations AS o
        (scan_id, seq, host_id, status, reason, product, product_confidence, version, version_source, compromised, scanned_at, record)
      SELECT s.id, t.s,
        COALESCE(hn.id, (SELECT hs.id FROM hosts hs WHERE hs.ip = t.i AND hs.port = t.p AND hs.host = t.h)),
        t.st, t.re, t.pr, t.pc, t.v, t.vs, t.c, t.at, t.r
      FROM t CROSS JOIN s LEFT JOIN hins hn ON hn.ip = t.i AND hn.port = t.p AND hn.host = t.h
      ORDER BY t.s
      ON CONFLICT (scan_id, seq) DO NOTHING
      RETURNING o.seq, o.host_id
    ),
    f AS (
      INSERT INTO findings (scan_id, seq, host_id, cve, state)
      SELECT ${scanId}, ins.seq, ins.host_id, x.c, x.t
      FROM json_to_recordset(${findings}::json) AS x(s int4, c text, t text) JOIN ins ON ins.seq = x.s
      ORDER BY ins.seq, x.c
      ON CONFLICT (scan_id, seq, cve) DO NOTHING
    )
    SELECT (SELECT count(*)::int4 FROM s) AS found, (SELECT count(*)::int4 FROM ins) AS added`;
}

function notFound(scanId: string): EdgewatchError {
  return new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', `no scan with id ${scanId}`);
}

/**
 * The record writer of the PostgreSQL dialect (see StoreDialect.writeRecords). One transaction per
 * batch; the batch is validated, encoded and sent in a few chunks, each chunk encoded while the
 * server stores the previous one (client and server work overlap; a bad record anywhere rolls the
 * whole batch back, so nothing of it is written). The scan's `done` is bumped once, last.
 */
export function createPgRecordWriter(
  db: Kysely<Database>,
  chunks: number = CHUNKS,
): (scanId: string, records: readonly ScanRecord[]) => Promise<number> {
  return async (scanId, records) => {
    if (records.length === 0) {
      const s = await db.selectFrom('scans').select('id').where('id', '=', scanId).executeTakeFirst();
      if (s === undefined) throw notFound(scanId);
      return 0;
    }
    const size = Math.max(chunks > 1 ? MIN_CHUNK : 1, Math.ceil(records.length / Math.max(1, chunks)));
    return withPgRetry(() =>
      db.transaction().execute(async (trx) => {
        const seen = new Set<number>();
        let added = 0;
        let pending: Pending | undefined;
        const settle = async (p: Pending) => {
          const row = (await p).rows[0];
          if (row === undefined || Number(row.found) === 0) throw notFound(scanId);
          added += Number(row.added);
        };
        try {
          for (let i = 0; i < records.length; i += size) {
            const rows = toRowsRange(records, i, Math.min(records.length, i + size), seen);
            const previous = pending;
            pending = undefined;
            if (previous !== undefined) await settle(previous);
            if (rows.length > 0) pending = chunkStatement(trx, scanId, rows);
          }
          if (pending !== undefined) await settle(pending);
        } catch (e) {
          await pending?.catch(() => undefined);
          throw e;
        }
        if (added > 0) {
          await trx
            .updateTable('scans')
            .set((eb) => ({ done: eb('done', '+', added) }))
            .where('id', '=', scanId)
            .execute();
        }
        return added;
      }),
    );
  };
}
