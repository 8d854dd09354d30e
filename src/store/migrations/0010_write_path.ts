/**
 * Migration 0010: a cheaper write path for observations and findings (issue #6, store writes).
 * - Drops observations_host_idx (scan_id, host_id, seq) and observations_attr_idx (scan_id,
 *   host_id, compromised, product, seq): observations_api_idx (scan_id, host_id, status, product,
 *   version, compromised, seq, migration 0009) has both as its prefix or columns, so every query
 *   that read them reads it instead. Each index costs every observation a B-tree insert: about 8 %
 *   of SQLite's CPU per observation and 9 % of PostgreSQL's.
 * - Where foreign-key checks cannot be switched off for the batch writer's own transaction
 *   (`capabilities.skippableForeignKeys` false: PostgreSQL), drops the foreign keys of observations
 *   and findings. The batch writers guarantee those references themselves (the scan is checked
 *   inside the transaction, host ids come from it, findings are written only for observations it
 *   inserted), nothing deletes scans, and the checks cost a quarter of PostgreSQL's CPU per
 *   observation. SQLite keeps them declared: they still guard every other writer there.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

const RECORD_FKS: Array<[table: string, constraint: string]> = [
  ['findings', 'findings_observation_fk'],
  ['observations', 'observations_host_fk'],
  ['observations', 'observations_scan_fk'],
];

export function migration0010(caps: StoreCapabilities): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('observations_host_idx').ifExists().execute();
      await db.schema.dropIndex('observations_attr_idx').ifExists().execute();
      if (!caps.skippableForeignKeys) {
        for (const [table, name] of RECORD_FKS) await db.schema.alterTable(table).dropConstraint(name).ifExists().execute();
      }
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      if (!caps.skippableForeignKeys) {
        await db.schema
          .alterTable('observations')
          .addForeignKeyConstraint('observations_scan_fk', ['scan_id'], 'scans', ['id'], (fk) => fk.onDelete('cascade'))
          .execute();
        await db.schema.alterTable('observations').addForeignKeyConstraint('observations_host_fk', ['host_id'], 'hosts', ['id']).execute();
        await db.schema
          .alterTable('findings')
          .addForeignKeyConstraint('findings_observation_fk', ['scan_id', 'seq'], 'observations', ['scan_id', 'seq'], (fk) =>
            fk.onDelete('cascade'),
          )
          .execute();
      }
      await db.schema
        .createIndex('observations_attr_idx')
        .on('observations')
        .columns(['scan_id', 'host_id', 'compromised', 'product', 'seq'])
        .execute();
      await db.schema.createIndex('observations_host_idx').on('observations').columns(['scan_id', 'host_id', 'seq']).execute();
    },
  };
}
