/**
 * The `ip_enrichment` table (migration 0004): the latest enrichment and attribution of every
 * address, one row per address, upserted in batches (one transaction per batch) and read back as
 * `Enrichment`. JSON columns are written as JSON text (valid for SQLite text and PostgreSQL jsonb)
 * and read with readJson. Works on any dialect.
 */
import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { AbuseContact, DataSourceInfo, Enrichment, HostName } from '../enrich/types.js';
import { readJson } from './json.js';
import type { Database, IpEnrichmentTable } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per INSERT (18 columns: 9,000 parameters, under SQLite's and PostgreSQL's limits). */
const CHUNK = 500;

function toRow(e: Enrichment, sourcesJson: string): Insertable<IpEnrichmentTable> {
  return {
    ip: e.ip,
    cc: e.cc,
    asn: e.asn,
    as_name: e.as_name,
    network: e.network,
    rdns: e.rdns,
    names: JSON.stringify(e.names),
    abuse_contact: e.abuse?.email ?? null,
    abuse_source: e.abuse ? (e.abuse.ref ? `${e.abuse.source} ${e.abuse.ref}` : e.abuse.source) : null,
    org_key: e.attribution.org_key,
    rule: e.attribution.rule,
    matched: e.attribution.matched,
    why: e.attribution.why,
    grp: e.attribution.group,
    lab_public_ip: e.lab?.public_ip ?? null,
    sources: sourcesJson,
    enriched_at: e.enriched_at,
  };
}

/**
 * Upserts enrichments (latest wins per address) in one transaction per call; call with batches.
 * `sources` are the data sources used (stored on every row so reports can name them).
 */
export async function upsertEnrichments(db: Kysely<Database>, rows: readonly Enrichment[], sources: readonly DataSourceInfo[]): Promise<number> {
  if (rows.length === 0) return 0;
  // One row per address inside a statement (ON CONFLICT cannot touch a row twice).
  const byIp = new Map<string, Enrichment>();
  for (const r of rows) byIp.set(r.ip, r);
  const sourcesJson = JSON.stringify(sources);
  const all = [...byIp.values()].map((r) => toRow(r, sourcesJson));
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < all.length; i += CHUNK) {
      await trx
        .insertInto('ip_enrichment')
        .values(all.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.column('ip').doUpdateSet((eb) => ({
            cc: eb.ref('excluded.cc'),
            asn: eb.ref('excluded.asn'),
            as_name: eb.ref('excluded.as_name'),
            network: eb.ref('excluded.network'),
            rdns: eb.ref('excluded.rdns'),
            names: eb.ref('excluded.names'),
            abuse_contact: eb.ref('excluded.abuse_contact'),
            abuse_source: eb.ref('excluded.abuse_source'),
            org_key: eb.ref('excluded.org_key'),
            rule: eb.ref('excluded.rule'),
            matched: eb.ref('excluded.matched'),
            why: eb.ref('excluded.why'),
            grp: eb.ref('excluded.grp'),
            lab_public_ip: eb.ref('excluded.lab_public_ip'),
            sources: eb.ref('excluded.sources'),
            enriched_at: eb.ref('excluded.enriched_at'),
          })),
        )
        .execute();
    }
  });
  return all.length;
}

export interface StoredEnrichment extends Enrichment {
  sources: DataSourceInfo[];
}

function parseAbuse(email: string | null, source: string | null): AbuseContact | null {
  if (!email) return null;
  const [src, ...ref] = (source ?? '').split(' ');
  const s = (['rdap', 'ripestat', 'organisation', 'override'] as const).find((x) => x === src) ?? 'organisation';
  return ref.length ? { email, source: s, ref: ref.join(' ') } : { email, source: s };
}

export function fromEnrichmentRow(r: Selectable<IpEnrichmentTable>): StoredEnrichment {
  return {
    ip: r.ip,
    cc: r.cc,
    asn: r.asn === null ? null : Number(r.asn),
    as_name: r.as_name,
    network: r.network,
    rdns: r.rdns,
    names: readJson<HostName[]>(r.names, `ip_enrichment ${r.ip} names`) ?? [],
    abuse: parseAbuse(r.abuse_contact, r.abuse_source),
    attribution: {
      org_key: r.org_key,
      org_name: null,
      sector: null,
      rule: r.rule as StoredEnrichment['attribution']['rule'],
      matched: r.matched,
      why: r.why,
      group: r.grp,
    },
    lab: r.lab_public_ip ? { lab_ip: r.ip, public_ip: r.lab_public_ip, org: null, sector: null } : null,
    enriched_at: r.enriched_at,
    sources: readJson<DataSourceInfo[]>(r.sources, `ip_enrichment ${r.ip} sources`) ?? [],
  };
}

/** The stored enrichment of one address (organisation name/sector joined in), or undefined. */
export async function getEnrichment(db: Db, ip: string): Promise<StoredEnrichment | undefined> {
  const r = await db
    .selectFrom('ip_enrichment as e')
    .leftJoin('organisations as o', 'o.key', 'e.org_key')
    .selectAll('e')
    .select(['o.name as org_name', 'o.sector as org_sector'])
    .where('e.ip', '=', ip)
    .executeTakeFirst();
  if (!r) return undefined;
  const out = fromEnrichmentRow(r);
  out.attribution.org_name = (r as { org_name: string | null }).org_name ?? null;
  out.attribution.sector = (r as { org_sector: string | null }).org_sector ?? null;
  return out;
}

/** Number of enriched addresses. */
export async function countEnrichments(db: Db): Promise<number> {
  const r = await db.selectFrom('ip_enrichment').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  return Number(r?.n ?? 0);
}
