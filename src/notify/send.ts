/**
 * `notify send`: delivers `approved` outbox rows through SMTP exactly once, with bounded
 * concurrency and bounded retries, and records every outcome (nothing lost or duplicated
 * silently).
 *
 * Per message:
 *   1. claim: approved → `sending`, attempts+1 (a conditional update: only one sender wins);
 *   2. hand the message to SMTP on its own connection (transport.ts);
 *   3. accepted → `sent` (sent_at, smtp_response) and the case is marked notified;
 *      transient (refused/dropped before the end of data, timeout, 4xx) → back to its previous
 *        state, retried after a doubling wait, at most `max_attempts` tries this run, then `failed`;
 *      permanent 5xx for every recipient → `failed`, the addresses marked bad, case contact_needed;
 *      uncertain (connection lost after the whole message was handed over) → `uncertain`;
 *      fatal (authentication, TLS verification) → back to its previous state, the run stops.
 * A crash between 2 and 3 leaves the row in `sending`: the next run turns such rows into
 * `uncertain` and never resends them by itself; `--retry-uncertain` resends them on purpose with
 * the SAME Message-ID, so receivers can de-duplicate.
 *
 * Test hook: with EDGEWATCH_FAULT=notify-after-accept the process SIGKILLs itself right after the
 * server accepted a message and before recording it (used by the crash test only).
 *
 * Run one `notify send` per store at a time: a second run would mark the first one's in-flight
 * messages `uncertain` (never resend them).
 */
import type { Kysely } from 'kysely';
import type Mail from 'nodemailer/lib/mailer';
import { casesDb } from '../cases/db.js';
import { addEvent, Cases } from '../cases/repo.js';
import { WORST_RANK, type Worst } from '../cases/types.js';
import { EdgewatchError, isEdgewatchError } from '../errors.js';
import type { Database } from '../store/schema.js';
import type { NotifyConfig } from './config.js';
import { badContacts, markContact } from './contacts.js';
import { buildMail, writeDryRun } from './eml.js';
import { listOutbox, type OutboxMessage, type OutboxState } from './outbox.js';
import { loadSigner, type Signer } from './pgp.js';
import { type SendOutcome, sendOne, smtpOptions } from './transport.js';

