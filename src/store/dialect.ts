/**
 * Dialect selection: the one place that reads `StoreConfig.dialect`. A dialect is a small factory
 * returning a Kysely instance plus capability flags (and, for synchronous drivers, a statement
 * handle). Everything else in src/store reads the flags. Adding PostgreSQL = a `pg-dialect.ts`
 * returning `{ db: new Kysely({ dialect: new PostgresDialect(...) }), capabilities: {...} }` and one
 * `case` below.
 */
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { Database } from './schema.js';
import { openSqliteDialect } from './sqlite-dialect.js';
import type { StoreCapabilities, StoreConfig } from './types.js';

/** Result of a synchronous write statement. */
export interface SyncRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/** A prepared statement of a synchronous driver (the subset of better-sqlite3 the store uses). */
export interface SyncStatement {
  run(...params: unknown[]): SyncRunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  pluck(toggle?: boolean): this;
}

/** Synchronous connection handle; statements are prepared once and run many times. */
export interface SyncHandle {
  prepare(sql: string): SyncStatement;
  /** Wraps `fn` in BEGIN/COMMIT (ROLLBACK on throw). */
  transaction<T>(fn: () => T): () => T;
}

/** An opened dialect: the Kysely instance, its flags, and a sync handle when the flags allow. */
export interface StoreDialect {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  /** Present exactly when `capabilities.syncStatements`. Use only inside `db.connection()`. */
  readonly sync?: SyncHandle;
  /** Where the data lives (file path or redacted URL), for messages. */
  readonly location: string;
}

/** Open the dialect named by `cfg`. Throws EW_STORE_OPEN or EW_STORE_DIALECT. */
export function openDialect(cfg: StoreConfig): StoreDialect {
  const kind = (cfg as { dialect?: unknown } | null)?.dialect;
  switch (kind) {
    case 'sqlite': {
      const file = (cfg as { file?: unknown }).file;
      if (typeof file !== 'string' || file.length === 0) {
        throw new EdgewatchError('EW_STORE_OPEN', 'SQLite store needs a file path');
      }
      return openSqliteDialect(file);
    }
    case 'postgres':
      throw new EdgewatchError('EW_STORE_DIALECT', 'the PostgreSQL store dialect is not implemented yet');
    default:
      throw new EdgewatchError('EW_STORE_DIALECT', `unknown store dialect: ${String(kind).slice(0, 40)}`);
  }
}
