/**
 * The API's read queries: scans, headline figures per CVE with the change since the previous scan,
 * trend across scans, countries, builds, hosts (filtered, sorted, paginated server-side), one host
 * with its whole history, organisations. Every query takes a Visibility and applies it in SQL, so a
 * scoped user never receives a row or a count from outside their constituencies.
 *
 * Speed (issue #8: ≤ 200 ms a call over 1,000,000 observations): each query is shaped to read
 * covering indexes (migration 0009_api_indexes) and to do work in proportion to what it returns or
 * to the user's scope. test/api/queries.test.ts proves they answer exactly as the plain joins of
 * test/api/queries-reference.ts do; bench/api.ts measures them.
 */
import { type ExpressionBuilder, type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { readJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import type { TriageFindingsTable } from '../store/triage.js';
import { type Visibility, visibleHostsClause } from './visibility.js';

export interface ScanSummaryRow {
  id: string;
  label: string | null;
  state: string;
  started_at: string;
  finished_at: string | null;
  total: number | null;
  done: number | null;
}

export async function listScans(db: Kysely<Database>, vis: Visibility): Promise<ScanSummaryRow[]> {
  const rows = await db.selectFrom('scans').selectAll().orderBy('started_at', 'desc').limit(500).execute();
  // Totals count targets outside a scoped user's constituencies: hidden from them.
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    state: r.state,
    started_at: r.started_at,
    finished_at: r.finished_at,
    total: vis.orgKeys === null && r.total !== null ? Number(r.total) : null,
    done: vis.orgKeys === null ? Number(r.done) : null,
  }));
}

/** The scan before `scanId` (by start time), or undefined. */
export async function previousScan(db: Kysely<Database>, scanId: string): Promise<string | undefined> {
  const cur = await db.selectFrom('scans').select('started_at').where('id', '=', scanId).executeTakeFirst();
  if (!cur) return undefined;
  const prev = await db
    .selectFrom('scans')
    .select('id')
    .where('started_at', '<', cur.started_at)
    .where('state', 'in', ['finished', 'interrupted'])
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return prev?.id;
}

export interface Headline {
  cve: string;
  vulnerable: number;
  mitigated: number;
  patched: number;
  unknown: number;
  compromised: number;
  patched_compromised: number;
}

export interface Figures {
  scan: string;
  hosts: number;
  product_hosts: number;
  unreachable: number;
  error: number;
  cves: Headline[];
}

// --- scope ----------------------------------------------------------------------------------------
// A scoped user's queries start from the addresses of the visible organisations (index
// ip_enrichment (org_key, ip, cc)), go to their hosts and then to the scan's rows host by host, so
// their cost follows the size of the scope, not of the store. Such joins are written as cross joins
// with the conditions in WHERE: SQLite keeps that order (it never reorders around CROSS JOIN);
// PostgreSQL plans them like inner joins. Unscoped queries skip the joins they do not need and read
// covering indexes only (migrations 0001, 0003, 0008, 0009).

/** The visible organisation keys, or null when everything is visible. */
function scopeKeys(vis: Visibility): string[] | null {
  return vis.orgKeys === null ? null : [...vis.orgKeys];
}

/** Visible hosts: the ip_enrichment row of a visible organisation's address × its hosts. */
function visibleHosts(db: Kysely<Database>, keys: string[]) {
  return db.selectFrom('ip_enrichment').crossJoin('hosts').where('ip_enrichment.org_key', 'in', keys).whereRef('hosts.ip', '=', 'ip_enrichment.ip');
}

/** The observations of one scan on visible hosts. */
function visibleObservations(db: Kysely<Database>, scanId: string, keys: string[]) {
  return visibleHosts(db, keys).crossJoin('observations').where('observations.scan_id', '=', scanId).whereRef('observations.host_id', '=', 'hosts.id');
}

type Count = number | string | bigint;
interface StateCount {
  cve: string;
  state: string;
  n: Count;
}

