/**
 * Migration 0001: scans, hosts, observations, findings and the indexes the report and diff queries
 * use. Built with Kysely's schema builder; column types follow the capability flags.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

export function migration0001(caps: StoreCapabilities): Migration {
  const json = caps.jsonb ? 'jsonb' : 'text';
  // The full record stays `json` (text kept as written) where the dialect has JSON types: key order
  // and formatting survive a round trip (exports read it back), and it is cheaper to write than jsonb.
  const recordJson = caps.jsonb ? 'json' : 'text';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('scans')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('label', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('settings', json, (c) => c.notNull())
        .addColumn('total', 'integer')
        .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('hosts')
        .addColumn('id', 'integer', (c) => (caps.identityColumns ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        // '' when the target named no host: a plain unique constraint then treats "no name" as one value.
        .addColumn('host', 'text', (c) => c.notNull().defaultTo(''))
        .addUniqueConstraint('hosts_ip_port_host_uq', ['ip', 'port', 'host'])
        .execute();

      await db.schema
        .createTable('observations')
        .addColumn('scan_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('host_id', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('product', 'text')
        .addColumn('product_confidence', 'text', (c) => c.notNull())
        .addColumn('version', 'text')
        .addColumn('version_source', 'text')
        .addColumn('compromised', 'text')
        .addColumn('scanned_at', 'text', (c) => c.notNull())
        .addColumn('record', recordJson, (c) => c.notNull())
        .addPrimaryKeyConstraint('observations_pk', ['scan_id', 'seq'])
        .addForeignKeyConstraint('observations_scan_fk', ['scan_id'], 'scans', ['id'], (fk) => fk.onDelete('cascade'))
        .addForeignKeyConstraint('observations_host_fk', ['host_id'], 'hosts', ['id'])
        .execute();

      await db.schema
        .createTable('findings')
        .addColumn('scan_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('host_id', 'integer', (c) => c.notNull())
        .addColumn('cve', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('findings_pk', ['scan_id', 'seq', 'cve'])
        .addForeignKeyConstraint('findings_observation_fk', ['scan_id', 'seq'], 'observations', ['scan_id', 'seq'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();

      // report(): one covering scan answers status/reason/product/version counts.
      await db.schema
        .createIndex('observations_report_idx')
        .on('observations')
        .columns(['scan_id', 'status', 'reason', 'product', 'version'])
        .execute();
      // diff(): latest observation per host in a scan.
      await db.schema.createIndex('observations_host_idx').on('observations').columns(['scan_id', 'host_id', 'seq']).execute();
      // report() per-CVE counts and diff() key set (covering).
      await db.schema.createIndex('findings_report_idx').on('findings').columns(['scan_id', 'cve', 'state', 'host_id']).execute();
      await db.schema.createIndex('scans_started_idx').on('scans').columns(['started_at']).execute();
    },

    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('findings').execute();
      await db.schema.dropTable('observations').execute();
      await db.schema.dropTable('hosts').execute();
      await db.schema.dropTable('scans').execute();
    },
  };
}
