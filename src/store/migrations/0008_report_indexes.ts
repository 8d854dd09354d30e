/**
 * Migration 0008: a covering index for the attribution reports (issue #4 part D). The per-scan
 * hosts pass reads, for every observation, only (host_id, compromised, product, seq): with this
 * index it never touches the wide observation rows (the stored record, about 1.5 KB each), which
 * made the pass several times slower. (A covering index on ip_enrichment was tried: SQLite keeps
 * using the primary key for the per-host lookup, so it would only cost writes.)
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

export function migration0008(_caps: StoreCapabilities): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('observations_attr_idx')
        .on('observations')
        .columns(['scan_id', 'host_id', 'compromised', 'product', 'seq'])
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('observations_attr_idx').execute();
    },
  };
}
