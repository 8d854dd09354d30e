/**
 * Constituency scoping: what a user may see. An unscoped user sees every host; a user scoped to
 * constituencies sees only hosts attributed (ip_enrichment.org_key) to organisations of those
 * constituencies, in every list, figure and export. The allowed organisation keys are computed once
 * per request (organisations are few) and applied as an `ip IN (…)` subquery by every API query.
 */
import type { ExpressionBuilder, Kysely } from 'kysely';
import { readJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import type { User } from './users.js';

export interface Visibility {
  /** null = everything visible. */
  orgKeys: ReadonlySet<string> | null;
}

export const ALL_VISIBLE: Visibility = { orgKeys: null };

export async function visibilityFor(db: Kysely<Database>, user: User): Promise<Visibility> {
  if (user.constituencies.length === 0) return ALL_VISIBLE;
  const want = new Set(user.constituencies.map((c) => c.toLowerCase()));
  const keys = new Set<string>();
  for (const o of await db.selectFrom('organisations').select(['key', 'constituencies']).execute()) {
    const cs = readJson<unknown>(o.constituencies, `constituencies of ${o.key}`);
    if (Array.isArray(cs) && cs.some((c) => typeof c === 'string' && want.has(c.toLowerCase()))) keys.add(o.key);
  }
  return { orgKeys: keys };
}

/** True when an organisation key is visible. */
export function orgVisible(v: Visibility, key: string | null): boolean {
  return v.orgKeys === null || (key !== null && v.orgKeys.has(key));
}

/**
 * A where-clause for any query with `hosts` in scope: the host's address is attributed to a visible
 * organisation. Returns undefined when everything is visible (no clause needed).
 */
export function visibleHostsClause(v: Visibility) {
  if (v.orgKeys === null) return undefined;
  const keys = [...v.orgKeys];
  // biome-ignore lint/suspicious/noExplicitAny: used from queries over several table sets
  return (eb: ExpressionBuilder<any, any>) =>
    keys.length === 0
      ? eb(eb.val(1), '=', 0)
      : eb('hosts.ip', 'in', eb.selectFrom('ip_enrichment').select('ip_enrichment.ip').where('ip_enrichment.org_key', 'in', keys));
}
