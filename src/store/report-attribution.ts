/**
 * buildAttribution(): the attribution figures of one scan, aggregated in SQL in two passes over
 * covering indexes (migration 0008), whatever the number of dimensions asked:
 *   hosts pass     observations (product hosts) → hosts → ip_enrichment, GROUP BY the attribution
 *                  facts (cc, asn, org_key, group, enriched, lab, compromised);
 *   findings pass  findings (not not_applicable) → hosts → ip_enrichment, GROUP BY CVE,
 *                  classification and the same facts.
 * Both results are small (one row per distinct combination of facts), and every dimension
 * (country, sector, organisation, AS, notification group), "how many organisations stand behind
 * these N hosts" and the coverage are rolled up from them in one place. Sectors and organisation
 * names come from the organisations table (read once), never joined per row. Hosts without
 * enrichment are counted under `unknown` / `unattributed`, never dropped.
 */
import { type Kysely, sql } from 'kysely';
import type { DataSourceInfo } from '../enrich/types.js';
import { readJson } from './json.js';
import { IS_PRODUCT_HOST } from './report-filter.js';
import {
  type AttributionCoverage,
  type AttributionDim,
  type AttributionReport,
  COUNTED_STATES,
  type CountedState,
  type DimRow,
  type OrgsBehind,
  type StateCounts,
  UNATTRIBUTED_KEY,
  UNKNOWN_KEY,
} from './report-types.js';
import type { Database } from './schema.js';

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

export const emptyStates = (): StateCounts => ({ vulnerable: 0, mitigated: 0, patched: 0, unknown: 0 });
const isCounted = (s: string): s is CountedState => (COUNTED_STATES as readonly string[]).includes(s);

/** The attribution facts of a group of hosts (one row of either pass). */
interface Facts {
  cc: string | null;
  asn: number | null;
  as_name: string | null;
  org_key: string | null;
  /** Notification group, only for enriched hosts without an organisation. */
  grp: string | null;
  enriched: boolean;
  lab: boolean;
}

interface HostGroup extends Facts {
  compromised: boolean;
  n: number;
}

interface FindingGroup extends Facts {
  cve: string;
  state: string;
  n: number;
}

interface Passes {
  hosts: HostGroup[];
  findings: FindingGroup[];
  orgs: Map<string, { name: string; sector: string | null }>;
}

const FACT_COLUMNS = sql`e.cc AS cc, e.asn AS asn, e.org_key AS org_key,
  CASE WHEN e.org_key IS NULL THEN e.grp END AS grp,
  CASE WHEN e.ip IS NULL THEN 0 ELSE 1 END AS enriched,
  CASE WHEN e.lab_public_ip IS NULL THEN 0 ELSE 1 END AS lab`;
const FACT_GROUP = sql`e.cc, e.asn, e.org_key, CASE WHEN e.org_key IS NULL THEN e.grp END,
  CASE WHEN e.ip IS NULL THEN 0 ELSE 1 END, CASE WHEN e.lab_public_ip IS NULL THEN 0 ELSE 1 END`;

type RawFacts = { cc: string | null; asn: unknown; as_name: string | null; org_key: string | null; grp: string | null; enriched: unknown; lab: unknown; n: unknown };

function facts(r: RawFacts): Facts {
  return {
    cc: r.cc,
    asn: r.asn === null || r.asn === undefined ? null : Number(r.asn),
    as_name: r.as_name,
    org_key: r.org_key,
    grp: r.grp,
    enriched: n(r.enriched) === 1,
    lab: n(r.lab) === 1,
  };
}

