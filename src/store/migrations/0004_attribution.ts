/**
 * Migration 0004: attribution (issue #4). Organisations of the user's constituencies, manual
 * overrides (kept apart so re-imports never touch them), the latest enrichment of every address
 * (geo/AS facts, names, abuse contact, organisation match and why), and a cache for network
 * lookups (reverse DNS, RDAP, RIPEstat) with expiry.
 *
 * Shared by three helpers while #4 is built: add columns only; every column is nullable or has a
 * default so rows written by one part never need another.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

export function migration0004(caps: StoreCapabilities): Migration {
  const json = caps.jsonb ? 'jsonb' : 'text';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('organisations')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('sector', 'text')
        // ISO 639-1, lower case ('nl', 'en'); picks the notification template.
        .addColumn('language', 'text', (c) => c.notNull().defaultTo('en'))
        .addColumn('constituencies', json, (c) => c.notNull())
        .addColumn('domains', json, (c) => c.notNull())
        .addColumn('cidrs', json, (c) => c.notNull())
        .addColumn('asns', json, (c) => c.notNull())
        .addColumn('contacts', json, (c) => c.notNull())
        // `file:line` of the import that last wrote the row.
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('imported_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('organisations_sector_idx').on('organisations').columns(['sector']).execute();

      await db.schema
        .createTable('org_overrides')
        // An address or a CIDR.
        .addColumn('target', 'text', (c) => c.primaryKey())
        .addColumn('org_key', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('ip_enrichment')
        .addColumn('ip', 'text', (c) => c.primaryKey())
        .addColumn('cc', 'text')
        .addColumn('asn', 'integer')
        .addColumn('as_name', 'text')
        .addColumn('network', 'text')
        .addColumn('rdns', 'text')
        // HostName[] as JSON.
        .addColumn('names', json, (c) => c.notNull())
        .addColumn('abuse_contact', 'text')
        .addColumn('abuse_source', 'text')
        .addColumn('org_key', 'text')
        .addColumn('rule', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('matched', 'text')
        .addColumn('why', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('grp', 'text')
        // Lab demo identity: the public address a loopback lab host stands for (null for real hosts).
        .addColumn('lab_public_ip', 'text')
        // Ids and versions of the data sources used (DataSourceInfo[] as JSON).
        .addColumn('sources', json, (c) => c.notNull())
        .addColumn('enriched_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ip_enrichment_org_idx').on('ip_enrichment').columns(['org_key']).execute();
      await db.schema.createIndex('ip_enrichment_cc_idx').on('ip_enrichment').columns(['cc', 'asn']).execute();

      await db.schema
        .createTable('lookup_cache')
        // 'rdns' | 'rdap' | 'ripestat' | ...
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', json, (c) => c.notNull())
        .addColumn('source', 'text')
        .addColumn('fetched_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('lookup_cache_pk', ['kind', 'key'])
        .execute();
    },

    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('lookup_cache').execute();
      await db.schema.dropTable('ip_enrichment').execute();
      await db.schema.dropTable('org_overrides').execute();
      await db.schema.dropTable('organisations').execute();
    },
  };
}
