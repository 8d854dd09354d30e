/**
 * Types of the attribution reports (issue #4 part D): counts by country, sector, organisation, AS
 * (and the notification group of unattributed hosts), how many organisations stand behind the hosts
 * of a classification, the trend across scans, the host view with each CVE side by side, and the
 * filters shared by reports and exports. Produced by report-attribution.ts, report-trend.ts and
 * report-hosts.ts; rendered by src/report/.
 */
import type { DataSourceInfo } from '../enrich/types.js';

/** Dimensions answered from ip_enrichment / organisations (joined through hosts.ip). */
export const ATTRIBUTION_DIMS = ['country', 'sector', 'org', 'asn', 'group'] as const;
export type AttributionDim = (typeof ATTRIBUTION_DIMS)[number];

/** Classifications counted per CVE in the attribution tables (not_applicable is left out). */
export const COUNTED_STATES = ['vulnerable', 'mitigated', 'patched', 'unknown'] as const;
export type CountedState = (typeof COUNTED_STATES)[number];

/** Key used for hosts without the fact (no enrichment row, or the data does not cover them). */
export const UNKNOWN_KEY = 'unknown';
/** Key used for hosts that match no organisation (org and sector dimensions). */
export const UNATTRIBUTED_KEY = 'unattributed';

export type StateCounts = Record<CountedState, number>;

/** One row of a dimension table. */
export interface DimRow {
  /** Country code, sector, organisation key, AS number, group; `unknown` / `unattributed` when missing. */
  key: string;
  /** Readable name: organisation name, AS name; null when there is none. */
  name: string | null;
  /** Product hosts (observations with a product, or with a CVE finding other than not_applicable). */
  hosts: number;
  /** Hosts flagged compromised from outside. */
  compromised: number;
  /** Hosts whose facts come from the lab's demo identity (labelled "lab demo identity"). */
  lab: number;
  /** CVE → classification → hosts. */
  cve: Record<string, StateCounts>;
}

/** "How many organisations stand behind these N hosts" for one selection of hosts. */
export interface OrgsBehind {
  /** `CVE-2019-19781 vulnerable`, `compromised`, `all product hosts`. */
  selection: string;
  cve: string | null;
  state: string | null;
  hosts: number;
  /** Distinct organisations the attributed hosts belong to. */
  organisations: number;
  /** Hosts matching no organisation (enriched or not). */
  unattributed_hosts: number;
  /** Distinct notification groups (AS | abuse contact) among the unattributed, enriched hosts. */
  unattributed_groups: number;
  /** Hosts without any enrichment row (run `edgewatch enrich --scan`). */
  unenriched_hosts: number;
  /** Distinct sectors of the attributed hosts. */
  sectors: number;
}

/** Enrichment coverage and provenance of a scan's product hosts. */
export interface AttributionCoverage {
  product_hosts: number;
  enriched_hosts: number;
  attributed_hosts: number;
  /** Product hosts whose facts come from a lab demo identity. */
  lab_demo_hosts: number;
  /** Distinct data sources (id + version) recorded on the enrichment rows of the scan's hosts. */
  sources: DataSourceInfo[];
}

export interface AttributionReport {
  coverage: AttributionCoverage;
  /** Only the dimensions asked for; rows sorted by hosts (desc), then key. */
  by: Partial<Record<AttributionDim, DimRow[]>>;
  orgsBehind: OrgsBehind[];
}

/** One scan of a trend. */
export interface TrendPoint {
  scan_id: string;
  label: string | null;
  started_at: string;
  product_hosts: number;
  compromised: number;
  /** CVE → classification → hosts. */
  cve: Record<string, StateCounts>;
}

/** "713 → 250": one CVE's vulnerable count from the first to the last scan of a trend. */
export interface TrendChange {
  cve: string;
  state: CountedState | 'compromised';
  from: number;
  to: number;
  delta: number;
  /** (to - from) / from, null when from is 0. */
  ratio: number | null;
}

export interface TrendReport {
  points: TrendPoint[];
  changes: TrendChange[];
}

/**
 * Filters shared by the host view and the exports (all optional, combined with AND; values inside
 * one filter are OR). `states` may hold CVE classifications and `compromised`; with `cves` the
 * classification must hold for one of those CVEs. `unattributed` selects hosts with no organisation
 * (orgs, sectors); `unknown` selects hosts with no country (countries).
 */
export interface ReportFilter {
  cves?: readonly string[];
  states?: readonly string[];
  orgs?: readonly string[];
  sectors?: readonly string[];
  countries?: readonly string[];
}

/** One host (observation) with its CVEs side by side and its attribution. */
export interface HostRow {
  scan_id: string;
  seq: number;
  ip: string;
  port: number;
  /** Target host name (SNI) or null. */
  host: string | null;
  status: string;
  product: string | null;
  version: string | null;
  compromised: string | null;
  scanned_at: string;
  /** CVE → classification for every CVE the observation has a finding for. */
  cve: Record<string, string>;
  cc: string | null;
  asn: number | null;
  as_name: string | null;
  network: string | null;
  rdns: string | null;
  abuse_contact: string | null;
  org_key: string | null;
  org_name: string | null;
  sector: string | null;
  rule: string | null;
  /** Names from the enrichment row (HostName[] as stored), or null when not enriched. */
  names: Array<{ name: string; source: string; wildcard?: boolean }> | null;
  /** The public address of the lab demo identity, or null for real hosts. */
  lab_public_ip: string | null;
  enriched: boolean;
  /** The full ScanRecord (only when asked for: exports that need evidence or indicators). */
  record?: Record<string, unknown>;
}

export interface HostQuery extends ReportFilter {
  /** Every observation, not only product hosts. */
  all?: boolean;
  /** Stop after this many rows. */
  limit?: number;
  /** Rows per page (bounded memory; default 1,000). */
  pageSize?: number;
  /** Also read and parse the stored record. */
  withRecord?: boolean;
}
