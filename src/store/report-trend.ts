/**
 * buildTrend(): figures per scan across a run of scans (oldest first), aggregated in SQL with two
 * GROUP BYs over covering indexes: findings by scan × CVE × classification, and product hosts by
 * scan × compromised. The change from the first to the last scan ("713 → 250") per CVE and
 * classification, and for compromised hosts.
 */
import { type Kysely, sql } from 'kysely';
import { emptyStates } from './report-attribution.js';
import { COUNTED_STATES, type CountedState, type TrendChange, type TrendPoint, type TrendReport } from './report-types.js';
import type { Database } from './schema.js';
import type { ScanRow } from './types.js';

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const isCounted = (s: string): s is CountedState => (COUNTED_STATES as readonly string[]).includes(s);

/** Most scans one trend covers (bind parameters stay far below every dialect's limit). */
export const MAX_TREND_SCANS = 1_000;

/** `scans` in the order to show (oldest first). */
export async function buildTrend(db: Kysely<Database>, scans: readonly ScanRow[]): Promise<TrendReport> {
  const list = scans.slice(-MAX_TREND_SCANS);
  if (list.length === 0) return { points: [], changes: [] };
  const ids = sql.join(list.map((s) => sql.val(s.id)));
  const findings = (
    await sql<{ scan_id: string; cve: string; state: string; n: unknown }>`
      SELECT f.scan_id AS scan_id, f.cve AS cve, f.state AS state, COUNT(*) AS n
      FROM findings f WHERE f.scan_id IN (${ids}) AND f.state <> 'not_applicable'
      GROUP BY f.scan_id, f.cve, f.state`.execute(db)
  ).rows;
  const hosts = (
    await sql<{ scan_id: string; compromised: string | null; n: unknown }>`
      SELECT o.scan_id AS scan_id, o.compromised AS compromised, COUNT(*) AS n
      FROM observations o WHERE o.scan_id IN (${ids}) AND o.product IS NOT NULL
      GROUP BY o.scan_id, o.compromised`.execute(db)
  ).rows;
  const points = new Map<string, TrendPoint>();
  for (const s of list) {
    points.set(s.id, { scan_id: s.id, label: s.label, started_at: s.started_at, product_hosts: 0, compromised: 0, cve: {} });
  }
  for (const h of hosts) {
    const p = points.get(h.scan_id);
    if (!p) continue;
    p.product_hosts += n(h.n);
    if (h.compromised === 'true') p.compromised += n(h.n);
  }
  const cves = new Set<string>();
  for (const f of findings) {
    const p = points.get(f.scan_id);
    if (!p || !isCounted(f.state)) continue;
    cves.add(f.cve);
    let s = p.cve[f.cve];
    if (s === undefined) {
      s = emptyStates();
      p.cve[f.cve] = s;
    }
    s[f.state] += n(f.n);
  }
  const ordered = list.map((s) => points.get(s.id) as TrendPoint);
  for (const p of ordered) for (const c of cves) p.cve[c] ??= emptyStates();
  const changes: TrendChange[] = [];
  const first = ordered[0];
  const last = ordered[ordered.length - 1];
  const change = (cve: string, state: TrendChange['state'], from: number, to: number): TrendChange => ({
    cve,
    state,
    from,
    to,
    delta: to - from,
    ratio: from === 0 ? null : (to - from) / from,
  });
  for (const c of [...cves].sort()) {
    for (const st of COUNTED_STATES) changes.push(change(c, st, first.cve[c][st], last.cve[c][st]));
  }
  changes.push(change('*', 'compromised', first.compromised, last.compromised));
  return { points: ordered, changes };
}
