/**
 * Migration 0007: cases and notifications (issue #5). A case gathers one organisation's (or one
 * network/abuse contact's) open findings, with a ticket number and a full history; the outbox holds
 * every rendered message with its idempotency key (which is also its Message-ID) and delivery
 * state; contacts remember bounces; counters number tickets.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

export function migration0007(caps: StoreCapabilities): Migration {
  const json = caps.jsonb ? 'jsonb' : 'text';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('counters')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'integer', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('cases')
        // Ticket number, e.g. EW-2026-000042.
        .addColumn('id', 'text', (c) => c.primaryKey())
        // `org:<key>` or `grp:AS<asn>|<abuse contact>`: one case per owner.
        .addColumn('owner', 'text', (c) => c.notNull().unique())
        .addColumn('org_key', 'text')
        .addColumn('grp', 'text')
        .addColumn('state', 'text', (c) => c.notNull())
        // vulnerable | mitigated | compromised | patched_compromised (the worst open finding).
        .addColumn('worst', 'text')
        .addColumn('opened_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('last_scan', 'text')
        .addColumn('notified_at', 'text')
        // Severity rank of the situation last notified (to follow up early when it gets worse).
        .addColumn('notified_rank', 'integer')
        .addColumn('resolved_at', 'text')
        .execute();
      await db.schema.createIndex('cases_state_idx').on('cases').columns(['state', 'updated_at']).execute();

      await db.schema
        .createTable('case_hosts')
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull().defaultTo(''))
        // open | fixed
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('first_scan', 'text', (c) => c.notNull())
        .addColumn('last_seen_scan', 'text', (c) => c.notNull())
        .addColumn('fixed_scan', 'text')
        // The last scan that looked at this host (makes updating from the same scan idempotent).
        .addColumn('checked_scan', 'text')
        // {version, product, cve: {...}, compromised, indicators, scanned_at}
        .addColumn('detail', json, (c) => c.notNull())
        .addPrimaryKeyConstraint('case_hosts_pk', ['case_id', 'ip', 'port', 'host'])
        .execute();
      await db.schema.createIndex('case_hosts_ip_idx').on('case_hosts').columns(['ip']).execute();

      await db.schema
        .createTable('case_events')
        .addColumn('id', 'integer', (c) => (caps.identityColumns ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('detail', json, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('case_events_case_idx').on('case_events').columns(['case_id', 'id']).execute();

      await db.schema
        .createTable('outbox')
        // Idempotency key; the Message-ID is <id@domain>.
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
        .addColumn('template', 'text', (c) => c.notNull())
        .addColumn('language', 'text', (c) => c.notNull())
        .addColumn('to_addrs', json, (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        // [{filename, content}] (text content)
        .addColumn('attachments', json, (c) => c.notNull())
        // draft | approved | sending | sent | uncertain | failed | bounced | cancelled
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('approved_at', 'text')
        .addColumn('approved_by', 'text')
        .addColumn('sent_at', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('smtp_response', 'text')
        .execute();
      await db.schema.createIndex('outbox_state_idx').on('outbox').columns(['state', 'created_at']).execute();
      await db.schema.createIndex('outbox_case_idx').on('outbox').columns(['case_id']).execute();

      await db.schema
        .createTable('contacts')
        .addColumn('email', 'text', (c) => c.primaryKey())
        // ok | bad
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
    },

    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      for (const t of ['contacts', 'outbox', 'case_events', 'case_hosts', 'cases', 'counters']) await db.schema.dropTable(t).execute();
    },
  };
}
