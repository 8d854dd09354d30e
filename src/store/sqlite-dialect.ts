/**
 * SQLite dialect factory (better-sqlite3, the embedded default): one file, WAL, synchronous=NORMAL,
 * foreign keys on, busy timeout. Owns every SQLite-specific setting; shared code sees only the
 * capability flags and the synchronous statement handle.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { DialectAdapter } from 'kysely';
import { Kysely, SqliteAdapter, SqliteDialect } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { StoreDialect, SyncHandle } from './dialect.js';
import type { Database } from './schema.js';
import { BackgroundCheckpointer } from './sqlite-checkpointer.js';
import type { StoreCapabilities } from './types.js';

/** How long a writer waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;
/** Page size of newly created files. */
const PAGE_SIZE = 16_384;
/** Page cache per connection, KiB (the report and API queries read large index ranges). */
const CACHE_KIB = 32_768;

const SQLITE_CAPABILITIES: StoreCapabilities = Object.freeze({
  returning: true,
  concurrentWriters: false,
  jsonb: false,
  maxBindParams: 32_766,
  identityColumns: false,
  syncStatements: true,
  skippableForeignKeys: true,
});

/** SQLite does run DDL inside transactions; Kysely's adapter says no, which would leave a
 * half-applied migration after a crash. This adapter lets the Migrator wrap each run in one. */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class StoreSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** Open (creating when missing) the SQLite store file. Throws EW_STORE_OPEN with the path. */
export function openSqliteDialect(file: string, cacheKib = CACHE_KIB): StoreDialect {
  const inMemory = file === ':memory:';
  const path = inMemory ? file : resolve(file);
  let opened: BetterSqlite3.Database | undefined;
  try {
    if (!inMemory) mkdirSync(dirname(path), { recursive: true });
    opened = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
    const handle = opened;
    // New files get 16 KiB pages (a no-op on existing ones): a ~2 KB observation row then shares a
    // page with seven others, and bulk writes make fewer, larger WAL writes (about 15 % less CPU
    // per observation than 4 KiB pages, measured with bench/store-write.ts).
    handle.pragma(`page_size = ${PAGE_SIZE}`);
    // journal_mode reads the header: a file that is not a database fails here, not later.
    const mode = handle.pragma('journal_mode = WAL', { simple: true });
    if (!inMemory && String(mode).toLowerCase() !== 'wal') {
      throw new Error(`could not switch to WAL journal mode (got ${String(mode)})`);
    }
    handle.pragma('synchronous = NORMAL');
    handle.pragma('foreign_keys = ON');
    handle.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    handle.pragma(`cache_size = -${Math.floor(cacheKib)}`);
    handle.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (cause) {
    opened?.close();
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new EdgewatchError('EW_STORE_OPEN', `cannot open SQLite store: ${msg}`, { file: path, cause });
  }
  const handle = opened;
  const db = new Kysely<Database>({ dialect: new StoreSqliteDialect({ database: handle }) });
  const sync: SyncHandle = {
    prepare: (sql) => handle.prepare(sql),
    // IMMEDIATE: take the write lock at BEGIN, so another process makes us wait (busy timeout)
    // instead of failing when a read transaction tries to upgrade.
    transaction: <T>(fn: () => T) => {
      const tx = handle.transaction(fn);
      return () => tx.immediate() as T;
    },
    withoutForeignKeyChecks: <T>(fn: () => T): T => {
      // A no-op inside an open transaction (SQLite ignores the pragma there): checks then stay on.
      handle.pragma('foreign_keys = OFF');
      try {
        return fn();
      } finally {
        handle.pragma('foreign_keys = ON');
      }
    },
  };
  if (inMemory) return { db, capabilities: SQLITE_CAPABILITIES, sync, location: path };
  // A file store's WAL is checkpointed by a worker thread once the batch writer writes fast (see
  // sqlite-checkpointer.ts): the writer no longer waits for the copy back and its fsync.
  const checkpointer = new BackgroundCheckpointer(path, handle, { busyMs: BUSY_TIMEOUT_MS });
  sync.afterWrite = (bytes) => checkpointer.wrote(bytes);
  return { db, capabilities: SQLITE_CAPABILITIES, sync, location: path, close: () => checkpointer.stop() };
}
