/**
 * Case storage: ticket numbers (EW-YYYY-NNNNNN from a counter row, inside the caller's
 * transaction), reading cases with their hosts and history, and the manual transitions
 * (acknowledge, note, reopen/close by hand). Every change writes a case event.
 */
import type { Kysely, Transaction } from 'kysely';
import { EdgewatchError } from '../errors.js';
import { readJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import { type CasesDatabase, casesDb } from './db.js';
import { CASE_STATES, type Case, type CaseEvent, type CaseHost, type CaseState } from './types.js';

type Db = Kysely<CasesDatabase> | Transaction<CasesDatabase>;

const TICKET = /^EW-\d{4}-\d{6}$/;

/** The next ticket number (call inside a transaction). */
export async function nextTicket(db: Db, now: Date): Promise<string> {
  const year = now.getUTCFullYear();
  const name = `ticket-${year}`;
  const row = await db.selectFrom('counters').select('value').where('name', '=', name).executeTakeFirst();
  const value = Number(row?.value ?? 0) + 1;
  if (row) await db.updateTable('counters').set({ value }).where('name', '=', name).execute();
  else await db.insertInto('counters').values({ name, value }).execute();
  return `EW-${year}-${String(value).padStart(6, '0')}`;
}

export async function addEvent(db: Db, caseId: string, kind: string, actor: string, detail: Record<string, unknown> = {}, at = new Date().toISOString()) {
  let d = JSON.stringify(detail);
  if (d.length > 8000) d = JSON.stringify({ truncated: d.slice(0, 8000) });
  await db.insertInto('case_events').values({ case_id: caseId, at, kind, actor: actor.slice(0, 100), detail: d }).execute();
}

function toCase(r: Record<string, unknown>): Case {
  return {
    id: String(r.id),
    owner: String(r.owner),
    org_key: (r.org_key as string | null) ?? null,
    grp: (r.grp as string | null) ?? null,
    state: r.state as CaseState,
    worst: (r.worst as Case['worst']) ?? null,
    opened_at: String(r.opened_at),
    updated_at: String(r.updated_at),
    last_scan: (r.last_scan as string | null) ?? null,
    notified_at: (r.notified_at as string | null) ?? null,
    notified_rank: r.notified_rank === null || r.notified_rank === undefined ? null : Number(r.notified_rank),
    resolved_at: (r.resolved_at as string | null) ?? null,
  };
}

export class Cases {
  readonly db: Kysely<CasesDatabase>;

  constructor(db: Kysely<Database>) {
    this.db = casesDb(db);
  }

  async list(opts: { state?: CaseState[]; limit?: number } = {}): Promise<Case[]> {
    let q = this.db.selectFrom('cases').selectAll().orderBy('opened_at').orderBy('id');
    if (opts.state?.length) q = q.where('state', 'in', opts.state);
    if (opts.limit) q = q.limit(opts.limit);
    return (await q.execute()).map(toCase);
  }

  async get(id: string): Promise<Case> {
    if (!TICKET.test(id)) throw new EdgewatchError('EW_CASE_NOT_FOUND', `not a ticket number: ${JSON.stringify(id.slice(0, 40))} (EW-YYYY-NNNNNN)`);
    const r = await this.db.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new EdgewatchError('EW_CASE_NOT_FOUND', `no case ${id}`);
    return toCase(r);
  }

  async hosts(id: string): Promise<CaseHost[]> {
    const rows = await this.db.selectFrom('case_hosts').selectAll().where('case_id', '=', id).orderBy('ip').orderBy('port').execute();
    return rows.map((r) => ({
      ip: r.ip,
      port: Number(r.port),
      host: r.host,
      state: r.state as CaseHost['state'],
      first_scan: r.first_scan,
      last_seen_scan: r.last_seen_scan,
      fixed_scan: r.fixed_scan,
      detail: readJson(r.detail, `case host ${r.ip}`),
    }));
  }

  async events(id: string): Promise<CaseEvent[]> {
    const rows = await this.db.selectFrom('case_events').selectAll().where('case_id', '=', id).orderBy('id').execute();
    return rows.map((r) => ({ ...r, id: Number(r.id), detail: readJson<Record<string, unknown>>(r.detail, 'case event') }));
  }

  /** Move a case to `to` by hand (acknowledged, escalated, resolved, open), with a reason. */
  async transition(id: string, to: CaseState, actor: string, note?: string): Promise<Case> {
    if (!(CASE_STATES as readonly string[]).includes(to)) throw new EdgewatchError('EW_CASE_STATE', `unknown case state ${to}`);
    const c = await this.get(id);
    if (c.state === to) return c;
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('cases')
        .set({ state: to, updated_at: now, resolved_at: to === 'resolved' ? now : null })
        .where('id', '=', id)
        .execute();
      await addEvent(tx, id, to === 'acknowledged' ? 'acknowledged' : `state_${to}`, actor, { from: c.state, to, note: note?.slice(0, 2000) ?? null }, now);
    });
    return this.get(id);
  }

  /**
   * A message about the case was delivered: open/contact_needed → notified (escalated and
   * acknowledged cases keep their state), the notified situation remembered for throttling.
   * A `resolved` notice changes nothing but the history.
   */
  async markNotified(id: string, info: { messageId: string; template: string; rank: number; to: string[] }, actor = 'notify'): Promise<void> {
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (tx) => {
      const c = await tx.selectFrom('cases').select(['state']).where('id', '=', id).executeTakeFirst();
      if (!c) return;
      if (info.template !== 'resolved') {
        const state = c.state === 'open' || c.state === 'contact_needed' ? 'notified' : c.state;
        await tx.updateTable('cases').set({ state, notified_at: now, notified_rank: info.rank, updated_at: now }).where('id', '=', id).execute();
      }
      await addEvent(tx, id, 'notified', actor, { message_id: info.messageId, template: info.template, to: info.to }, now);
    });
  }

  /** Delivery to the case's contacts failed for good (rejection or bounce): contact needed. */
  async markContactNeeded(id: string, info: { reason: string; email?: string; messageId?: string }, actor = 'notify'): Promise<void> {
    const now = new Date().toISOString();
    await this.db.transaction().execute(async (tx) => {
      const c = await tx.selectFrom('cases').select(['state']).where('id', '=', id).executeTakeFirst();
      if (!c) return;
      if (c.state !== 'resolved') await tx.updateTable('cases').set({ state: 'contact_needed', updated_at: now }).where('id', '=', id).execute();
      await addEvent(tx, id, 'contact_needed', actor, { reason: info.reason.slice(0, 500), email: info.email ?? null, message_id: info.messageId ?? null }, now);
    });
  }

  async note(id: string, actor: string, text: string): Promise<void> {
    await this.get(id);
    await addEvent(this.db, id, 'note', actor, { text: text.slice(0, 4000) });
  }
}
