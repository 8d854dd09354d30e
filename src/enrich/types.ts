/**
 * Contracts of attribution (src/enrich): what is known about an address without touching it
 * (country, AS, announced prefix from bundled or imported data), its names (TLS certificate, SNI /
 * target name, reverse DNS), its abuse contact (RDAP, RIPEstat, organisation), and which
 * organisation it belongs to and why. Field names on the way out are IntelMQ's (see intelmq.ts).
 *
 * Owners: geo/ + pipeline.ts + data (geo helper); names/ + contacts/ (names helper); org/ (org
 * helper). Everything here is shared; change it only by adding optional fields.
 */

/** One loaded data source (shown in every report: "which data, of which date"). */
export interface DataSourceInfo {
  /** Stable id, e.g. `ip-location-db/geo-whois-asn-country` or `import:GeoLite2-Country`. */
  id: string;
  /** What it answers. */
  kind: 'country' | 'asn';
  /** Package version or file build date as the data states it (e.g. `2.3.2026061719`). */
  version: string;
  /** ISO date (YYYY-MM-DD) of the data, when known. */
  date: string | null;
  /** `bundled` (npm package, offline default) or `imported` (user file, wins over bundled). */
  origin: 'bundled' | 'imported';
  /** Where it was read from (path), for `edgewatch data status`. */
  path: string;
}

/** Offline facts about one address. Every field null when the data does not cover it. */
export interface GeoFacts {
  /** ISO 3166-1 alpha-2, upper case (IntelMQ `source.geolocation.cc`). */
  cc: string | null;
  /** Origin AS number (`source.asn`). */
  asn: number | null;
  /** AS name as the data gives it (`source.as_name`). */
  as_name: string | null;
  /** Announced prefix / range containing the address, CIDR form (`source.network`). */
  network: string | null;
}

/** Synchronous offline lookup over the loaded data (imported sources win over bundled ones). */
export interface GeoLookup {
  lookup(ip: string): GeoFacts;
  readonly sources: readonly DataSourceInfo[];
  close(): void;
}

/** Names a host goes by, with where each came from. */
export interface HostName {
  name: string;
  source: 'cert_cn' | 'cert_san' | 'sni' | 'target' | 'ptr';
  /** True for `*.example.org` (matched as the domain `example.org`, noted as a wildcard). */
  wildcard?: boolean;
}

/** An abuse contact and where it came from (IntelMQ `source.abuse_contact`). */
export interface AbuseContact {
  email: string;
  source: 'rdap' | 'ripestat' | 'organisation' | 'override';
  /** The URL or handle the contact was read from, for the record. */
  ref?: string;
  /** ISO time it was fetched. */
  fetched_at?: string;
}

/** Reverse DNS with timeout and cache. Never throws for a failed lookup: returns null. */
export interface ReverseDnsResolver {
  reverse(ip: string): Promise<string | null>;
  close(): Promise<void> | void;
}

/** RDAP / RIPEstat abuse-contact lookups: cached, rate-limited, never throws for a failed lookup. */
export interface AbuseContactResolver {
  abuseContact(ip: string): Promise<AbuseContact | null>;
  close(): Promise<void> | void;
}

/** Which rule attributed a host to an organisation (matching order: override, cidr, domain, asn). */
export type AttributionRule = 'override' | 'cidr' | 'domain' | 'asn' | 'none';

/** The outcome of organisation matching for one address, explained. */
export interface Attribution {
  /** Organisation key (stable id from the import file), or null when no organisation matched. */
  org_key: string | null;
  org_name: string | null;
  sector: string | null;
  rule: AttributionRule;
  /** What matched: the CIDR, the domain (and the host name it matched), or `AS1234`. */
  matched: string | null;
  /** One human sentence: "203.0.113.7 is inside 203.0.113.0/24 listed for Ziekenhuis X (import orgs.yaml line 12)". */
  why: string;
  /**
   * For hosts matching no organisation: the notification group, `AS<asn>|<abuse contact or ->`,
   * so they can still be notified per network / abuse contact.
   */
  group: string | null;
}

/** What the organisation matcher needs about an address. */
export interface MatchInput {
  ip: string;
  asn: number | null;
  names: readonly HostName[];
  /** Abuse contact when already known (only used for the `group` of unattributed hosts). */
  abuse?: string | null;
}

/** Matches addresses to organisations (built once from the store's organisations, then pure and fast). */
export interface OrgMatcher {
  match(input: MatchInput): Attribution;
  /** Number of organisations / CIDRs loaded (for the benchmark and `org list`). */
  readonly size: { orgs: number; cidrs: number; domains: number; asns: number };
}

/**
 * Marks an address whose facts come from the lab's demo identity (a loopback lab host presented as
 * a public address). Reports and exports label such rows; never used for non-lab targets.
 */
export interface LabIdentity {
  /** The loopback address actually scanned. */
  lab_ip: string;
  /** The public address it stands for in the demo (drawn from real allocations of a country mix). */
  public_ip: string;
  /** Fictional organisation name and sector the lab gave it. */
  org: string | null;
  sector: string | null;
}

/** The full enrichment of one address (one row of ip_enrichment + its attribution). */
export interface Enrichment extends GeoFacts {
  ip: string;
  names: HostName[];
  rdns: string | null;
  abuse: AbuseContact | null;
  attribution: Attribution;
  lab: LabIdentity | null;
  enriched_at: string;
}