async function passes(db: Kysely<Database>, scanId: string): Promise<Passes> {
  const hosts = (
    await sql<RawFacts & { compromised: unknown }>`
      SELECT ${FACT_COLUMNS}, MAX(e.as_name) AS as_name,
        CASE WHEN o.compromised = 'true' THEN 1 ELSE 0 END AS compromised, COUNT(*) AS n
      FROM observations o
        JOIN hosts h ON h.id = o.host_id
        LEFT JOIN ip_enrichment e ON e.ip = h.ip
      WHERE o.scan_id = ${scanId} AND ${IS_PRODUCT_HOST}
      GROUP BY ${FACT_GROUP}, CASE WHEN o.compromised = 'true' THEN 1 ELSE 0 END`.execute(db)
  ).rows.map((r) => ({ ...facts(r), compromised: n(r.compromised) === 1, n: n(r.n) }));
  const findings = (
    await sql<RawFacts & { cve: string; state: string }>`
      SELECT f.cve AS cve, f.state AS state, ${FACT_COLUMNS}, MAX(e.as_name) AS as_name, COUNT(*) AS n
      FROM findings f
        JOIN hosts h ON h.id = f.host_id
        LEFT JOIN ip_enrichment e ON e.ip = h.ip
      WHERE f.scan_id = ${scanId} AND f.state <> 'not_applicable'
      GROUP BY f.cve, f.state, ${FACT_GROUP}`.execute(db)
  ).rows.map((r) => ({ ...facts(r), cve: r.cve, state: r.state, n: n(r.n) }));
  const orgs = new Map<string, { name: string; sector: string | null }>();
  const keys = [...new Set([...hosts, ...findings].map((h) => h.org_key).filter((k): k is string => k !== null))];
  for (let i = 0; i < keys.length; i += 500) {
    const part = await db.selectFrom('organisations').select(['key', 'name', 'sector']).where('key', 'in', keys.slice(i, i + 500)).execute();
    for (const o of part) orgs.set(o.key, { name: o.name, sector: o.sector });
  }
  return { hosts, findings, orgs };
}

function keyOf(dim: AttributionDim, f: Facts, orgs: Passes['orgs']): string {
  switch (dim) {
    case 'country':
      return f.cc ?? UNKNOWN_KEY;
    case 'asn':
      return f.asn === null ? UNKNOWN_KEY : String(f.asn);
    case 'org':
      return f.org_key ?? UNATTRIBUTED_KEY;
    case 'sector':
      return f.org_key === null ? UNATTRIBUTED_KEY : (orgs.get(f.org_key)?.sector ?? UNKNOWN_KEY);
    case 'group':
      return !f.enriched ? 'unenriched' : f.org_key !== null ? '(attributed)' : (f.grp ?? UNKNOWN_KEY);
  }
}

function nameOf(dim: AttributionDim, f: Facts, orgs: Passes['orgs']): string | null {
  if (dim === 'asn') return f.as_name;
  if (dim === 'org' && f.org_key !== null) return orgs.get(f.org_key)?.name ?? null;
  if (dim === 'group' && f.grp) return f.grp.includes('|') ? f.grp.slice(f.grp.indexOf('|') + 1) : null;
  return null;
}

function rollUp(p: Passes, dim: AttributionDim): DimRow[] {
  const byKey = new Map<string, DimRow>();
  const row = (f: Facts): DimRow => {
    const k = keyOf(dim, f, p.orgs);
    let r = byKey.get(k);
    if (r === undefined) {
      r = { key: k, name: null, hosts: 0, compromised: 0, lab: 0, cve: {} };
      byKey.set(k, r);
    }
    r.name ??= nameOf(dim, f, p.orgs);
    return r;
  };
  for (const h of p.hosts) {
    const r = row(h);
    r.hosts += h.n;
    if (h.compromised) r.compromised += h.n;
    if (h.lab) r.lab += h.n;
  }
  for (const f of p.findings) {
    if (!isCounted(f.state)) continue;
    const r = row(f);
    let s = r.cve[f.cve];
    if (s === undefined) {
      s = emptyStates();
      r.cve[f.cve] = s;
    }
    s[f.state] += f.n;
  }
  return [...byKey.values()].sort((a, b) => b.hosts - a.hosts || a.key.localeCompare(b.key));
}

function behind(selection: string, cve: string | null, state: string | null, groups: Array<Facts & { n: number }>, orgs: Passes['orgs']): OrgsBehind {
  const orgKeys = new Set<string>();
  const sectors = new Set<string>();
  const grps = new Set<string>();
  let hosts = 0;
  let unattributed = 0;
  let unenriched = 0;
  for (const g of groups) {
    hosts += g.n;
    if (g.org_key !== null) {
      orgKeys.add(g.org_key);
      const s = orgs.get(g.org_key)?.sector;
      if (s) sectors.add(s);
    } else {
      unattributed += g.n;
      if (!g.enriched) unenriched += g.n;
      else grps.add(g.grp ?? '');
    }
  }
  return {
    selection,
    cve,
    state,
    hosts,
    organisations: orgKeys.size,
    unattributed_hosts: unattributed,
    unattributed_groups: grps.size,
    unenriched_hosts: unenriched,
    sectors: sectors.size,
  };
}

