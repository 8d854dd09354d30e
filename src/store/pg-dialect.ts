/**
 * PostgreSQL dialect factory (`pg` Pool under Kysely's PostgresDialect): owns every
 * PostgreSQL-specific setting — connect timeout, pool size, type parsers (int8/numeric come back as
 * numbers, json/jsonb parsed), the check that the server answers and which schema the store lives
 * in, and the set-based bulk writer (write-pg.ts). Shared code sees only the capability flags.
 * Locations in messages are always redacted (no password ever reaches a message or a log).
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { EdgewatchError } from '../errors.js';
import type { DialectInfo, StoreDialect } from './dialect.js';
import { redactLocation } from './location.js';
import type { Database } from './schema.js';
import type { StoreCapabilities } from './types.js';
import { createPgRecordWriter } from './write-pg.js';

/** How long opening a connection may take before EW_STORE_OPEN (no hang on a dead address). */
export const PG_CONNECT_TIMEOUT_MS = 5_000;
/** Default connections per process. */
export const PG_DEFAULT_POOL = 8;
/** Oldest server the SQL is written for (json_to_recordset, identity columns, ON CONFLICT). */
const MIN_SERVER_VERSION = 120_000;

const PG_CAPABILITIES: StoreCapabilities = Object.freeze({
  returning: true,
  concurrentWriters: true,
  jsonb: true,
  maxBindParams: 65_535,
  identityColumns: true,
  syncStatements: false,
  skippableForeignKeys: false,
});

const OID_INT8 = 20;
const OID_NUMERIC = 1700;

/** Type parsers of this pool only (the global pg.types are left alone). */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === OID_INT8) {
      return (v: string) => {
        const n = Number(v);
        return Number.isSafeInteger(n) ? n : v;
      };
    }
    if (oid === OID_NUMERIC) return (v: string) => Number(v);
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads want a literal format type
    return pg.types.getTypeParser(oid, format as any);
  },
};

function message(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) return message(cause.errors[0]);
  const m = cause instanceof Error ? cause.message : String(cause);
  return m.length > 0 ? m : String((cause as { code?: unknown })?.code ?? 'unknown error');
}

/** Open a pool on `url`. No connection is made until init() (called by openStore). */
export function openPostgresDialect(url: string, poolSize?: number): StoreDialect {
  const location = redactLocation(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EdgewatchError('EW_STORE_OPEN', `not a valid PostgreSQL URL: ${location}`);
  }
  if (!/^postgres(ql)?:$/i.test(parsed.protocol)) {
    throw new EdgewatchError('EW_STORE_OPEN', `not a PostgreSQL URL: ${location}`);
  }
  const size = poolSize ?? PG_DEFAULT_POOL;
  if (!Number.isInteger(size) || size < 1 || size > 100) {
    throw new EdgewatchError('EW_STORE_OPEN', `PostgreSQL pool size must be 1–100, got ${String(size)}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'edgewatch',
    types,
  });
  // An idle connection that dies (server restart) emits 'error' on the pool; without a listener
  // that would crash the process. The pool drops the client; the next query opens a new one.
  pool.on('error', () => {});
  // The same for a connection that is checked out but between queries: its query (if any) fails
  // and is retried by the caller; the pool then drops the broken client on release.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });

  const init = async (): Promise<DialectInfo> => {
    let row: { schema: string | null; version: string } | undefined;
    try {
      const res = await sql<{
        schema: string | null;
        version: string;
      }>`SELECT current_schema() AS schema, current_setting('server_version_num') AS version`.execute(db);
      row = res.rows[0];
    } catch (cause) {
      throw new EdgewatchError('EW_STORE_OPEN', `cannot connect to PostgreSQL at ${location}: ${message(cause)}`, { cause });
    }
    if (row === undefined || row.schema === null) {
      throw new EdgewatchError(
        'EW_STORE_OPEN',
        `PostgreSQL at ${location}: no schema of the search_path exists (create it first: CREATE SCHEMA …)`,
      );
    }
    if (Number(row.version) < MIN_SERVER_VERSION) {
      throw new EdgewatchError('EW_STORE_OPEN', `PostgreSQL at ${location} is version ${row.version}; edgewatch needs 12 or later`);
    }
    return { schema: row.schema };
  };

  return {
    db,
    capabilities: PG_CAPABILITIES,
    location,
    init,
    writeRecords: createPgRecordWriter(db),
  };
}
