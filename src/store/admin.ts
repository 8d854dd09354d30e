/**
 * Store administration for `edgewatch db migrate|status`: open a store's dialect without the
 * implicit migration of openStore, apply migrations explicitly, and describe the store (dialect,
 * redacted location, schema, migrations applied / pending / unknown, scan count).
 */
import { existsSync } from 'node:fs';
import { EdgewatchError } from '../errors.js';
import { openDialect, type StoreDialect } from './dialect.js';
import { type MigrationState, migrateToLatest, migrationStatus } from './migrate.js';
import type { StoreConfig } from './types.js';

export interface StoreStatus {
  dialect: StoreConfig['dialect'];
  location: string;
  schema: string | null;
  migrations: MigrationState[];
  /** Known to this program, not applied yet. */
  pending: string[];
  /** Applied in the database, unknown to this program (written by a newer edgewatch). */
  unknown: string[];
  /** null while the store has no tables yet. */
  scans: number | null;
}

/** Open the dialect and run its start-up check (EW_STORE_OPEN when the server does not answer). */
export async function openDialectChecked(cfg: StoreConfig): Promise<{ d: StoreDialect; schema?: string }> {
  const d = openDialect(cfg);
  try {
    const info = (await d.init?.()) ?? {};
    return { d, schema: info.schema };
  } catch (e) {
    await d.db.destroy();
    throw e;
  }
}

/** Apply pending migrations; returns their names (empty when the store was up to date). */
export async function migrateStore(cfg: StoreConfig): Promise<{ location: string; applied: string[]; status: StoreStatus }> {
  const { d, schema } = await openDialectChecked(cfg);
  try {
    const applied = await migrateToLatest(d.db, d.capabilities, d.location, schema);
    return { location: d.location, applied, status: await describe(cfg, d, schema) };
  } finally {
    await d.db.destroy();
  }
}

/** Describe the store without changing it (a SQLite file that does not exist is EW_STORE_OPEN, not created). */
export async function storeStatus(cfg: StoreConfig): Promise<StoreStatus> {
  if (cfg.dialect === 'sqlite' && cfg.file !== ':memory:' && !existsSync(cfg.file)) {
    throw new EdgewatchError('EW_STORE_OPEN', 'no store here (run `edgewatch db migrate` to create one)', { file: cfg.file });
  }
  const { d, schema } = await openDialectChecked(cfg);
  try {
    return await describe(cfg, d, schema);
  } finally {
    await d.db.destroy();
  }
}

async function describe(cfg: StoreConfig, d: StoreDialect, schema: string | undefined): Promise<StoreStatus> {
  const migrations = await migrationStatus(d.db, d.capabilities, schema);
  const known = new Set(migrations.map((m) => m.name));
  let applied: string[] = [];
  let scans: number | null = null;
  try {
    const q = d.db.selectFrom('kysely_migration' as never).select('name' as never);
    const rows = (await q.execute()) as Array<{ name: string }>;
    applied = rows.map((r) => r.name);
    const n = await d.db
      .selectFrom('scans')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    scans = Number(n?.n ?? 0);
  } catch {
    // A store that was never migrated has neither table yet.
  }
  return {
    dialect: cfg.dialect,
    location: d.location,
    schema: schema ?? null,
    migrations,
    pending: migrations.filter((m) => m.appliedAt === null).map((m) => m.name),
    unknown: applied.filter((n) => !known.has(n)),
    scans,
  };
}
