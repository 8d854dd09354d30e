/**
 * openStore(): the Store over any dialect. Opens the dialect, migrates, and routes each operation:
 * writes and seq scans go through prepared statements when the dialect has a synchronous driver
 * (capabilities.syncStatements), through the dialect's own set-based writer when it has one
 * (PostgreSQL), otherwise through the Kysely builder. Synchronous work always runs inside
 * `db.connection()` so it never interleaves with another query or transaction.
 */
import { type Kysely, sql } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { ScanRecord } from '../scan/record.js';
import type { Compiled } from './compiled.js';
import { openDialect, type StoreDialect } from './dialect.js';
import { buildDiff } from './diff.js';
import { migrateToLatest } from './migrate.js';
import { doneSeqsPaged, doneSeqsSync, iterateRecords, prepareSeqScan, RECORD_PAGE } from './read.js';
import { buildReport } from './report.js';
import * as scans from './scans.js';
import type { Database } from './schema.js';
import type { DiffRow, ScanReport, ScanRow, ScanState, Store, StoreCapabilities, StoreConfig } from './types.js';
import { writeWithBuilder } from './write-builder.js';
import { PreparedWriter } from './write-prepared.js';
import { toRows } from './write-rows.js';

/** Options of openStore beyond the config (mainly for tests and benchmarks). */
export interface StoreOptions {
  /**
   * `auto` (default): prepared statements when the dialect allows, else the builder.
   * `builder`: always the generic Kysely builder path (no prepared statements, no dialect writer).
   */
  paths?: 'auto' | 'builder';
  /** Records per page of iterateRecords (default 5,000; bounds its memory). */
  pageSize?: number;
}

class SqlStore implements Store {
  readonly db: Kysely<Database>;
  readonly capabilities: StoreCapabilities;
  readonly #writer?: PreparedWriter;
  readonly #writeRecords?: (scanId: string, records: readonly ScanRecord[]) => Promise<number>;
  readonly #seqScan?: Compiled;
  readonly #pageSize: number;
  readonly #closeDialect?: () => Promise<void>;
  #closed = false;

  constructor(d: StoreDialect, opts: StoreOptions) {
    this.db = d.db;
    this.capabilities = d.capabilities;
    this.#closeDialect = d.close;
    this.#pageSize = Math.max(1, Math.min(Math.floor(opts.pageSize ?? RECORD_PAGE), 100_000)) || RECORD_PAGE;
    if (d.sync !== undefined && d.capabilities.syncStatements && opts.paths !== 'builder') {
      this.#writer = new PreparedWriter(d.db, d.sync);
      this.#seqScan = prepareSeqScan(d.db, d.sync);
    }
    if (d.writeRecords !== undefined && opts.paths !== 'builder') this.#writeRecords = d.writeRecords;
  }

  createScan(input: { label?: string | null; settings: Record<string, unknown>; total?: number | null }): Promise<ScanRow> {
    return scans.createScan(this.db, input);
  }

  getScan(id: string): Promise<ScanRow | undefined> {
    return scans.getScan(this.db, id);
  }

  listScans(): Promise<ScanRow[]> {
    return scans.listScans(this.db);
  }

  setScanTotal(id: string, total: number): Promise<void> {
    return scans.setScanTotal(this.db, id, total);
  }

  async setScanState(id: string, state: ScanState): Promise<void> {
    await scans.setScanState(this.db, id, state);
    if (state === 'finished') await refreshStatistics(this.db, this.capabilities);
  }

  async doneSeqs(id: string): Promise<ReadonlySet<number>> {
    await scans.requireScan(this.db, id);
    const seqScan = this.#seqScan;
    if (seqScan !== undefined) return this.db.connection().execute(async () => doneSeqsSync(seqScan, id));
    return doneSeqsPaged(this.db, id);
  }

  async insertRecords(scanId: string, records: ScanRecord[]): Promise<number> {
    if (this.#writeRecords !== undefined) {
      if (!Array.isArray(records)) throw new EdgewatchError('EW_STORE_BAD_RECORD', 'records is not an array');
      return this.#writeRecords(scanId, records);
    }
    const rows = toRows(records);
    const writer = this.#writer;
    if (writer !== undefined) return this.db.connection().execute(async () => writer.write(scanId, rows));
    return writeWithBuilder(this.db, this.capabilities, scanId, rows);
  }

  async *iterateRecords(scanId: string): AsyncIterable<ScanRecord> {
    await scans.requireScan(this.db, scanId);
    yield* iterateRecords(this.db, scanId, this.#pageSize);
  }

  async report(scanId: string): Promise<ScanReport> {
    return buildReport(this.db, await scans.requireScan(this.db, scanId));
  }

  async diff(scanA: string, scanB: string): Promise<DiffRow[]> {
    await scans.requireScan(this.db, scanA);
    await scans.requireScan(this.db, scanB);
    return buildDiff(this.db, scanA, scanB);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#closeDialect?.();
    } finally {
      await this.db.destroy();
    }
  }
}

/**
 * Open the store named by `cfg`, creating and migrating it as needed.
 * Throws EW_STORE_OPEN, EW_STORE_DIALECT or EW_STORE_MIGRATION.
 */
/**
 * Planner statistics for SQLite (PostgreSQL's autovacuum keeps its own). Without them SQLite picks
 * the narrow (scan_id, state, …) findings index for the report's per-host product test and reads
 * a whole scan's findings for every host: minutes instead of milliseconds on 1M observations.
 * Bounded: analysis_limit samples at most 1,000 rows per index (about 0.5 s on a 2.4 GB store).
 */
async function refreshStatistics(db: Kysely<Database>, caps: StoreCapabilities): Promise<void> {
  if (caps.concurrentWriters) return;
  await sql`PRAGMA analysis_limit = 1000`.execute(db);
  await sql`ANALYZE`.execute(db);
}

export async function openStore(cfg: StoreConfig, opts: StoreOptions = {}): Promise<Store> {
  const d = openDialect(cfg);
  try {
    const info = (await d.init?.()) ?? {};
    const applied = await migrateToLatest(d.db, d.capabilities, d.location, info.schema);
    if (applied.length > 0) await refreshStatistics(d.db, d.capabilities);
    return new SqlStore(d, opts);
  } catch (e) {
    await d.close?.();
    await d.db.destroy();
    throw e;
  }
}

/**
 * A typed Kysely instance on the store's database, without migrating (use openStore for that, or
 * `store.db` to share the store's connection). Throws EW_STORE_OPEN or EW_STORE_DIALECT.
 */
export function createDb(cfg: StoreConfig): Kysely<Database> {
  return openDialect(cfg).db;
}
