/**
 * REFERENCE ONLY (tests): the API's read queries as first written — plain joins, no regard for
 * speed — kept verbatim so test/api/queries.test.ts can prove the optimised src/api/queries.ts
 * returns exactly the same. Original header: the API's read queries: scans, headline figures per CVE with the change since the previous scan,
 * trend across scans, countries, builds, hosts (filtered, sorted, paginated server-side), one host
 * with its whole history, organisations. Every query takes a Visibility and applies it in SQL, so a
 * scoped user never receives a row or a count from outside their constituencies.
 */
import { type Kysely, sql } from 'kysely';
import { readJson } from '../../src/store/json.js';
import type { Database } from '../../src/store/schema.js';
import { type Visibility, visibleHostsClause } from '../../src/api/visibility.js';

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

/** Headline figures of one scan, scoped. */
export async function figures(db: Kysely<Database>, scanId: string, vis: Visibility): Promise<Figures> {
  const clause = visibleHostsClause(vis);
  let st = db
    .selectFrom('observations')
    .innerJoin('hosts', 'hosts.id', 'observations.host_id')
    .select([
      'observations.status as status',
      (eb) => eb.fn.countAll<number>().as('n'),
      (eb) => eb.fn.count<number>('observations.product').as('p'),
    ])
    .where('observations.scan_id', '=', scanId)
    .groupBy('observations.status');
  if (clause) st = st.where(clause);
  const statuses = await st.execute();
  let fq = db
    .selectFrom('findings')
    .innerJoin('observations', (j) => j.onRef('observations.scan_id', '=', 'findings.scan_id').onRef('observations.seq', '=', 'findings.seq'))
    .innerJoin('hosts', 'hosts.id', 'findings.host_id')
    .select(['findings.cve as cve', 'findings.state as state', 'observations.compromised as compromised', (eb) => eb.fn.countAll<number>().as('n')])
    .where('findings.scan_id', '=', scanId)
    .groupBy(['findings.cve', 'findings.state', 'observations.compromised']);
  if (clause) fq = fq.where(clause);
  const rows = await fq.execute();
  const byCve = new Map<string, Headline>();
  for (const r of rows) {
    let h = byCve.get(r.cve);
    if (!h) {
      h = { cve: r.cve, vulnerable: 0, mitigated: 0, patched: 0, unknown: 0, compromised: 0, patched_compromised: 0 };
      byCve.set(r.cve, h);
    }
    const n = Number(r.n);
    if (r.state === 'vulnerable' || r.state === 'mitigated' || r.state === 'patched' || r.state === 'unknown') h[r.state] += n;
    if (r.compromised === 'true') {
      h.compromised += n;
      if (r.state === 'patched') h.patched_compromised += n;
    }
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
  return {
    scan: scanId,
    hosts,
    product_hosts: product,
    unreachable,
    error,
    cves: [...byCve.values()].sort((a, b) => a.cve.localeCompare(b.cve)),
  };
}

/** Per finished scan, the count of each state of `cve` (oldest first), scoped. */
export async function trend(
  db: Kysely<Database>,
  cve: string,
  vis: Visibility,
  limit = 50,
): Promise<Array<{ scan: string; label: string | null; started_at: string; counts: Record<string, number> }>> {
  const scans = (await db.selectFrom('scans').select(['id', 'label', 'started_at']).orderBy('started_at', 'desc').limit(limit).execute()).reverse();
  if (scans.length === 0) return [];
  const clause = visibleHostsClause(vis);
  let q = db
    .selectFrom('findings')
    .innerJoin('hosts', 'hosts.id', 'findings.host_id')
    .select(['findings.scan_id as scan', 'findings.state as state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('findings.cve', '=', cve)
    .where(
      'findings.scan_id',
      'in',
      scans.map((s) => s.id),
    )
    .groupBy(['findings.scan_id', 'findings.state']);
  if (clause) q = q.where(clause);
  const rows = await q.execute();
  return scans.map((s) => {
    const counts: Record<string, number> = {};
    for (const r of rows) if (r.scan === s.id) counts[r.state] = Number(r.n);
    return { scan: s.id, label: s.label, started_at: s.started_at, counts };
  });
}

/** Hosts at risk for `cve` (vulnerable, mitigated, or compromised) per country, scoped. */
export async function countries(
  db: Kysely<Database>,
  scanId: string,
  cve: string,
  vis: Visibility,
): Promise<Array<{ cc: string | null; vulnerable: number; mitigated: number; compromised: number; total: number }>> {
  const clause = visibleHostsClause(vis);
  let q = db
    .selectFrom('findings')
    .innerJoin('observations', (j) => j.onRef('observations.scan_id', '=', 'findings.scan_id').onRef('observations.seq', '=', 'findings.seq'))
    .innerJoin('hosts', 'hosts.id', 'findings.host_id')
    .leftJoin('ip_enrichment', 'ip_enrichment.ip', 'hosts.ip')
    .select([
      'ip_enrichment.cc as cc',
      (eb) => eb.fn.sum<number>(eb.case().when('findings.state', '=', 'vulnerable').then(1).else(0).end()).as('vulnerable'),
      (eb) => eb.fn.sum<number>(eb.case().when('findings.state', '=', 'mitigated').then(1).else(0).end()).as('mitigated'),
      (eb) => eb.fn.sum<number>(eb.case().when('observations.compromised', '=', 'true').then(1).else(0).end()).as('compromised'),
      (eb) => eb.fn.countAll<number>().as('total'),
    ])
    .where('findings.scan_id', '=', scanId)
    .where('findings.cve', '=', cve)
    .groupBy('ip_enrichment.cc');
  if (clause) q = q.where(clause);
  const rows = await q.execute();
  return rows
    .map((r) => ({
      cc: r.cc,
      vulnerable: Number(r.vulnerable),
      mitigated: Number(r.mitigated),
      compromised: Number(r.compromised),
      total: Number(r.total),
    }))
    .sort((a, b) => b.vulnerable + b.mitigated + b.compromised - (a.vulnerable + a.mitigated + a.compromised));
}

/** Builds in use among hosts of the product, scoped. */
export async function versions(db: Kysely<Database>, scanId: string, vis: Visibility): Promise<Array<{ version: string | null; hosts: number }>> {
  const clause = visibleHostsClause(vis);
  let q = db
    .selectFrom('observations')
    .innerJoin('hosts', 'hosts.id', 'observations.host_id')
    .select(['observations.version as version', (eb) => eb.fn.countAll<number>().as('n')])
    .where('observations.scan_id', '=', scanId)
    .where('observations.product', 'is not', null)
    .groupBy('observations.version')
    .orderBy('n', 'desc')
    .limit(200);
  if (clause) q = q.where(clause);
  return (await q.execute()).map((r) => ({ version: r.version, hosts: Number(r.n) }));
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

/** One page of a scan's hosts with their CVE states side by side, scoped; plus the total count. */
export async function hosts(db: Kysely<Database>, f: HostFilter, vis: Visibility): Promise<{ total: number; rows: HostRow[] }> {
  const clause = visibleHostsClause(vis);
  let base = db
    .selectFrom('observations')
    .innerJoin('hosts', 'hosts.id', 'observations.host_id')
    .leftJoin('ip_enrichment', 'ip_enrichment.ip', 'hosts.ip')
    .leftJoin('organisations', 'organisations.key', 'ip_enrichment.org_key')
    .where('observations.scan_id', '=', f.scan);
  if (clause) base = base.where(clause);
  if (f.cve !== undefined || f.state !== undefined) {
    base = base.where(({ exists, selectFrom }) => {
      let sub = selectFrom('findings')
        .select('findings.seq')
        .whereRef('findings.scan_id', '=', 'observations.scan_id')
        .whereRef('findings.seq', '=', 'observations.seq');
      if (f.cve !== undefined) sub = sub.where('findings.cve', '=', f.cve);
      if (f.state !== undefined) sub = sub.where('findings.state', '=', f.state);
      return exists(sub);
    });
  }
  if (f.compromised !== undefined) base = base.where('observations.compromised', f.compromised ? '=' : '!=', 'true');
  if (f.cc !== undefined) base = base.where('ip_enrichment.cc', '=', f.cc.toUpperCase());
  if (f.org !== undefined) base = base.where('ip_enrichment.org_key', '=', f.org);
  if (f.sector !== undefined) base = base.where('organisations.sector', '=', f.sector);
  if (f.q !== undefined && f.q !== '') {
    const pat = likeEscape(f.q.slice(0, 100));
    base = base.where((eb) =>
      eb.or([
        eb(sql`hosts.ip`, 'like', sql`${pat} escape '\\'`),
        eb(sql`hosts.host`, 'like', sql`${pat} escape '\\'`),
        eb(sql`observations.version`, 'like', sql`${pat} escape '\\'`),
        eb(sql`organisations.name`, 'like', sql`${pat} escape '\\'`),
      ]),
    );
  }
  const total = Number((await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
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
    .orderBy(col[f.sort ?? 'ip'], dir)
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
    triage,
  };
}

/** Organisations (visible ones) with their hosts in `scanId` and the worst state among them. */
export async function organisations(db: Kysely<Database>, scanId: string | undefined, vis: Visibility) {
  let q = db.selectFrom('organisations').select(['key', 'name', 'sector', 'language', 'constituencies']).orderBy('name').limit(10_000);
  if (vis.orgKeys !== null) q = vis.orgKeys.size === 0 ? q.where(sql<boolean>`1 = 0`) : q.where('key', 'in', [...vis.orgKeys]);
  const orgs = await q.execute();
  const counts = new Map<string, { hosts: number; vulnerable: number; mitigated: number; compromised: number }>();
  if (scanId !== undefined) {
    const rows = await db
      .selectFrom('observations')
      .innerJoin('hosts', 'hosts.id', 'observations.host_id')
      .innerJoin('ip_enrichment', 'ip_enrichment.ip', 'hosts.ip')
      .leftJoin('findings', (j) =>
        j
          .onRef('findings.scan_id', '=', 'observations.scan_id')
          .onRef('findings.seq', '=', 'observations.seq')
          .on('findings.state', 'in', ['vulnerable', 'mitigated']),
      )
      .select([
        'ip_enrichment.org_key as org',
        (eb) => eb.fn.count<number>('observations.seq').distinct().as('hosts'),
        // Hosts (not findings): a host vulnerable to three CVEs counts once.
        (eb) => eb.fn.count<number>(eb.case().when('findings.state', '=', 'vulnerable').then(eb.ref('observations.seq')).end()).distinct().as('vulnerable'),
        (eb) => eb.fn.count<number>(eb.case().when('findings.state', '=', 'mitigated').then(eb.ref('observations.seq')).end()).distinct().as('mitigated'),
        (eb) => eb.fn.count<number>(eb.case().when('observations.compromised', '=', 'true').then(eb.ref('observations.seq')).end()).distinct().as('compromised'),
      ])
      .where('observations.scan_id', '=', scanId)
      .where('ip_enrichment.org_key', 'is not', null)
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
