/**
 * Runs the in-code migrations (Kysely Migrator) on open. Idempotent: applied migrations are recorded
 * in `kysely_migration`. Any failure, including a database written by a newer edgewatch, becomes
 * EW_STORE_MIGRATION.
 */
import { type Kysely, type MigrationResultSet, Migrator } from 'kysely';
import { EdgewatchError } from '../errors.js';
import { storeMigrations } from './migrations/index.js';
import type { Database } from './schema.js';
import type { StoreCapabilities } from './types.js';

/**
 * The Migrator of the store. `schema` (PostgreSQL: the current schema) keeps the bookkeeping tables
 * beside the store's tables, so two stores in two schemas of one database never see each other's.
 */
export function storeMigrator(db: Kysely<Database>, caps: StoreCapabilities, schema?: string): Migrator {
  return new Migrator({
    db,
    provider: { getMigrations: async () => storeMigrations(caps) },
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
}

/** One migration: its name and when it was applied (null = pending). */
export interface MigrationState {
  name: string;
  appliedAt: string | null;
}

/** Every migration this program knows, plus any recorded in the database that it does not know. */
export async function migrationStatus(db: Kysely<Database>, caps: StoreCapabilities, schema?: string): Promise<MigrationState[]> {
  const infos = await storeMigrator(db, caps, schema).getMigrations();
  return infos.map((m) => ({ name: m.name, appliedAt: m.executedAt ? m.executedAt.toISOString() : null }));
}

/** SQLite's "database is locked" (another process holds the write lock), anywhere in the cause chain. */
function isBusy(e: unknown): boolean {
  for (let x: unknown = e, i = 0; x && i < 5; x = (x as { cause?: unknown }).cause, i++) {
    const code = (x as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return true;
    if (x instanceof Error && /database is locked/i.test(x.message)) return true;
  }
  return false;
}

/** Apply every pending migration. Returns the names applied by this call. */
export async function migrateToLatest(db: Kysely<Database>, caps: StoreCapabilities, location: string, schema?: string): Promise<string[]> {
  const migrator = storeMigrator(db, caps, schema);
  let outcome: MigrationResultSet = { error: undefined };
  // Several processes opening a new SQLite store at once (a coordinator and its workers) race for
  // the write lock; SQLite may answer "database is locked" at once rather than wait. The migrator
  // re-reads what is applied on every call, so trying again is safe. Bounded: 10 tries, ~6 s.
  for (let attempt = 0, delay = 100; attempt < 10; attempt++, delay = Math.min(delay * 2, 1000)) {
    try {
      outcome = await migrator.migrateToLatest();
    } catch (cause) {
      outcome = { error: cause };
    }
    if (outcome.error === undefined || !isBusy(outcome.error) || attempt === 9) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  if (outcome.error !== undefined) {
    const failed = outcome.results?.find((r) => r.status === 'Error');
    const msg = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    throw new EdgewatchError('EW_STORE_MIGRATION', `store migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${msg}`, {
      file: location,
      cause: outcome.error,
    });
  }
  return (outcome.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
