/**
 * Table types of cases and notifications (migration 0007_cases) and the typed Kysely view of the
 * store that src/cases and src/notify use.
 */
import type { Generated, Kysely } from 'kysely';
import type { Database, JsonColumn } from '../store/schema.js';

export interface CountersTable {
  name: string;
  value: number;
}

export interface CasesTable {
  id: string;
  owner: string;
  org_key: string | null;
  grp: string | null;
  state: string;
  worst: string | null;
  opened_at: string;
  updated_at: string;
  last_scan: string | null;
  notified_at: string | null;
  notified_rank: number | null;
  resolved_at: string | null;
}

export interface CaseHostsTable {
  case_id: string;
  ip: string;
  port: number;
  host: Generated<string>;
  state: string;
  first_scan: string;
  last_seen_scan: string;
  fixed_scan: string | null;
  checked_scan: string | null;
  detail: JsonColumn;
}

export interface CaseEventsTable {
  id: Generated<number>;
  case_id: string;
  at: string;
  kind: string;
  actor: string;
  detail: JsonColumn;
}

export interface OutboxTable {
  id: string;
  case_id: string;
  template: string;
  language: string;
  to_addrs: JsonColumn;
  subject: string;
  body: string;
  attachments: JsonColumn;
  state: string;
  message_id: string;
  created_at: string;
  approved_at: string | null;
  approved_by: string | null;
  sent_at: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  smtp_response: string | null;
}

export interface ContactsTable {
  email: string;
  state: string;
  reason: string | null;
  updated_at: string;
}

export interface CaseTables {
  counters: CountersTable;
  cases: CasesTable;
  case_hosts: CaseHostsTable;
  case_events: CaseEventsTable;
  outbox: OutboxTable;
  contacts: ContactsTable;
}

export type CasesDatabase = Database & CaseTables;

export function casesDb(db: Kysely<Database>): Kysely<CasesDatabase> {
  return db as unknown as Kysely<CasesDatabase>;
}
