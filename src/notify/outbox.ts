/**
 * The outbox: every planned message with its idempotency key (also its Message-ID), recipients,
 * rendered text, attachments and delivery state. Planning writes `draft`; nothing is sent before
 * `approve` makes it `approved` (all, per case, per template or by id). Delivery (send.ts) moves
 * it on to sent / failed / uncertain / bounced.
 */
import type { Kysely } from 'kysely';
import { addEvent } from '../cases/repo.js';
import { casesDb } from '../cases/db.js';
import { EdgewatchError } from '../errors.js';
import { readJson } from '../store/json.js';
import type { Database } from '../store/schema.js';

export const OUTBOX_STATES = ['draft', 'approved', 'sending', 'sent', 'uncertain', 'failed', 'bounced', 'cancelled'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

export interface OutboxMessage {
  id: string;
  case_id: string;
  template: string;
  language: string;
  to: string[];
  subject: string;
  body: string;
  attachments: Array<{ filename: string; content: string }>;
  state: OutboxState;
  message_id: string;
  created_at: string;
  approved_at: string | null;
  approved_by: string | null;
  sent_at: string | null;
  attempts: number;
  last_error: string | null;
}

function toMessage(r: Record<string, unknown>): OutboxMessage {
  return {
    id: String(r.id),
    case_id: String(r.case_id),
    template: String(r.template),
    language: String(r.language),
    to: readJson<string[]>(r.to_addrs, 'outbox recipients'),
    subject: String(r.subject),
    body: String(r.body),
    attachments: readJson(r.attachments, 'outbox attachments'),
    state: r.state as OutboxState,
    message_id: String(r.message_id),
    created_at: String(r.created_at),
    approved_at: (r.approved_at as string | null) ?? null,
    approved_by: (r.approved_by as string | null) ?? null,
    sent_at: (r.sent_at as string | null) ?? null,
    attempts: Number(r.attempts ?? 0),
    last_error: (r.last_error as string | null) ?? null,
  };
}

export async function listOutbox(db: Kysely<Database>, opts: { state?: OutboxState[]; caseId?: string; limit?: number } = {}): Promise<OutboxMessage[]> {
  let q = casesDb(db).selectFrom('outbox').selectAll().orderBy('created_at').orderBy('id');
  if (opts.state?.length) q = q.where('state', 'in', opts.state);
  if (opts.caseId) q = q.where('case_id', '=', opts.caseId);
  if (opts.limit) q = q.limit(opts.limit);
  return (await q.execute()).map(toMessage);
}

export async function getMessage(db: Kysely<Database>, id: string): Promise<OutboxMessage> {
  const r = await casesDb(db).selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw new EdgewatchError('EW_NOTIFY_NOT_FOUND', `no message ${id.slice(0, 60)} in the outbox`);
  return toMessage(r);
}

export interface ApproveSelector {
  all?: boolean;
  caseId?: string;
  template?: string;
  ids?: string[];
}

/** draft → approved for the selected messages; returns how many were approved. */
export async function approve(db: Kysely<Database>, sel: ApproveSelector, actor: string): Promise<number> {
  if (!sel.all && !sel.caseId && !sel.template && !sel.ids?.length) {
    throw new EdgewatchError('EW_NOTIFY_SELECT', 'say which messages to approve: --all, --case TICKET, --template NAME or message ids');
  }
  const d = casesDb(db);
  const now = new Date().toISOString();
  return d.transaction().execute(async (tx) => {
    let q = tx.selectFrom('outbox').select(['id', 'case_id', 'template']).where('state', '=', 'draft');
    if (sel.caseId) q = q.where('case_id', '=', sel.caseId);
    if (sel.template) q = q.where('template', '=', sel.template);
    if (sel.ids?.length) q = q.where('id', 'in', sel.ids);
    const rows = await q.execute();
    for (const r of rows) {
      await tx.updateTable('outbox').set({ state: 'approved', approved_at: now, approved_by: actor.slice(0, 100) }).where('id', '=', r.id).where('state', '=', 'draft').execute();
      await addEvent(tx, r.case_id, 'message_approved', actor, { message: r.id, template: r.template }, now);
    }
    return rows.length;
  });
}

/** Cancel drafts / approved messages that have not been handed to SMTP. */
export async function cancel(db: Kysely<Database>, ids: string[], actor: string): Promise<number> {
  const d = casesDb(db);
  let n = 0;
  for (const id of ids) {
    const r = await d.updateTable('outbox').set({ state: 'cancelled' }).where('id', '=', id).where('state', 'in', ['draft', 'approved']).executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) {
      n++;
      const m = await getMessage(db, id);
      await addEvent(d, m.case_id, 'message_cancelled', actor, { message: id });
    }
  }
  return n;
}
