/**
 * The audit log: every change and every export, by whom, from where, when. Details are bounded
 * and never hold secrets (callers pass what was done, not credentials).
 */
import type { Kysely } from 'kysely';
import { readJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import { apiDb } from './db.js';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
  remote: string | null;
}

const MAX_DETAIL = 4000;

export async function audit(
  db: Kysely<Database>,
  e: { actor: string; action: string; target?: string | null; detail?: Record<string, unknown>; remote?: string | null },
): Promise<void> {
  let detail = JSON.stringify(e.detail ?? {});
  if (detail.length > MAX_DETAIL) detail = JSON.stringify({ truncated: detail.slice(0, MAX_DETAIL) });
  await apiDb(db)
    .insertInto('audit_log')
    .values({
      at: new Date().toISOString(),
      actor: e.actor.slice(0, 100),
      action: e.action.slice(0, 100),
      target: e.target?.slice(0, 300) ?? null,
      detail,
      remote: e.remote?.slice(0, 100) ?? null,
    })
    .execute();
}

export async function listAudit(db: Kysely<Database>, opts: { limit: number; before?: number }): Promise<AuditEntry[]> {
  let q = apiDb(db).selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(opts.limit);
  if (opts.before !== undefined) q = q.where('id', '<', opts.before);
  return (await q.execute()).map((r) => ({ ...r, id: Number(r.id), detail: readJson<Record<string, unknown>>(r.detail, 'audit detail') }));
}