function tally(
  scanId: string,
  statuses: Array<{ status: string; n: Count; p: Count }>,
  states: StateCount[],
  compromised: StateCount[],
): Figures {
  const byCve = new Map<string, Headline>();
  const headline = (cve: string) => {
    let h = byCve.get(cve);
    if (!h) {
      h = { cve, vulnerable: 0, mitigated: 0, patched: 0, unknown: 0, compromised: 0, patched_compromised: 0 };
      byCve.set(cve, h);
    }
    return h;
  };
  for (const r of states) {
    const h = headline(r.cve);
    if (r.state === 'vulnerable' || r.state === 'mitigated' || r.state === 'patched' || r.state === 'unknown') h[r.state] += Number(r.n);
  }
  for (const r of compromised) {
    const h = headline(r.cve);
    h.compromised += Number(r.n);
    if (r.state === 'patched') h.patched_compromised += Number(r.n);
  }
  let hosts = 0;
  let product = 0;
  let unreachable = 0;
  let error = 0;
  for (const s of statuses) {
    hosts += Number(s.n);
    product += Number(s.p);
    if (s.status === 'unreachable') unreachable += Number(s.n);
    if (s.status === 'error') error += Number(s.n);
  }
  return { scan: scanId, hosts, product_hosts: product, unreachable, error, cves: [...byCve.values()].sort((a, b) => a.cve.localeCompare(b.cve)) };
}

/** Headline figures of one scan, scoped. */
export async function figures(db: Kysely<Database>, scanId: string, vis: Visibility): Promise<Figures> {
  return (await figuresOf(db, [scanId], vis))[0];
}

type ByScan<T> = T & { scan: string };

/**
 * Headline figures of several scans at once (the dashboard's current and previous scan), scoped:
 * every query below groups by scan, so the scope's host set is built once per query, not per scan.
 * Answers in the order of `scanIds`.
 */
