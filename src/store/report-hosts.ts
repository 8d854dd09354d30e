/**
 * iterateHostRows(): the host view of one scan — one row per observation with every CVE decided for
 * it side by side, its compromise flag and its attribution (country, AS, organisation, sector, lab
 * identity). Streamed by keyset pagination on seq (never OFFSET): each page is one joined query
 * plus one query for the page's findings (`seq IN (…)`), so memory stays bounded for any scan size.
 * Used by `report --hosts` and by every export.
 */
import { type Kysely, sql } from 'kysely';
import { EdgewatchError } from '../errors.js';
import { readJson } from './json.js';
import { filterSql, IS_PRODUCT_HOST, JOIN_ATTRIBUTION } from './report-filter.js';
import type { HostQuery, HostRow } from './report-types.js';
import type { Database } from './schema.js';

export const HOST_PAGE = 1_000;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

interface RawRow {
  seq: unknown;
  ip: string;
  port: unknown;
  host: string;
  status: string;
  product: string | null;
  version: string | null;
  compromised: string | null;
  scanned_at: string;
  e_ip: string | null;
  cc: string | null;
  asn: unknown;
  as_name: string | null;
  network: string | null;
  rdns: string | null;
  abuse_contact: string | null;
  org_key: string | null;
  org_name: string | null;
  sector: string | null;
  rule: string | null;
  names: unknown;
  lab_public_ip: string | null;
  record?: unknown;
}

/** CVE ids with at least one finding in the scan (the host view's columns), sorted. */
export async function scanCves(db: Kysely<Database>, scanId: string): Promise<string[]> {
  const r = await db.selectFrom('findings').select('cve').distinct().where('scan_id', '=', scanId).execute();
  return r.map((x) => x.cve).sort();
}

export async function* iterateHostRows(db: Kysely<Database>, scanId: string, q: HostQuery = {}): AsyncGenerator<HostRow, void, undefined> {
  const pageSize = Math.max(1, Math.min(q.pageSize ?? HOST_PAGE, 10_000));
  const limit = q.limit ?? Number.POSITIVE_INFINITY;
  const where = filterSql(q);
  const scope = q.all ? sql`1 = 1` : IS_PRODUCT_HOST;
  const recordCol = q.withRecord ? sql`, o.record AS record` : sql``;
  let after = -1;
  let emitted = 0;
  while (emitted < limit) {
    const want = Math.min(pageSize, limit - emitted);
    const page = (
      await sql<RawRow>`
        SELECT o.seq AS seq, h.ip AS ip, h.port AS port, h.host AS host, o.status AS status, o.product AS product,
          o.version AS version, o.compromised AS compromised, o.scanned_at AS scanned_at,
          e.ip AS e_ip, e.cc AS cc, e.asn AS asn, e.as_name AS as_name, e.network AS network, e.rdns AS rdns,
          e.abuse_contact AS abuse_contact, e.org_key AS org_key, g.name AS org_name, g.sector AS sector,
          e.rule AS rule, e.names AS names, e.lab_public_ip AS lab_public_ip${recordCol}
        FROM ${JOIN_ATTRIBUTION}
        WHERE o.scan_id = ${scanId} AND o.seq > ${after} AND ${scope} AND ${where}
        ORDER BY o.seq
        LIMIT ${want}`.execute(db)
    ).rows;
    if (page.length === 0) return;
    const seqs = page.map((r) => Number(r.seq));
    const findings = await db
      .selectFrom('findings')
      .select(['seq', 'cve', 'state'])
      .where('scan_id', '=', scanId)
      .where('seq', 'in', seqs)
      .execute();
    const bySeq = new Map<number, Record<string, string>>();
    for (const f of findings) {
      const s = Number(f.seq);
      let m = bySeq.get(s);
      if (m === undefined) {
        m = {};
        bySeq.set(s, m);
      }
      m[f.cve] = f.state;
    }
    for (const r of page) {
      const seq = Number(r.seq);
      const names = r.e_ip === null ? null : readJson<HostRow['names']>(r.names, `ip_enrichment ${r.ip} names`);
      const row: HostRow = {
        scan_id: scanId,
        seq,
        ip: r.ip,
        port: Number(r.port),
        host: r.host === '' ? null : r.host,
        status: r.status,
        product: r.product,
        version: r.version,
        compromised: r.compromised,
        scanned_at: r.scanned_at,
        cve: bySeq.get(seq) ?? {},
        cc: r.cc,
        asn: num(r.asn),
        as_name: r.as_name,
        network: r.network,
        rdns: r.rdns,
        abuse_contact: r.abuse_contact,
        org_key: r.org_key,
        org_name: r.org_name,
        sector: r.sector,
        rule: r.e_ip === null ? null : r.rule,
        names: Array.isArray(names) ? names : null,
        lab_public_ip: r.lab_public_ip,
        enriched: r.e_ip !== null,
      };
      if (q.withRecord) {
        const rec = readJson<Record<string, unknown>>(r.record, `record ${scanId}#${seq}`);
        if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
          throw new EdgewatchError('EW_STORE_CORRUPT', `record ${scanId}#${seq} is not a JSON object`);
        }
        rec.scan_id = scanId;
        rec.seq = seq;
        row.record = rec;
      }
      yield row;
      emitted++;
    }
    if (page.length < want) return;
    after = seqs[seqs.length - 1];
  }
}
