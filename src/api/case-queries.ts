/**
 * The API's view of cases and the outbox, scoped: a constituency-scoped user sees the cases of
 * visible organisations only (never the network/abuse-contact cases of unmatched hosts, which
 * belong to no constituency), and the messages of those cases.
 */
import type { Kysely } from 'kysely';
import { casesDb } from '../cases/db.js';
import { Cases } from '../cases/repo.js';
import type { Case, CaseState } from '../cases/types.js';
import { listOutbox, type OutboxState } from '../notify/outbox.js';
import type { Database } from '../store/schema.js';
import { orgVisible, type Visibility } from './visibility.js';

export function caseVisible(v: Visibility, c: Pick<Case, 'org_key'>): boolean {
  return v.orgKeys === null || (c.org_key !== null && orgVisible(v, c.org_key));
}

export interface CaseRow extends Case {
  org_name: string | null;
  sector: string | null;
  hosts_open: number;
  hosts_total: number;
  age_days: number;
}

export async function listCases(db: Kysely<Database>, vis: Visibility, f: { state?: CaseState[]; q?: string }): Promise<CaseRow[]> {
  const d = casesDb(db);
  let q = d
    .selectFrom('cases')
    .leftJoin('organisations', 'organisations.key', 'cases.org_key')
    .selectAll('cases')
    .select(['organisations.name as org_name', 'organisations.sector as sector'])
    .orderBy('cases.opened_at')
    .limit(100_000);
  if (f.state?.length) q = q.where('cases.state', 'in', f.state);
  if (vis.orgKeys !== null) q = vis.orgKeys.size === 0 ? q.where('cases.id', '=', '') : q.where('cases.org_key', 'in', [...vis.orgKeys]);
  const rows = await q.execute();
  const counts = new Map<string, { open: number; total: number }>();
  for (const r of await d
    .selectFrom('case_hosts')
    .select(['case_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['case_id', 'state'])
    .execute()) {
    const c = counts.get(r.case_id) ?? { open: 0, total: 0 };
    c.total += Number(r.n);
    if (r.state === 'open') c.open += Number(r.n);
    counts.set(r.case_id, c);
  }
  const now = Date.now();
  const needle = f.q?.toLowerCase();
  return rows
    .map((r) => ({
      id: r.id,
      owner: r.owner,
      org_key: r.org_key,
      grp: r.grp,
      state: r.state as CaseState,
      worst: r.worst as Case['worst'],
      opened_at: r.opened_at,
      updated_at: r.updated_at,
      last_scan: r.last_scan,
      notified_at: r.notified_at,
      notified_rank: r.notified_rank === null ? null : Number(r.notified_rank),
      resolved_at: r.resolved_at,
      org_name: r.org_name,
      sector: r.sector,
      hosts_open: counts.get(r.id)?.open ?? 0,
      hosts_total: counts.get(r.id)?.total ?? 0,
      age_days: Math.floor((now - Date.parse(r.opened_at)) / 86_400_000),
    }))
    .filter((c) => !needle || `${c.id} ${c.org_name ?? ''} ${c.grp ?? ''} ${c.sector ?? ''}`.toLowerCase().includes(needle));
}

export async function caseDetail(db: Kysely<Database>, vis: Visibility, id: string) {
  const repo = new Cases(db);
  const c = await repo.get(id);
  if (!caseVisible(vis, c)) return undefined;
  return {
    case: c,
    hosts: await repo.hosts(id),
    events: await repo.events(id),
    messages: await listOutbox(db, { caseId: id }),
  };
}

export async function outbox(db: Kysely<Database>, vis: Visibility, state?: OutboxState[]) {
  const list = await listOutbox(db, { state, limit: 5000 });
  if (vis.orgKeys === null) return list;
  const visible = new Set((await listCases(db, vis, {})).map((c) => c.id));
  return list.filter((m) => visible.has(m.case_id));
}