function orgsBehindFrom(p: Passes): OrgsBehind[] {
  const order = (s: string) => (COUNTED_STATES as readonly string[]).indexOf(s);
  const sel = new Map<string, FindingGroup[]>();
  for (const f of p.findings) {
    if (!isCounted(f.state)) continue;
    const k = `${f.cve}\u0000${f.state}`;
    const list = sel.get(k);
    if (list) list.push(f);
    else sel.set(k, [f]);
  }
  const out = [...sel.values()]
    .sort((a, b) => a[0].cve.localeCompare(b[0].cve) || order(a[0].state) - order(b[0].state))
    .map((list) => behind(`${list[0].cve} ${list[0].state}`, list[0].cve, list[0].state, list, p.orgs));
  const comp = p.hosts.filter((h) => h.compromised);
  if (comp.length > 0) out.push(behind('compromised', null, 'compromised', comp, p.orgs));
  out.push(behind('all product hosts', null, null, p.hosts, p.orgs));
  return out;
}

/** Distinct data sources (id + version) recorded on the enrichment rows of the scan's hosts. */
export async function scanSources(db: Kysely<Database>, scanId: string): Promise<DataSourceInfo[]> {
  // DISTINCT over the JSON text first (a handful of values), then distinct sources by id + version.
  const srcRows = (
    await sql<{ sources: unknown }>`
      SELECT DISTINCT e.sources AS sources
      FROM observations o JOIN hosts h ON h.id = o.host_id JOIN ip_enrichment e ON e.ip = h.ip
      WHERE o.scan_id = ${scanId}`.execute(db)
  ).rows;
  const seen = new Map<string, DataSourceInfo>();
  for (const r of srcRows) {
    const list = readJson<unknown>(r.sources, 'ip_enrichment.sources');
    if (!Array.isArray(list)) continue;
    for (const s of list as DataSourceInfo[]) {
      if (s === null || typeof s !== 'object' || typeof s.id !== 'string') continue;
      const k = `${s.id}\u0000${s.version ?? ''}`;
      if (!seen.has(k)) seen.set(k, s);
    }
  }
  return [...seen.values()].sort((a, b) => a.id.localeCompare(b.id) || String(a.version).localeCompare(String(b.version)));
}

function coverageFrom(p: Passes, sources: DataSourceInfo[]): AttributionCoverage {
  const c: AttributionCoverage = { product_hosts: 0, enriched_hosts: 0, attributed_hosts: 0, lab_demo_hosts: 0, sources };
  for (const h of p.hosts) {
    c.product_hosts += h.n;
    if (h.enriched) c.enriched_hosts += h.n;
    if (h.org_key !== null) c.attributed_hosts += h.n;
    if (h.lab) c.lab_demo_hosts += h.n;
  }
  return c;
}

export async function buildAttribution(db: Kysely<Database>, scanId: string, dims: readonly AttributionDim[]): Promise<AttributionReport> {
  const p = await passes(db, scanId);
  const by: AttributionReport['by'] = {};
  for (const d of dims) by[d] = rollUp(p, d);
  return { coverage: coverageFrom(p, await scanSources(db, scanId)), by, orgsBehind: orgsBehindFrom(p) };
}

/** One dimension on its own (tests, benchmark). */
export async function dimensionRows(db: Kysely<Database>, scanId: string, dim: AttributionDim): Promise<DimRow[]> {
  return rollUp(await passes(db, scanId), dim);
}

/** "N hosts belong to M organisations" per CVE × classification, compromised, and all product hosts. */
export async function orgsBehind(db: Kysely<Database>, scanId: string): Promise<OrgsBehind[]> {
  return orgsBehindFrom(await passes(db, scanId));
}

/** Enrichment coverage of the scan's product hosts and the distinct data sources used. */
export async function coverage(db: Kysely<Database>, scanId: string): Promise<AttributionCoverage> {
  return coverageFrom(await passes(db, scanId), await scanSources(db, scanId));
}
