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

/** Apply every pending migration. Returns the names applied by this call. */
export async function migrateToLatest(db: Kysely<Database>, caps: StoreCapabilities, location: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => storeMigrations(caps) },
  });
  let outcome: MigrationResultSet;
  try {
    outcome = await migrator.migrateToLatest();
  } catch (cause) {
    outcome = { error: cause };
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
