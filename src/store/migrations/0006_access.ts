/**
 * Migration 0006: access control for the API and dashboard (issue #8): local users with hashed
 * passwords, roles and constituency scopes; API tokens (only a hash is stored); login sessions
 * (only a hash of the cookie value is stored); and the audit log of every change and export.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

export function migration0006(caps: StoreCapabilities): Migration {
  const json = caps.jsonb ? 'jsonb' : 'text';
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('users')
        .addColumn('id', 'integer', (c) => (caps.identityColumns ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        // string[]: constituencies the user is limited to; [] = everything.
        .addColumn('constituencies', json, (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        // sha256 hex of the secret part; the secret itself is shown once and never stored.
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_used_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();

      await db.schema
        .createTable('sessions')
        // sha256 hex of the cookie value.
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_expiry_idx').on('sessions').columns(['expires_at']).execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'integer', (c) => (caps.identityColumns ? c.primaryKey().generatedByDefaultAsIdentity() : c.primaryKey()))
        .addColumn('at', 'text', (c) => c.notNull())
        // Username, or `cli` for commands run on the machine.
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('detail', json, (c) => c.notNull())
        .addColumn('remote', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at_idx').on('audit_log').columns(['at']).execute();
    },

    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('audit_log').execute();
      await db.schema.dropTable('sessions').execute();
      await db.schema.dropTable('api_tokens').execute();
      await db.schema.dropTable('users').execute();
    },
  };
}
