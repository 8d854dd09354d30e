/**
 * diff(a, b): per host and CVE, the state in scan a and in scan b, joined in SQL. Keys are every
 * (host, CVE) with a finding in either scan; each side uses the host's latest observation in that
 * scan (highest seq), so a host listed twice in one input still yields one row. The label is
 * computed per row by diffChange().
 */
import type { Kysely } from 'kysely';
import { diffChange, sideOf } from './diff-label.js';
import type { Database } from './schema.js';
import type { DiffRow } from './types.js';

export async function buildDiff(db: Kysely<Database>, a: string, b: string): Promise<DiffRow[]> {
  const rows = await db
    .with('la', (qb) =>
      qb
        .selectFrom('observations')
        .select(['host_id', (eb) => eb.fn.max('seq').as('seq')])
        .where('scan_id', '=', a)
        .groupBy('host_id'),
    )
    .with('lb', (qb) =>
      qb
        .selectFrom('observations')
        .select(['host_id', (eb) => eb.fn.max('seq').as('seq')])
        .where('scan_id', '=', b)
        .groupBy('host_id'),
    )
    .with('k', (qb) =>
      qb
        .selectFrom('findings')
        .select(['host_id', 'cve'])
        .where('scan_id', '=', a)
        .union(qb.selectFrom('findings').select(['host_id', 'cve']).where('scan_id', '=', b)),
    )
    .selectFrom('k')
    .innerJoin('hosts as h', 'h.id', 'k.host_id')
    .leftJoin('la', 'la.host_id', 'k.host_id')
    .leftJoin('observations as oa', (j) => j.on('oa.scan_id', '=', a).onRef('oa.host_id', '=', 'la.host_id').onRef('oa.seq', '=', 'la.seq'))
    .leftJoin('findings as fa', (j) => j.on('fa.scan_id', '=', a).onRef('fa.seq', '=', 'la.seq').onRef('fa.cve', '=', 'k.cve'))
    .leftJoin('lb', 'lb.host_id', 'k.host_id')
    .leftJoin('observations as ob', (j) => j.on('ob.scan_id', '=', b).onRef('ob.host_id', '=', 'lb.host_id').onRef('ob.seq', '=', 'lb.seq'))
    .leftJoin('findings as fb', (j) => j.on('fb.scan_id', '=', b).onRef('fb.seq', '=', 'lb.seq').onRef('fb.cve', '=', 'k.cve'))
    .select([
      'h.ip',
      'h.port',
      'h.host',
      'k.cve',
      'oa.status as a_status',
      'fa.state as a_state',
      'ob.status as b_status',
      'fb.state as b_state',
    ])
    .orderBy('h.ip')
    .orderBy('h.port')
    .orderBy('h.host')
    .orderBy('k.cve')
    .execute();

  const out: DiffRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const before = sideOf(r.a_status, r.a_state);
    const after = sideOf(r.b_status, r.b_state);
    out[i] = {
      ip: r.ip,
      port: Number(r.port),
      host: r.host === '' ? null : r.host,
      cve: r.cve,
      before,
      after,
      change: diffChange(before, after),
    };
  }
  return out;
}
