/**
 * SQL fragments shared by the attribution reports, the host view and the exports: the join from an
 * observation to its enrichment and organisation (aliases o, h, e, g), the "product host"
 * predicate, and the ReportFilter as one WHERE fragment. Plain SQL that SQLite and PostgreSQL both run; every value is a bind parameter.
 */
import { type RawBuilder, sql } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { ReportFilter } from './report-types.js';
import { UNATTRIBUTED_KEY, UNKNOWN_KEY } from './report-types.js';

export const CVE_STATES = ['vulnerable', 'mitigated', 'patched', 'unknown', 'not_applicable'] as const;
export const FILTER_STATES = [...CVE_STATES, 'compromised'] as const;

/** observations o → hosts h → ip_enrichment e → organisations g (left joins: nothing is dropped). */
export const JOIN_ATTRIBUTION = sql`observations o
  JOIN hosts h ON h.id = o.host_id
  LEFT JOIN ip_enrichment e ON e.ip = h.ip
  LEFT JOIN organisations g ON g.key = e.org_key`;

/**
 * A product host: the observation names a product, or has a CVE finding other than not_applicable
 * (results imported from other tools may carry findings without a product).
 */
export const IS_PRODUCT_HOST = sql`(o.product IS NOT NULL OR EXISTS (
  SELECT 1 FROM findings pf WHERE pf.scan_id = o.scan_id AND pf.seq = o.seq AND pf.state <> 'not_applicable'))`;

function list(values: readonly string[]): RawBuilder<unknown> {
  return sql.join(values.map((v) => sql.val(v)));
}

/** Check filter values; throws EW_REPORT_OPTION naming the flag. */
export function validateFilter(f: ReportFilter): void {
  for (const s of f.states ?? []) {
    if (!(FILTER_STATES as readonly string[]).includes(s)) {
      throw new EdgewatchError('EW_REPORT_OPTION', `--state "${s}" is not one of ${FILTER_STATES.join(', ')}`);
    }
  }
  const check = (name: string, values: readonly string[] | undefined) => {
    for (const v of values ?? []) {
      if (v.length === 0 || v.length > 200 || /[\u0000-\u001f]/.test(v)) {
        throw new EdgewatchError('EW_REPORT_OPTION', `${name}: bad value ${JSON.stringify(v.slice(0, 40))}`);
      }
    }
  };
  check('--cve', f.cves);
  check('--org', f.orgs);
  check('--sector', f.sectors);
  check('--country', f.countries);
}

/** The filter as one boolean SQL fragment over aliases o, e, g (TRUE when empty). */
export function filterSql(f: ReportFilter): RawBuilder<boolean> {
  const parts: RawBuilder<unknown>[] = [];
  const cves = f.cves?.filter(Boolean) ?? [];
  const states = f.states?.filter(Boolean) ?? [];
  const cveStates = states.filter((s) => s !== 'compromised');
  const wantCompromised = states.includes('compromised');
  if (cves.length > 0 || states.length > 0) {
    const alts: RawBuilder<unknown>[] = [];
    if (cveStates.length > 0 || (cves.length > 0 && !wantCompromised)) {
      const cond: RawBuilder<unknown>[] = [sql`ff.scan_id = o.scan_id`, sql`ff.seq = o.seq`];
      if (cves.length > 0) cond.push(sql`ff.cve IN (${list(cves)})`);
      if (cveStates.length > 0) cond.push(sql`ff.state IN (${list(cveStates)})`);
      alts.push(sql`EXISTS (SELECT 1 FROM findings ff WHERE ${sql.join(cond, sql` AND `)})`);
    }
    if (wantCompromised) {
      const c: RawBuilder<unknown>[] = [sql`o.compromised = 'true'`];
      if (cves.length > 0) {
        c.push(sql`EXISTS (SELECT 1 FROM findings fc WHERE fc.scan_id = o.scan_id AND fc.seq = o.seq AND fc.cve IN (${list(cves)}))`);
      }
      alts.push(sql`(${sql.join(c, sql` AND `)})`);
    }
    parts.push(sql`(${sql.join(alts, sql` OR `)})`);
  }
  const nullable = (column: RawBuilder<unknown>, values: readonly string[] | undefined, nullKey: string, upper = false) => {
    const vs = (values ?? []).filter(Boolean);
    if (vs.length === 0) return;
    const concrete = vs.filter((v) => v !== nullKey).map((v) => (upper ? v.toUpperCase() : v));
    const alts: RawBuilder<unknown>[] = [];
    if (concrete.length > 0) alts.push(sql`${column} IN (${list(concrete)})`);
    if (vs.includes(nullKey)) alts.push(sql`${column} IS NULL`);
    parts.push(sql`(${sql.join(alts, sql` OR `)})`);
  };
  nullable(sql`e.org_key`, f.orgs, UNATTRIBUTED_KEY);
  nullable(sql`e.cc`, f.countries, UNKNOWN_KEY, true);
  const sectors = (f.sectors ?? []).filter(Boolean);
  if (sectors.length > 0) {
    const concrete = sectors.filter((v) => v !== UNATTRIBUTED_KEY);
    const alts: RawBuilder<unknown>[] = [];
    if (concrete.length > 0) alts.push(sql`g.sector IN (${list(concrete)})`);
    if (sectors.includes(UNATTRIBUTED_KEY)) alts.push(sql`e.org_key IS NULL`);
    parts.push(sql`(${sql.join(alts, sql` OR `)})`);
  }
  if (parts.length === 0) return sql<boolean>`1 = 1`;
  return sql<boolean>`${sql.join(parts, sql` AND `)}`;
}
