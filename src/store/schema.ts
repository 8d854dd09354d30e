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

/** An organisation of a constituency (`edgewatch org import`). JSON columns hold arrays. */
export interface OrganisationsTable {
  key: string;
  name: string;
  sector: string | null;
  language: string;
  /** string[] */
  constituencies: JsonColumn;
  /** string[] (lower case, no leading dot) */
  domains: JsonColumn;
  /** string[] (CIDR) */
  cidrs: JsonColumn;
  /** number[] */
  asns: JsonColumn;
  /** {email, name?, role?, pgp?}[] */
  contacts: JsonColumn;
  source: string;
  imported_at: string;
}

/** A manual attribution that beats automatic matches and survives re-imports. */
export interface OrgOverridesTable {
  target: string;
  org_key: string;
  note: string | null;
  created_at: string;
}

/** Latest enrichment of an address (see src/enrich/types.ts `Enrichment`). */
export interface IpEnrichmentTable {
  ip: string;
  cc: string | null;
  asn: number | null;
  as_name: string | null;
  network: string | null;
  rdns: string | null;
  /** HostName[] */
  names: JsonColumn;
  abuse_contact: string | null;
  abuse_source: string | null;
  org_key: string | null;
  rule: Generated<string>;
  matched: string | null;
  why: Generated<string>;
  grp: string | null;
  lab_public_ip: string | null;
  /** DataSourceInfo[] */
  sources: JsonColumn;
  enriched_at: string;
}

/** Cached network lookups (reverse DNS, RDAP, RIPEstat) with expiry. */
export interface LookupCacheTable {
  kind: string;
  key: string;
  value: JsonColumn;
  source: string | null;
  fetched_at: string;
  expires_at: string;
}

/** The typed database handed to Kysely. */
export interface Database {
  scans: ScansTable;
  hosts: HostsTable;
  observations: ObservationsTable;
  findings: FindingsTable;
  organisations: OrganisationsTable;
  org_overrides: OrgOverridesTable;
  ip_enrichment: IpEnrichmentTable;
  lookup_cache: LookupCacheTable;
}