export interface SendOptions {
  config: NotifyConfig;
  /** Write .eml files here instead of sending; nothing in the store changes. */
  dryRunDir?: string;
  /** Messages in flight at once (default config `concurrency`). */
  concurrency?: number;
  /** Also resend `uncertain` messages (same Message-ID). */
  retryUncertain?: boolean;
  /** Also retry `failed` messages. */
  retryFailed?: boolean;
  /** Only these outbox ids. */
  ids?: string[];
  /** At most this many messages this run. */
  limit?: number;
  actor?: string;
  env?: NodeJS.ProcessEnv;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface SendProblem {
  id: string;
  case_id: string;
  message_id: string;
  error: string;
}

export interface SendSummary {
  /** Messages considered this run. */
  considered: number;
  sent: number;
  failed: number;
  /** Became uncertain this run (lost connection after hand-over). */
  uncertain: number;
  /** Extra attempts made after transient failures. */
  retried: number;
  /** Rows found in `sending` at start (a crashed run) and turned `uncertain`. */
  recovered: number;
  /** Dry run: files written. */
  written: string[];
  /** Every message now waiting in `uncertain`, with its Message-ID. */
  pendingUncertain: Array<{ id: string; case_id: string; message_id: string; last_error: string | null }>;
  problems: SendProblem[];
  /** Set when the run stopped early on a setup problem (authentication, TLS). */
  aborted: string | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const MAX_DELAY_MS = 30_000;

/** Rows left in `sending` by a crashed run → `uncertain` (with a case event each). */
export async function recoverInterrupted(db: Kysely<Database>, actor = 'notify'): Promise<number> {
  const d = casesDb(db);
  const rows = await d.selectFrom('outbox').select(['id', 'case_id', 'message_id']).where('state', '=', 'sending').execute();
  let n = 0;
  for (const r of rows) {
    const u = await d
      .updateTable('outbox')
      .set({
        state: 'uncertain',
        last_error: 'interrupted after the message was handed to SMTP; it may have been delivered (resend with --retry-uncertain)',
      })
      .where('id', '=', r.id)
      .where('state', '=', 'sending')
      .executeTakeFirst();
    if (Number(u.numUpdatedRows) > 0) {
      n++;
      await addEvent(d, r.case_id, 'send_uncertain', actor, { message: r.id, message_id: r.message_id, reason: 'interrupted' });
    }
  }
  return n;
}

async function caseRank(db: Kysely<Database>, caseId: string): Promise<number> {
  const r = await casesDb(db).selectFrom('cases').select('worst').where('id', '=', caseId).executeTakeFirst();
  return r?.worst ? (WORST_RANK[r.worst as Worst] ?? 0) : 0;
}

export async function sendOutbox(db: Kysely<Database>, opts: SendOptions): Promise<SendSummary> {
  const cfg = opts.config;
  const env = opts.env ?? process.env;
  const actor = opts.actor ?? 'notify';
  const log = opts.log ?? (() => {});
  const d = casesDb(db);
  const cases = new Cases(db);
  const summary: SendSummary = {
    considered: 0,
    sent: 0,
    failed: 0,
    uncertain: 0,
    retried: 0,
    recovered: 0,
    written: [],
    pendingUncertain: [],
    problems: [],
    aborted: null,
  };

  const signer: Signer | null = await loadSigner(cfg, env);
  const smtp = opts.dryRunDir ? null : smtpOptions(cfg.smtp, env);
  if (!opts.dryRunDir) summary.recovered = await recoverInterrupted(db, actor);

  const states: OutboxState[] = ['approved'];
  if (opts.retryUncertain) states.push('uncertain');
  if (opts.retryFailed) states.push('failed');
  let rows = await listOutbox(db, { state: states });
  if (opts.ids?.length) {
    const want = new Set(opts.ids);
    rows = rows.filter((r) => want.has(r.id));
  }
  if (opts.limit) rows = rows.slice(0, opts.limit);
  summary.considered = rows.length;
  const bad = await badContacts(db);

  const problem = async (m: OutboxMessage, error: string) => {
    summary.problems.push({ id: m.id, case_id: m.case_id, message_id: m.message_id, error });
  };

  const recipients = (m: OutboxMessage) => (Array.isArray(m.to) ? m.to : []).filter((a) => !bad.has(String(a).trim().toLowerCase()));

  if (opts.dryRunDir) {
    const items: Array<{ id: string; mail: Mail.Options }> = [];
    for (const m of rows) {
      const to = recipients(m);
      if (to.length === 0) {
        await problem(m, 'every recipient is marked bad: would fail');
        continue;
      }
      try {
        items.push({ id: m.id, mail: await buildMail(cfg, m, { to, signer }) });
      } catch (e) {
        if (!isEdgewatchError(e, 'EW_NOTIFY_HEADER')) throw e;
        await problem(m, e.message);
      }
    }
    summary.written = await writeDryRun(opts.dryRunDir, items);
    return summary;
  }

  const concurrency = Math.max(1, Math.min(64, opts.concurrency ?? cfg.concurrency));
  const baseDelay = cfg.retry_delay_ms ?? 1000;
  let next = 0;

  const fail = async (m: OutboxMessage, error: string, extra: Record<string, unknown> = {}) => {
    await d
      .updateTable('outbox')
      .set({ state: 'failed', last_error: error.slice(0, 1000) })
      .where('id', '=', m.id)
      .execute();
    await addEvent(d, m.case_id, 'send_failed', actor, { message: m.id, message_id: m.message_id, error: error.slice(0, 500), ...extra });
    summary.failed++;
    await problem(m, error);
    log(`failed  ${m.id} (${m.case_id}): ${error.slice(0, 200)}`);
  };

  const deliver = async (m: OutboxMessage) => {
    const from = m.state;
    const to = recipients(m);
    if (to.length === 0) {
      const u = await d
        .updateTable('outbox')
        .set({ state: 'failed', last_error: 'every recipient is marked bad' })
        .where('id', '=', m.id)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(u.numUpdatedRows) === 0) return;
      summary.failed++;
      await problem(m, 'every recipient is marked bad');
      await cases.markContactNeeded(m.case_id, { reason: 'every recipient of the message is marked bad', messageId: m.message_id }, actor);
      return;
    }
    let mail: Mail.Options;
    try {
      mail = await buildMail(cfg, m, { to, signer });
    } catch (e) {
      if (!isEdgewatchError(e, 'EW_NOTIFY_HEADER')) throw e;
      const u = await d
        .updateTable('outbox')
        .set({ state: 'failed', last_error: e.message.slice(0, 1000) })
        .where('id', '=', m.id)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(u.numUpdatedRows) > 0) {
        summary.failed++;
        await problem(m, e.message);
      }
      return;
    }
    for (let attempt = 1; ; attempt++) {
      if (summary.aborted) return;
      // 1. claim
      const claimed = await d
        .updateTable('outbox')
        .set((eb) => ({ state: 'sending', attempts: eb('attempts', '+', 1) }))
        .where('id', '=', m.id)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) return; // someone else has it, or it changed
      // 2. hand over
      const r: SendOutcome = await sendOne(smtp as Record<string, unknown>, mail);
      if (r.kind === 'accepted') {
        if (env.EDGEWATCH_FAULT === 'notify-after-accept') process.kill(process.pid, 'SIGKILL');
        // 3. record
        const now = new Date().toISOString();
        await d
          .updateTable('outbox')
          .set({ state: 'sent', sent_at: now, smtp_response: r.response, last_error: null })
          .where('id', '=', m.id)
          .execute();
        summary.sent++;
        for (const x of r.rejected) {
          await markContact(db, x.address, 'bad', `SMTP rejected: ${x.response}`);
          await addEvent(d, m.case_id, 'contact_rejected', actor, { email: x.address, response: x.response, message_id: m.message_id });
        }
        await cases.markNotified(
          m.case_id,
          { messageId: m.message_id, template: m.template, rank: await caseRank(db, m.case_id), to: r.accepted.length ? r.accepted : to },
          actor,
        );
        log(`sent    ${m.id} (${m.case_id}) ${m.message_id}`);
        return;
      }
      if (r.kind === 'uncertain') {
        await d
          .updateTable('outbox')
          .set({ state: 'uncertain', last_error: `connection lost after the message was handed over: ${r.error}`.slice(0, 1000) })
          .where('id', '=', m.id)
          .execute();
        await addEvent(d, m.case_id, 'send_uncertain', actor, { message: m.id, message_id: m.message_id, reason: r.error.slice(0, 300) });
        summary.uncertain++;
        log(`uncertain ${m.id} (${m.case_id}) ${m.message_id}: ${r.error.slice(0, 200)}`);
        return;
      }
      if (r.kind === 'fatal') {
        await d.updateTable('outbox').set({ state: from, last_error: r.error }).where('id', '=', m.id).execute();
        summary.aborted = r.error;
        log(`stopped: ${r.error.slice(0, 300)}`);
        return;
      }
      if (r.kind === 'permanent') {
        const rejected = r.rejected.filter((x) => x.address);
        if (r.code === 'EENVELOPE' && rejected.length > 0) {
          for (const x of rejected) await markContact(db, x.address, 'bad', `SMTP rejected: ${x.response || r.error}`.slice(0, 500));
          await fail(m, r.error, { rejected: rejected.map((x) => x.address) });
          for (const x of rejected)
            await cases.markContactNeeded(
              m.case_id,
              { reason: `SMTP rejected: ${(x.response || r.error).slice(0, 300)}`, email: x.address, messageId: m.message_id },
              actor,
            );
        } else {
          await fail(m, r.error);
        }
        return;
      }
      // transient
      if (attempt >= cfg.max_attempts) {
        await fail(m, `${r.error} (after ${attempt} attempts)`);
        return;
      }
      await d.updateTable('outbox').set({ state: from, last_error: r.error }).where('id', '=', m.id).execute();
      summary.retried++;
      const wait = Math.min(MAX_DELAY_MS, baseDelay * 2 ** (attempt - 1));
      log(`retry   ${m.id} in ${wait} ms (attempt ${attempt} of ${cfg.max_attempts}): ${r.error.slice(0, 200)}`);
      await sleep(wait);
    }
  };

  const worker = async () => {
    while (!summary.aborted && next < rows.length) {
      const m = rows[next++];
      await deliver(m);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));

  summary.pendingUncertain = (await listOutbox(db, { state: ['uncertain'] })).map((m) => ({
    id: m.id,
    case_id: m.case_id,
    message_id: m.message_id,
    last_error: m.last_error,
  }));
  return summary;
}

/** Throw the run's abort reason as a typed error (the CLI prints it and exits 2). */
export function abortError(s: SendSummary): EdgewatchError | null {
  return s.aborted ? new EdgewatchError('EW_NOTIFY_SMTP_SETUP', `sending stopped: ${s.aborted}`) : null;
}
