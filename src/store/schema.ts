/**
 * Kysely table types of the store (the typed `Database`). One interface per table, column names as
 * in SQL. JSON columns are text on SQLite and jsonb where `capabilities.jsonb`; readers accept both
 * (see json.ts). Later migrations add their tables here.
 */
import type { Generated } from 'kysely';
import type { ScanState } from './types.js';

/** A JSON column: written as a JSON string; read back as a string (text) or a parsed value (jsonb). */
export type JsonColumn = string;

/** One scan run. `id` is a short sortable id such as `s20261123T104500-ab12`. */
export interface ScansTable {
  id: string;
  label: string | null;
  state: ScanState;
  /** ISO-8601 UTC. */
  started_at: string;
  finished_at: string | null;
  settings: JsonColumn;
  total: number | null;
  done: number;
}

/** A host seen by any scan; `(ip, port, host)` is unique. A target without a name stores host ''. */
export interface HostsTable {
  id: Generated<number>;
  ip: string;
  port: number;
  host: string;
}

/** What one scan saw on one target (`seq` = the target's ordinal in the input). */
export interface ObservationsTable {
  scan_id: string;
  seq: number;
  host_id: number;
  status: string;
  reason: string | null;
  product: string | null;
  product_confidence: string;
  version: string | null;
  version_source: string | null;
  compromised: string | null;
  scanned_at: string;
  /** The full ScanRecord as JSON. */
  record: JsonColumn;
}

/** One row per CVE entry of an observation's record. */
export interface FindingsTable {
  scan_id: string;
  seq: number;
  host_id: number;
  cve: string;
  state: string;
}

/** The typed database handed to Kysely. */
export interface Database {
  scans: ScansTable;
  hosts: HostsTable;
  observations: ObservationsTable;
  findings: FindingsTable;
}
