/**
 * Table types of the access-control tables (migration 0006_access) and the typed Kysely view of the
 * store that the API uses (the store's Database plus these tables).
 */
import type { Generated, Kysely } from 'kysely';
import type { Database, JsonColumn } from '../store/schema.js';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  password_hash: string;
  role: string;
  /** string[] */
  constituencies: JsonColumn;
  disabled: Generated<number>;
  created_at: string;
}

export interface ApiTokensTable {
  id: string;
  user_id: number;
  name: string;
  secret_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SessionsTable {
  id: string;
  user_id: number;
  csrf: string;
  created_at: string;
  expires_at: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: JsonColumn;
  remote: string | null;
}

export interface AccessTables {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  audit_log: AuditLogTable;
}

export type ApiDatabase = Database & AccessTables;

export function apiDb(db: Kysely<Database>): Kysely<ApiDatabase> {
  return db as unknown as Kysely<ApiDatabase>;
}
