/**
 * Migration 0002: triage runs and their findings (`edgewatch triage --host IP`). A run is joined to
 * the scanned hosts by IP address (hosts.ip), so a host's triage results sit beside its scan
 * history without requiring the host to have been scanned first.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

export function migration0002(caps: StoreCapabilities): Migration {
  const json = caps.jsonb ? 'jsonb' : 'text';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('triage_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('collection', 'text', (c) => c.notNull())
        .addColumn('hostname', 'text')
        .addColumn('version', 'text')
        .addColumn('collected_at', 'text')
        .addColumn('triaged_at', 'text', (c) => c.notNull())
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('high', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('medium', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('low', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('report', json, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('triage_findings')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addColumn('rule', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('confidence', 'text', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('line', 'integer')
        .addColumn('time', 'text')
        .addColumn('source_ip', 'text')
        .addColumn('excerpt', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('triage_findings_pk', ['run_id', 'n'])
        .addForeignKeyConstraint('triage_findings_run_fk', ['run_id'], 'triage_runs', ['id'], (fk) => fk.onDelete('cascade'))
        .execute();

      await db.schema.createIndex('triage_runs_ip_idx').on('triage_runs').columns(['ip', 'triaged_at']).execute();
      await db.schema.createIndex('triage_findings_rule_idx').on('triage_findings').columns(['rule', 'confidence']).execute();
    },

    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('triage_findings').execute();
      await db.schema.dropTable('triage_runs').execute();
    },
  };
}
