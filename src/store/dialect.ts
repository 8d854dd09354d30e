/**
 * Dialect selection: the one place that reads `StoreConfig.dialect`. A dialect is a small factory
 * returning a Kysely instance plus capability flags (and, for synchronous drivers, a statement
 * handle, an async start-up check, or a set-based batch writer). Everything else in src/store reads
 * the flags. Dialects: SQLite (sqlite-dialect.ts) and PostgreSQL (pg-dialect.ts).
 */
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { ScanRecord } from '../scan/record.js';
import { openPostgresDialect } from './pg-dialect.js';
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
  /**
   * Runs `fn` (which opens its own transaction) with foreign-key enforcement off, restoring it
   * after. Only for writers that guarantee the references themselves inside one transaction.
   */
  withoutForeignKeyChecks?<T>(fn: () => T): T;
  /** The batch writer calls this after each commit with the bytes of records it wrote (SQLite: background checkpoints). */
  afterWrite?(bytes: number): void;
}

/** What a dialect learns when it first talks to its server. */
export interface DialectInfo {
  /** Schema the store's tables (and the migration bookkeeping) live in, where the dialect has schemas. */
  schema?: string;
}

/** An opened dialect: the Kysely instance, its flags, and a sync handle when the flags allow. */
export interface StoreDialect {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  /** Present exactly when `capabilities.syncStatements`. Use only inside `db.connection()`. */
  readonly sync?: SyncHandle;
  /** Where the data lives (file path or redacted URL), for messages. */
  readonly location: string;
  /** Connects and checks the server (EW_STORE_OPEN when it cannot); openStore awaits it first. */
  readonly init?: () => Promise<DialectInfo>;
  /**
   * The dialect's own set-based writer (same contract as Store.insertRecords: validates every
   * record, idempotent, atomic per batch, returns how many were new).
   */
  readonly writeRecords?: (scanId: string, records: readonly ScanRecord[]) => Promise<number>;
  /** Stops what the dialect runs besides its Kysely instance (SQLite: the checkpoint worker); before db.destroy(). */
  readonly close?: () => Promise<void>;
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
      const cacheKib = (cfg as { cacheKib?: unknown }).cacheKib;
      return openSqliteDialect(file, typeof cacheKib === 'number' && cacheKib >= 1024 ? cacheKib : undefined);
    }
    case 'postgres': {
      const url = (cfg as { url?: unknown }).url;
      if (typeof url !== 'string' || url.length === 0) {
        throw new EdgewatchError('EW_STORE_OPEN', 'PostgreSQL store needs a postgres:// URL');
      }
      return openPostgresDialect(url, (cfg as { pool?: number }).pool);
    }
    default:
      throw new EdgewatchError('EW_STORE_DIALECT', `unknown store dialect: ${String(kind).slice(0, 40)}`);
  }
}
