/**
 * Migration 0003: an index for the compromise figures of report(). Counting `compromised` per scan
 * and finding the compromised observations of a scan (to cross them with their findings) are then
 * index-only range scans instead of reading every record row of the scan.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

export function migration0003(_caps: StoreCapabilities): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createIndex('observations_compromise_idx')
        .on('observations')
        .columns(['scan_id', 'compromised', 'product', 'seq'])
        .execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropIndex('observations_compromise_idx').execute();
    },
  };
}