export async function figuresOf(db: Kysely<Database>, scanIds: readonly string[], vis: Visibility): Promise<Figures[]> {
  const ids = [...new Set(scanIds)];
  const keys = scopeKeys(vis);
  let statuses: Array<ByScan<{ status: string; n: Count; p: Count }>> = [];
  let states: Array<ByScan<StateCount>> = [];
  let compromised: Array<ByScan<StateCount>> = [];
  if (ids.length === 0 || (keys !== null && keys.length === 0)) {
    // nothing visible
  } else if (keys === null) {
    // Index-only (observations_report_idx, findings_report_idx). The findings of the compromised
    // observations (few: observations_compromise_idx) as `seq IN (…)`: one pass over the scan's
    // findings tested against that small set. (Written as a join, SQLite without statistics drove
    // it through findings_state_api_idx (scan_id) once per compromised observation — quadratic:
    // 30 s on 1,000,000 observations, 0.05 s this way.)
    statuses = await db
      .selectFrom('observations')
      .select(['scan_id as scan', 'status', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.count<number>('product').as('p')])
      .where('scan_id', 'in', ids)
      .groupBy(['scan_id', 'status'])
      .execute();
    states = await db
      .selectFrom('findings')
      .select(['scan_id as scan', 'cve', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('scan_id', 'in', ids)
      .groupBy(['scan_id', 'cve', 'state'])
      .execute();
    for (const id of ids) {
      const rows = await db
        .selectFrom('findings')
        .select(['scan_id as scan', 'cve', 'state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('scan_id', '=', id)
        .where('seq', 'in', (eb) =>
          eb.selectFrom('observations').select('observations.seq').where('observations.scan_id', '=', id).where('observations.compromised', '=', 'true'),
        )
        .groupBy(['scan_id', 'cve', 'state'])
        .execute();
      compromised.push(...rows);
    }
  } else {
    // Observations of visible hosts: the visible host set (ip_enrichment_org_api_idx, hosts by
    // address) meets each scan's observation of the host (observations_api_idx (scan_id, host_id)).
    statuses = await visibleHosts(db, keys)
      .crossJoin('observations')
      .whereRef('observations.host_id', '=', 'hosts.id')
      .where('observations.scan_id', 'in', ids)
      .select([
        'observations.scan_id as scan',
        'observations.status as status',
        (eb) => eb.fn.countAll<number>().as('n'),
        (eb) => eb.fn.count<number>('observations.product').as('p'),
        (eb) => eb.fn.sum<number>(eb.case().when('observations.compromised', '=', 'true').then(1).else(0).end()).as('c'),
      ])
      .groupBy(['observations.scan_id', 'observations.status'])
      .execute();
    // Each scan's findings (findings_report_idx (scan_id, cve, state, host_id): a sequential,
    // covering range) tested against the set of visible host ids, built once. (Seeking each visible
    // observation's findings instead is random access into a large index, 2–3× slower; and SQLite
    // without statistics drives that join through findings_state_api_idx (scan_id) once per
    // observation — quadratic.)
    const hostIds = () => visibleHosts(db, keys).select('hosts.id');
    states = await db
      .selectFrom('findings')
      .select(['findings.scan_id as scan', 'findings.cve as cve', 'findings.state as state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('findings.scan_id', 'in', ids)
      .where('findings.host_id', 'in', hostIds())
      .groupBy(['findings.scan_id', 'findings.cve', 'findings.state'])
      .execute();
    // The scans' compromised observations (few: observations_compromise_idx) on visible hosts, to
    // their findings by primary key (scan_id, seq, cve): the CVE list makes SQLite seek it, and
    // `host_id + 0` tests the host set instead of seeking each visible host.
    const cves = [...new Set(states.map((r) => r.cve))];
    const anyCompromised = statuses.some((r) => Number((r as { c?: Count | null }).c ?? 0) > 0);
    if (cves.length > 0 && anyCompromised) {
      compromised = await db
        .selectFrom('observations')
        .crossJoin('findings')
        .select(['observations.scan_id as scan', 'findings.cve as cve', 'findings.state as state', (eb) => eb.fn.countAll<number>().as('n')])
        .where('observations.scan_id', 'in', ids)
        .where('observations.compromised', '=', 'true')
        .where(sql<number>`observations.host_id + 0`, 'in', hostIds())
        .whereRef('findings.scan_id', '=', 'observations.scan_id')
        .whereRef('findings.seq', '=', 'observations.seq')
        .where('findings.cve', 'in', cves)
        .groupBy(['observations.scan_id', 'findings.cve', 'findings.state'])
        .execute();
    }
  }
  const of = <T extends { scan: string }>(rows: T[], id: string) => rows.filter((r) => r.scan === id);
  return scanIds.map((id) => tally(id, of(statuses, id), of(states, id), of(compromised, id)));
}

/** Per scan (the latest `limit`, oldest first), the count of each state of `cve`, scoped. One grouped query. */
export async function trend(
  db: Kysely<Database>,
  cve: string,
  vis: Visibility,
  limit = 50,
): Promise<Array<{ scan: string; label: string | null; started_at: string; counts: Record<string, number> }>> {
  const scans = (await db.selectFrom('scans').select(['id', 'label', 'started_at']).orderBy('started_at', 'desc').limit(limit).execute()).reverse();
  if (scans.length === 0) return [];
  const keys = scopeKeys(vis);
  const ids = scans.map((s) => s.id);
  let rows: Array<{ scan: string; state: string; n: Count }> = [];
  if (keys === null) {
    // findings_report_idx (scan_id, cve, state, …): one index range per scan.
    rows = await db
      .selectFrom('findings')
      .select(['scan_id as scan', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('cve', '=', cve)
      .where('scan_id', 'in', ids)
      .groupBy(['scan_id', 'state'])
      .execute();
  } else if (keys.length > 0) {
    // findings_host_api_idx (host_id, cve, scan_id, state): every scan of a visible host at once,
    // hosts taken in id order from the set of visible host ids (so the index is read in order, not
    // at random). When the trend covers every scan, no scan filter: it would turn each host's one
    // range into a seek per scan.
    const all = Number((await db.selectFrom('scans').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    let rq = db
      .selectFrom('findings')
      .select(['findings.scan_id as scan', 'findings.state as state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('findings.cve', '=', cve)
      .where('findings.host_id', 'in', visibleHosts(db, keys).select('hosts.id'));
    if (all > scans.length) rq = rq.where('findings.scan_id', 'in', ids);
    rows = await rq.groupBy(['findings.scan_id', 'findings.state']).execute();
  }
  const byScan = new Map<string, Record<string, number>>(scans.map((s) => [s.id, {}]));
  for (const r of rows) {
    const c = byScan.get(r.scan);
    if (c) c[r.state] = Number(r.n);
  }
  return scans.map((s) => ({ scan: s.id, label: s.label, started_at: s.started_at, counts: byScan.get(s.id) ?? {} }));
}

export interface CountryCount {
  cc: string | null;
  vulnerable: number;
  mitigated: number;
  compromised: number;
  total: number;
}

/** Hosts at risk for `cve` (vulnerable, mitigated, or compromised) per country, scoped. */
export async function countries(db: Kysely<Database>, scanId: string, cve: string, vis: Visibility): Promise<CountryCount[]> {
  const keys = scopeKeys(vis);
  if (keys !== null && keys.length === 0) return [];
  const vulnerable = (eb: ExpressionBuilder<Database, 'findings'>) => eb.fn.sum<number>(eb.case().when('findings.state', '=', 'vulnerable').then(1).else(0).end());
  const mitigated = (eb: ExpressionBuilder<Database, 'findings'>) => eb.fn.sum<number>(eb.case().when('findings.state', '=', 'mitigated').then(1).else(0).end());
  let perCc: Array<{ cc: string | null; vulnerable: Count | null; mitigated: Count | null; total: Count }>;
  if (keys === null) {
    // Findings of hosts with a country (ip_enrichment (ip, cc) read by index only); those without
    // one (no enrichment, or no country) are the scan's total minus these.
    const known = await db
      .selectFrom('findings')
      .crossJoin('hosts')
      .crossJoin('ip_enrichment')
      .select(['ip_enrichment.cc as cc', (eb) => vulnerable(eb).as('vulnerable'), (eb) => mitigated(eb).as('mitigated'), (eb) => eb.fn.countAll<number>().as('total')])
      .where('findings.scan_id', '=', scanId)
      .where('findings.cve', '=', cve)
      .whereRef('hosts.id', '=', 'findings.host_id')
      .whereRef('ip_enrichment.ip', '=', 'hosts.ip')
      .where('ip_enrichment.cc', 'is not', null)
      .groupBy('ip_enrichment.cc')
      .orderBy('ip_enrichment.cc')
      .execute();
    const all = await db
      .selectFrom('findings')
      .select([(eb) => vulnerable(eb).as('vulnerable'), (eb) => mitigated(eb).as('mitigated'), (eb) => eb.fn.countAll<number>().as('total')])
      .where('scan_id', '=', scanId)
      .where('cve', '=', cve)
      .executeTakeFirstOrThrow();
    const rest = { cc: null, vulnerable: Number(all.vulnerable ?? 0), mitigated: Number(all.mitigated ?? 0), total: Number(all.total) };
    for (const k of known) {
      rest.vulnerable -= Number(k.vulnerable);
      rest.mitigated -= Number(k.mitigated);
      rest.total -= Number(k.total);
    }
    perCc = rest.total > 0 ? [rest, ...known] : known;
  } else {
    // The scan's findings of the CVE in one sequential, covering range of findings_report_idx
    // (scan_id, cve, state, host_id), each tested against the set of visible host ids (built once);
    // only the matches meet their host and country. `host_id + 0` keeps SQLite from turning the
    // set into one seek per visible host into findings_host_api_idx instead: random access into a
    // large index, 2× slower at 14,000 visible hosts. (PostgreSQL plans it as a hash semi-join.)
    perCc = await db
      .selectFrom('findings')
      .crossJoin('hosts')
      .crossJoin('ip_enrichment')
      .select(['ip_enrichment.cc as cc', (eb) => vulnerable(eb).as('vulnerable'), (eb) => mitigated(eb).as('mitigated'), (eb) => eb.fn.countAll<number>().as('total')])
      .where('findings.scan_id', '=', scanId)
      .where('findings.cve', '=', cve)
      .where(sql<number>`findings.host_id + 0`, 'in', visibleHosts(db, keys).select('hosts.id'))
      .whereRef('hosts.id', '=', 'findings.host_id')
      .whereRef('ip_enrichment.ip', '=', 'hosts.ip')
      .groupBy('ip_enrichment.cc')
      .orderBy('ip_enrichment.cc')
      .execute();
  }
  // Compromised observations are few: from them to their finding, host and country.
  let cq = db
    .selectFrom('observations')
    .crossJoin('findings')
    .crossJoin('hosts')
    .leftJoin('ip_enrichment', 'ip_enrichment.ip', 'hosts.ip')
    .select(['ip_enrichment.cc as cc', (eb) => eb.fn.countAll<number>().as('n')])
    .where('observations.scan_id', '=', scanId)
    .where('observations.compromised', '=', 'true')
    .whereRef('findings.scan_id', '=', 'observations.scan_id')
    .whereRef('findings.seq', '=', 'observations.seq')
    .where('findings.cve', '=', cve)
    .whereRef('hosts.id', '=', 'findings.host_id')
    .groupBy('ip_enrichment.cc');
  // (coalesce: tested on the one enrichment row per address; as a bare column SQLite would seek
  // ip_enrichment_ip_org_api_idx (ip, org_key) once per visible key for every row.)
  if (keys !== null) cq = cq.where(sql<string>`coalesce(ip_enrichment.org_key, '')`, 'in', keys);
  const compromised = new Map<string | null, number>();
  for (const r of await cq.execute()) compromised.set(r.cc, Number(r.n));
  return perCc
    .map((r) => ({
      cc: r.cc,
      vulnerable: Number(r.vulnerable ?? 0),
      mitigated: Number(r.mitigated ?? 0),
      compromised: compromised.get(r.cc) ?? 0,
      total: Number(r.total),
    }))
    .sort((a, b) => b.vulnerable + b.mitigated + b.compromised - (a.vulnerable + a.mitigated + a.compromised));
}

/** Builds in use among hosts of the product, scoped. */
export async function versions(db: Kysely<Database>, scanId: string, vis: Visibility): Promise<Array<{ version: string | null; hosts: number }>> {
  const keys = scopeKeys(vis);
  if (keys !== null && keys.length === 0) return [];
  const rows =
    keys === null
      ? await db
          .selectFrom('observations')
          .select(['version', (eb) => eb.fn.countAll<number>().as('n')])
          .where('scan_id', '=', scanId)
          .where('product', 'is not', null)
          .groupBy('version')
          .orderBy('n', 'desc')
          .limit(200)
          .execute()
      : await visibleObservations(db, scanId, keys)
          .select(['observations.version as version', (eb) => eb.fn.countAll<number>().as('n')])
          .where('observations.product', 'is not', null)
          .groupBy('observations.version')
          .orderBy('n', 'desc')
          .limit(200)
          .execute();
  return rows.map((r) => ({ version: r.version, hosts: Number(r.n) }));
}

export const HOST_SORTS = ['ip', 'version', 'country', 'org', 'status'] as const;
export type HostSort = (typeof HOST_SORTS)[number];

export interface HostFilter {
  scan: string;
  cve?: string;
  state?: string;
  compromised?: boolean;
  cc?: string;
  org?: string;
  sector?: string;
  /** Substring of address, name, organisation or version. */
  q?: string;
  sort?: HostSort;
  desc?: boolean;
  page: number;
  perPage: number;
}

export interface HostRow {
  ip: string;
  port: number;
  host: string;
  status: string;
  reason: string | null;
  product: string | null;
  version: string | null;
  compromised: string | null;
  cc: string | null;
  asn: number | null;
  org_key: string | null;
  org_name: string | null;
  sector: string | null;
  cve: Record<string, string>;
}

function likeEscape(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Tables every host query may filter on (observations, hosts, ip_enrichment, organisations). */
type HostTables = 'observations' | 'hosts' | 'ip_enrichment' | 'organisations';

/** The filters of `f` on a query over HostTables. `findings` picks how the CVE/state filter is written. */
function hostFilters<Q extends SelectQueryBuilder<Database, HostTables, object>>(q: Q, f: HostFilter, findings: 'in' | 'exists'): Q {
  let base = q;
  if (f.cve !== undefined || f.state !== undefined) {
    base = base.where((eb) => {
      // A set of seqs (findings_state_api_idx) for counting; a lookup per row for a page.
      let sub = eb.selectFrom('findings').select('findings.seq').where('findings.scan_id', '=', f.scan);
      if (findings === 'exists') sub = sub.whereRef('findings.seq', '=', 'observations.seq');
      if (f.cve !== undefined) sub = sub.where('findings.cve', '=', f.cve);
      if (f.state !== undefined) sub = sub.where('findings.state', '=', f.state);
      return findings === 'exists' ? eb.exists(sub) : eb('observations.seq', 'in', sub);
    }) as Q;
  }
  if (f.compromised !== undefined) base = base.where('observations.compromised', f.compromised ? '=' : '!=', 'true') as Q;
  if (f.cc !== undefined) base = base.where('ip_enrichment.cc', '=', f.cc.toUpperCase()) as Q;
  if (f.org !== undefined) base = base.where('ip_enrichment.org_key', '=', f.org) as Q;
  if (f.sector !== undefined) base = base.where('organisations.sector', '=', f.sector) as Q;
  if (f.q !== undefined && f.q !== '') {
    const pat = likeEscape(f.q.slice(0, 100));
    base = base.where((eb) =>
      eb.or([
        eb(sql`hosts.ip`, 'like', sql`${pat} escape '\\'`),
        eb(sql`hosts.host`, 'like', sql`${pat} escape '\\'`),
        eb(sql`observations.version`, 'like', sql`${pat} escape '\\'`),
        eb(sql`organisations.name`, 'like', sql`${pat} escape '\\'`),
      ]),
    ) as Q;
  }
  return base;
}

/** The number of a scan's hosts that pass `f`, scoped; without the page's joins where none is needed. */
async function hostCount(db: Kysely<Database>, f: HostFilter, keys: string[] | null): Promise<number> {
  const needsOrg = f.sector !== undefined || (f.q !== undefined && f.q !== '');
  const needsEnrichment = needsOrg || f.cc !== undefined || f.org !== undefined;
  let q: SelectQueryBuilder<Database, HostTables, object>;
  if (keys !== null) {
    q = visibleObservations(db, f.scan, keys).leftJoin('organisations', 'organisations.key', 'ip_enrichment.org_key') as unknown as typeof q;
  } else if (needsEnrichment) {
    q = db
      .selectFrom('observations')
      .innerJoin('hosts', 'hosts.id', 'observations.host_id')
      .leftJoin('ip_enrichment', 'ip_enrichment.ip', 'hosts.ip')
      .leftJoin('organisations', 'organisations.key', 'ip_enrichment.org_key')
      .where('observations.scan_id', '=', f.scan) as unknown as typeof q;
  } else {
    // Only observation columns: a covering index range (and the findings' seq set).
    q = db.selectFrom('observations').where('observations.scan_id', '=', f.scan) as unknown as typeof q;
  }
  // Scoped: a lookup per visible observation (EXISTS by primary key). As `seq IN (set)` SQLite
  // would seek an index on (scan_id, host_id, …) once per host *and* per seq of the
  // set — quadratic (72 s for 14,000 hosts × 15,000 vulnerable seqs).
  const r = await hostFilters(q, f, keys !== null ? 'exists' : 'in')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** One page of a scan's hosts with their CVE states side by side, scoped; plus the total count. */
export async function hosts(db: Kysely<Database>, f: HostFilter, vis: Visibility): Promise<{ total: number; rows: HostRow[] }> {
  const keys = scopeKeys(vis);
  if (keys !== null && keys.length === 0) return { total: 0, rows: [] };
  const total = await hostCount(db, f, keys);
  if (total === 0 || (f.page - 1) * f.perPage >= total) return { total, rows: [] };
  const sort = f.sort ?? 'ip';
  let base: SelectQueryBuilder<Database, HostTables, object>;
  if (sort === 'ip' && f.org === undefined) {
    // In address order, the page is the first hosts of the hosts (ip, port, host) index that pass
    // the filters: no sort of the whole scan. (An organisation filter is selective: let the
    // planner start from it instead.)
    base = db
      .selectFrom('hosts')
      .crossJoin('observations')
      .leftJoin('ip_enrichment', 'ip_enrichment.ip', 'hosts.ip')
      .leftJoin('organisations', 'organisations.key', 'ip_enrichment.org_key')
      .where('observations.scan_id', '=', f.scan)
      .whereRef('observations.host_id', '=', 'hosts.id') as unknown as typeof base;
  } else {
    base = db
      .selectFrom('observations')
      .innerJoin('hosts', 'hosts.id', 'observations.host_id')
      .leftJoin('ip_enrichment', 'ip_enrichment.ip', 'hosts.ip')
      .leftJoin('organisations', 'organisations.key', 'ip_enrichment.org_key')
      .where('observations.scan_id', '=', f.scan) as unknown as typeof base;
  }
  if (keys !== null) base = base.where(visibleHostsClause(vis) as NonNullable<ReturnType<typeof visibleHostsClause>>);
  base = hostFilters(base, f, 'exists');
  const col = {
    ip: 'hosts.ip',
    version: 'observations.version',
    country: 'ip_enrichment.cc',
    org: 'organisations.name',
    status: 'observations.status',
  } as const;
  const dir = f.desc ? 'desc' : 'asc';
  const page = await base
    .select([
      'observations.seq as seq',
      'hosts.ip as ip',
      'hosts.port as port',
      'hosts.host as host',
      'observations.status as status',
      'observations.reason as reason',
      'observations.product as product',
      'observations.version as version',
      'observations.compromised as compromised',
      'ip_enrichment.cc as cc',
      'ip_enrichment.asn as asn',
      'ip_enrichment.org_key as org_key',
      'organisations.name as org_name',
      'organisations.sector as sector',
    ])
    .orderBy(col[sort], dir)
    .orderBy('observations.seq')
    .limit(f.perPage)
    .offset((f.page - 1) * f.perPage)
    .execute();
  const seqs = page.map((r) => Number(r.seq));
  const cves =
    seqs.length === 0
      ? []
      : await db.selectFrom('findings').select(['seq', 'cve', 'state']).where('scan_id', '=', f.scan).where('seq', 'in', seqs).execute();
  const bySeq = new Map<number, Record<string, string>>();
  for (const c of cves) {
    const m = bySeq.get(Number(c.seq)) ?? {};
    m[c.cve] = c.state;
    bySeq.set(Number(c.seq), m);
  }
  return {
    total,
    rows: page.map((r) => ({
      ip: r.ip,
      port: Number(r.port),
      host: r.host,
      status: r.status,
      reason: r.reason,
      product: r.product,
      version: r.version,
      compromised: r.compromised,
      cc: r.cc,
      asn: r.asn === null ? null : Number(r.asn),
      org_key: r.org_key,
      org_name: r.org_name,
      sector: r.sector,
      cve: bySeq.get(Number(r.seq)) ?? {},
    })),
  };
}

/** Everything about one address, scoped (undefined when not visible or never seen). */
export async function hostDetail(db: Kysely<Database>, ip: string, vis: Visibility) {
  const clause = visibleHostsClause(vis);
  let q = db
    .selectFrom('observations')
    .innerJoin('hosts', 'hosts.id', 'observations.host_id')
    .innerJoin('scans', 'scans.id', 'observations.scan_id')
    .select([
      'observations.scan_id as scan_id',
      'scans.label as scan_label',
      'scans.started_at as scan_started',
      'observations.seq as seq',
      'observations.record as record',
    ])
    .where('hosts.ip', '=', ip)
    .orderBy('scans.started_at', 'desc')
    .limit(100);
  if (clause) q = q.where(clause);
  const obs = await q.execute();
  if (obs.length === 0) return undefined;
  const enrichment = await db.selectFrom('ip_enrichment').selectAll().where('ip', '=', ip).executeTakeFirst();
  const org = enrichment?.org_key
    ? await db.selectFrom('organisations').select(['key', 'name', 'sector', 'language']).where('key', '=', enrichment.org_key).executeTakeFirst()
    : undefined;
  // biome-ignore lint/suspicious/noExplicitAny: the triage tables are typed in src/store/triage.ts
  const triage = await (db as Kysely<any>)
    .selectFrom('triage_runs')
    .select(['id', 'collection', 'triaged_at', 'verdict', 'high', 'medium', 'low'])
    .where('ip', '=', ip)
    .orderBy('triaged_at', 'desc')
    .limit(20)
    .execute();
  // The findings of those runs (rule, kind, confidence, where, excerpt), bounded per host.
  const findings =
    triage.length === 0
      ? []
      : // biome-ignore lint/suspicious/noExplicitAny: the triage tables are typed in src/store/triage.ts
        await (db as Kysely<any>)
          .selectFrom('triage_findings')
          .select(['run_id', 'n', 'rule', 'kind', 'confidence', 'path', 'line', 'time', 'source_ip', 'excerpt'])
          .where(
            'run_id',
            'in',
            triage.map((r) => r.id),
          )
          .orderBy('run_id')
          .orderBy('n')
          .limit(MAX_TRIAGE_FINDINGS)
          .execute();
  const byRun = new Map<string, TriageFindingRow[]>();
  for (const f of findings as TriageFindingRow[]) {
    const list = byRun.get(f.run_id) ?? [];
    list.push({ ...f, n: Number(f.n), line: f.line === null ? null : Number(f.line) });
    byRun.set(f.run_id, list);
  }
  return {
    ip,
    observations: obs.map((o) => ({
      scan: o.scan_id,
      scan_label: o.scan_label,
      scan_started: o.scan_started,
      record: readJson<Record<string, unknown>>(o.record, `record ${o.scan_id}/${o.seq}`),
    })),
    enrichment: enrichment
      ? {
          ...enrichment,
          names: readJson<unknown>(enrichment.names, 'names'),
          sources: readJson<unknown>(enrichment.sources, 'sources'),
        }
      : null,
    organisation: org ?? null,
    triage: triage.map((r) => ({
      ...r,
      high: Number(r.high),
      medium: Number(r.medium),
      low: Number(r.low),
      findings: byRun.get(r.id) ?? [],
    })),
  };
}

/** Most triage findings one host answer carries (runs are few; each finding is bounded text). */
export const MAX_TRIAGE_FINDINGS = 500;

/** A triage finding as stored (src/store/triage.ts). */
export type TriageFindingRow = TriageFindingsTable;

/** Organisations (visible ones) with their hosts in `scanId` and the worst state among them. */
export async function organisations(db: Kysely<Database>, scanId: string | undefined, vis: Visibility) {
  let q = db.selectFrom('organisations').select(['key', 'name', 'sector', 'language', 'constituencies']).orderBy('name').limit(100_000);
  if (vis.orgKeys !== null) q = vis.orgKeys.size === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('key', 'in', [...vis.orgKeys]);
  const orgs = await q.execute();
  const counts = new Map<string, { hosts: number; vulnerable: number; mitigated: number; compromised: number }>();
  const keys = scopeKeys(vis);
  if (scanId !== undefined && orgs.length > 0 && (keys === null || keys.length > 0)) {
    // One pass over the scan's observations (covering indexes only), each tested against the seq
    // sets of its vulnerable and mitigated findings (findings_state_api_idx): hosts, not findings.
    const inState = (eb: ExpressionBuilder<Database, 'observations'>, state: string) =>
      eb.fn.sum<number>(
        eb
          .case()
          .when('observations.seq', 'in', eb.selectFrom('findings').select('findings.seq').where('findings.scan_id', '=', scanId).where('findings.state', '=', state))
          .then(1)
          .else(0)
          .end(),
      );
    const base =
      keys === null
        ? db
            .selectFrom('observations')
            .crossJoin('hosts')
            .crossJoin('ip_enrichment')
            .where('observations.scan_id', '=', scanId)
            .whereRef('hosts.id', '=', 'observations.host_id')
            .whereRef('ip_enrichment.ip', '=', 'hosts.ip')
            .where('ip_enrichment.org_key', 'is not', null)
        : // A scoped user is shown only their organisations: count only those.
          visibleObservations(db, scanId, keys);
    const rows = await base
      .select([
        'ip_enrichment.org_key as org',
        (eb) => eb.fn.countAll<number>().as('hosts'),
        (eb) => inState(eb, 'vulnerable').as('vulnerable'),
        (eb) => inState(eb, 'mitigated').as('mitigated'),
        (eb) => eb.fn.sum<number>(eb.case().when('observations.compromised', '=', 'true').then(1).else(0).end()).as('compromised'),
      ])
      .groupBy('ip_enrichment.org_key')
      .execute();
    for (const r of rows)
      if (r.org !== null)
        counts.set(r.org, { hosts: Number(r.hosts), vulnerable: Number(r.vulnerable), mitigated: Number(r.mitigated), compromised: Number(r.compromised) });
  }
  return orgs.map((o) => {
    const c = counts.get(o.key) ?? { hosts: 0, vulnerable: 0, mitigated: 0, compromised: 0 };
    const worst = c.compromised > 0 ? 'compromised' : c.vulnerable > 0 ? 'vulnerable' : c.mitigated > 0 ? 'mitigated' : c.hosts > 0 ? 'ok' : 'none';
    return { key: o.key, name: o.name, sector: o.sector, language: o.language, constituencies: readJson<string[]>(o.constituencies, 'constituencies'), ...c, worst };
  });
}
