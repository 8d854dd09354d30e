/**
 * `notify ingest FILE…`: reads delivery feedback and answers from .eml files or mbox files (many
 * messages) with mailparser and attaches them to cases:
 *
 *   DSN / bounce, recipient failed → contact bad; the outbox row `bounced` and the case
 *     `contact_needed` once every recipient of the message has failed; a `bounce` event always
 *   DSN delayed / delivered      → `delivery_delayed` / `delivery_report` event
 *   reply                        → `reply` event (from, date, subject, bounded excerpt), matched by
 *     In-Reply-To/References to our Message-IDs, else by the ticket [EW-YYYY-NNNNNN] in the subject
 *   auto-reply (out of office …) → `auto_reply` event, never counted as a reply
 *   anything else                → reported as unmatched (the file stays; nothing is dropped quietly)
 *
 * Ingesting the same message twice adds nothing (events remember the ingested Message-ID).
 * Hostile input: sizes are bounded (file, message, count), HTML is never rendered or executed,
 * stored text is stripped of control characters and cut to a bounded length.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { type ParsedMail, simpleParser } from 'mailparser';
import { casesDb } from '../cases/db.js';
import { addEvent, Cases } from '../cases/repo.js';
import { EdgewatchError } from '../errors.js';
import { readJson } from '../store/json.js';
import type { Database } from '../store/schema.js';
import { markContact } from './contacts.js';
import { type DsnRecipient, isAutoReply, looksLikeBounce, messageIdOf, messageIdsIn, parseDsn, ticketIn } from './dsn.js';

export const INGEST_LIMITS = {
  fileBytes: 64 * 1024 * 1024,
  messageBytes: 10 * 1024 * 1024,
  messages: 20_000,
  excerpt: 1000,
};

export type IngestKind = 'bounce' | 'delivery_delayed' | 'delivery_report' | 'reply' | 'auto_reply' | 'duplicate' | 'unmatched';

export interface IngestItem {
  where: string;
  kind: IngestKind;
  case_id: string | null;
  summary: string;
}

export interface IngestResult {
  messages: number;
  bounces: number;
  delays: number;
  replies: number;
  autoReplies: number;
  duplicates: number;
  items: IngestItem[];
  unmatched: Array<{ where: string; from: string; subject: string; reason: string }>;
}

interface OutboxRef {
  id: string;
  case_id: string;
  message_id: string;
  to: string[];
  state: string;
}

/** Strip control characters (keeping newlines when asked) and cut. */
export function cleanStored(s: string, max: number, keepNewlines = false): string {
  const re = keepNewlines
    ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g
    : /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  return s.replace(/\r\n?/g, '\n').replace(re, ' ').slice(0, max);
}

/** Split an mbox (mboxo/mboxrd) into messages; a file not starting with "From " is one message. */
export function splitMbox(buf: Buffer): Buffer[] {
  const text = buf.toString('latin1');
  if (!text.startsWith('From ')) return [buf];
  const out: Buffer[] = [];
  const starts: number[] = [];
  const re = /(^|\n)From [^\n]*\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    starts.push(m.index + m[1].length, m.index + m[0].length);
    if (starts.length / 2 > INGEST_LIMITS.messages) break;
  }
  for (let i = 0; i < starts.length; i += 2) {
    const bodyStart = starts[i + 1];
    const end = i + 2 < starts.length ? starts[i + 2] : text.length;
    // mboxrd: ">From " → "From " (one level of quoting removed)
    const msg = text.slice(bodyStart, end).replace(/^>(>*From )/gm, '$1');
    out.push(Buffer.from(msg, 'latin1'));
  }
  return out;
}

function headerText(p: ParsedMail, name: string): string | undefined {
  const v = p.headers.get(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && 'value' in (v as object)) return String((v as { value: unknown }).value);
  return String(v);
}

/** Plain text of a message; an HTML-only body is reduced to text here (never rendered or run). */
export function bodyText(p: Pick<ParsedMail, 'text' | 'html'>): string {
  if (p.text) return p.text;
  if (typeof p.html !== 'string') return '';
  return p.html
    .slice(0, 200_000)
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ');
}

function refsOf(p: ParsedMail): string[] {
  const refs = Array.isArray(p.references) ? p.references : p.references ? [p.references] : [];
  const ids = [...(p.inReplyTo ? messageIdsIn(p.inReplyTo) : []), ...refs.flatMap((r) => messageIdsIn(r))];
  return [...new Set(ids)].slice(0, 100);
}

export async function ingestFiles(db: Kysely<Database>, files: string[], opts: { actor?: string } = {}): Promise<IngestResult> {
  const result: IngestResult = { messages: 0, bounces: 0, delays: 0, replies: 0, autoReplies: 0, duplicates: 0, items: [], unmatched: [] };
  for (const f of files) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(f);
    } catch (e) {
      throw new EdgewatchError('EW_NOTIFY_INGEST_READ', `cannot read: ${(e as Error).message}`, { file: f });
    }
    if (!st.isFile()) throw new EdgewatchError('EW_NOTIFY_INGEST_READ', 'not a file', { file: f });
    if (st.size > INGEST_LIMITS.fileBytes)
      throw new EdgewatchError('EW_NOTIFY_INGEST_READ', `larger than ${INGEST_LIMITS.fileBytes} bytes; split it first`, { file: f });
    const msgs = splitMbox(readFileSync(f));
    for (let i = 0; i < msgs.length; i++) {
      if (result.messages >= INGEST_LIMITS.messages)
        throw new EdgewatchError('EW_NOTIFY_INGEST_READ', `more than ${INGEST_LIMITS.messages} messages in one run`, { file: f });
      result.messages++;
      const where = msgs.length > 1 ? `${f}#${i + 1}` : f;
      await ingestOne(db, msgs[i], where, result, opts.actor ?? 'ingest');
    }
  }
  return result;
}

async function findByMessageIds(db: Kysely<Database>, ids: string[]): Promise<OutboxRef[]> {
  if (ids.length === 0) return [];
  const rows = await casesDb(db)
    .selectFrom('outbox')
    .select(['id', 'case_id', 'message_id', 'to_addrs', 'state'])
    .where('message_id', 'in', ids)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    case_id: r.case_id,
    message_id: r.message_id,
    to: readJson<string[]>(r.to_addrs, 'outbox recipients'),
    state: r.state,
  }));
}

async function caseExists(db: Kysely<Database>, id: string): Promise<boolean> {
  return !!(await casesDb(db).selectFrom('cases').select('id').where('id', '=', id).executeTakeFirst());
}

/** Has this incoming message (by its Message-ID, or a digest when it has none) been ingested for this case? */
async function seen(db: Kysely<Database>, caseId: string, key: string): Promise<boolean> {
  const rows = await casesDb(db)
    .selectFrom('case_events')
    .select('detail')
    .where('case_id', '=', caseId)
    .where('kind', 'in', ['bounce', 'delivery_delayed', 'delivery_report', 'reply', 'auto_reply'])
    .execute();
  return rows.some((r) => readJson<Record<string, unknown>>(r.detail, 'case event')?.ingested === key);
}

async function ingestOne(db: Kysely<Database>, buf: Buffer, where: string, result: IngestResult, actor: string): Promise<void> {
  const item = (kind: IngestKind, case_id: string | null, summary: string) =>
    result.items.push({ where, kind, case_id, summary: cleanStored(summary, 300) });
  if (buf.length > INGEST_LIMITS.messageBytes) {
    result.unmatched.push({ where, from: '', subject: '', reason: `message larger than ${INGEST_LIMITS.messageBytes} bytes, not read` });
    item('unmatched', null, 'too large');
    return;
  }
  let p: ParsedMail;
  try {
    p = await simpleParser(buf, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
      maxHtmlLengthToParse: 1024 * 1024,
    });
  } catch (e) {
    result.unmatched.push({ where, from: '', subject: '', reason: `not a readable message: ${(e as Error).message.slice(0, 200)}` });
    item('unmatched', null, 'unreadable');
    return;
  }
  const from = cleanStored(p.from?.value?.[0]?.address ?? '', 320).toLowerCase();
  const subject = cleanStored(p.subject ?? '', 500);
  const date = p.date && !Number.isNaN(p.date.getTime()) ? p.date.toISOString() : null;
  const raw = buf.toString('utf8');
  const ingested = messageIdOf(p.messageId ?? null) ?? `sha256:${createHash('sha256').update(buf).digest('hex').slice(0, 32)}`;
  const cases = new Cases(db);
  const d = casesDb(db);

  const unmatched = (reason: string) => {
    result.unmatched.push({ where, from, subject, reason });
    item('unmatched', null, reason);
  };

  // --- bounces ---------------------------------------------------------------------------------
  const dsn = parseDsn(raw);
  let recipients: DsnRecipient[] | null = null;
  let refs: OutboxRef[] = [];
  if (dsn) {
    recipients = dsn.recipients;
    if (dsn.originalMessageId) refs = await findByMessageIds(db, [dsn.originalMessageId]);
    if (refs.length === 0)
      refs = await findByMessageIds(
        db,
        messageIdsIn(raw).filter((m) => m !== ingested),
      );
    if (refs.length === 0 && dsn.originalTicket && (await caseExists(db, dsn.originalTicket))) {
      refs = [{ id: '', case_id: dsn.originalTicket, message_id: '', to: recipients.map((r) => r.recipient), state: '' }];
    }
  } else if (looksLikeBounce(from, subject)) {
    const texts = [raw, p.text ?? '', ...p.attachments.slice(0, 10).map((a) => a.content.subarray(0, 1024 * 1024).toString('utf8'))].join(
      '\n',
    );
    refs = await findByMessageIds(
      db,
      messageIdsIn(texts).filter((m) => m !== ingested),
    );
    const lower = texts.toLowerCase();
    const failed = new Set<string>();
    for (const r of refs) for (const a of r.to) if (lower.includes(String(a).toLowerCase())) failed.add(String(a).toLowerCase());
    const status = /\b([45]\.\d{1,3}\.\d{1,3})\b/.exec(texts)?.[1] ?? '';
    recipients = [...failed].map((recipient) => ({
      recipient,
      action: status.startsWith('4') ? 'delayed' : 'failed',
      status,
      diagnostic: 'non-DSN bounce',
    }));
    if (refs.length === 0) return unmatched('bounce that names none of our messages');
    if (recipients.length === 0) return unmatched('bounce for our message, but it names none of its recipients');
  }

  if (recipients) {
    if (refs.length === 0) return unmatched('delivery report for a message that is not in the outbox');
    for (const ref of refs) {
      if (await seen(db, ref.case_id, ingested)) {
        result.duplicates++;
        item('duplicate', ref.case_id, `already ingested ${ingested}`);
        continue;
      }
      const ours = recipients.filter((r) => ref.to.length === 0 || ref.to.some((a) => String(a).toLowerCase() === r.recipient));
      const failed = ours.filter((r) => r.action === 'failed');
      const delayed = ours.filter((r) => r.action === 'delayed');
      for (const r of failed) {
        await markContact(db, r.recipient, 'bad', `bounce ${r.status} ${r.diagnostic}`.trim());
        await addEvent(d, ref.case_id, 'bounce', actor, {
          ingested,
          message_id: ref.message_id || null,
          email: r.recipient,
          status: r.status,
          diagnostic: cleanStored(r.diagnostic, 500),
          date,
        });
      }
      if (failed.length) {
        result.bounces++;
        const bouncedAll = ref.to.length > 0 && ref.to.every((a) => failed.some((r) => r.recipient === String(a).toLowerCase()));
        if (bouncedAll || ref.to.length <= 1) {
          if (ref.id)
            await d
              .updateTable('outbox')
              .set({
                state: 'bounced',
                last_error: cleanStored(`bounced: ${failed.map((r) => `${r.recipient} ${r.status}`).join(', ')}`, 1000),
              })
              .where('id', '=', ref.id)
              .where('state', 'not in', ['draft', 'cancelled'])
              .execute();
          await cases.markContactNeeded(
            ref.case_id,
            {
              reason: cleanStored(`bounce ${failed[0].status}: ${failed[0].diagnostic}`, 400),
              email: failed[0].recipient,
              messageId: ref.message_id || undefined,
            },
            actor,
          );
        }
        item(
          'bounce',
          ref.case_id,
          `${failed.map((r) => `${r.recipient} ${r.status}`).join(', ')}${bouncedAll ? '' : ' (other recipients not bounced)'}`,
        );
      } else if (delayed.length) {
        result.delays++;
        await addEvent(d, ref.case_id, 'delivery_delayed', actor, {
          ingested,
          message_id: ref.message_id || null,
          recipients: delayed.map((r) => ({ email: r.recipient, status: r.status })),
          date,
        });
        item('delivery_delayed', ref.case_id, delayed.map((r) => `${r.recipient} ${r.status}`).join(', '));
      } else {
        await addEvent(d, ref.case_id, 'delivery_report', actor, {
          ingested,
          message_id: ref.message_id || null,
          recipients: ours.map((r) => ({ email: r.recipient, action: r.action, status: r.status })),
          date,
        });
        item('delivery_report', ref.case_id, ours.map((r) => `${r.recipient} ${r.action}`).join(', ') || 'no recipient of ours');
      }
    }
    return;
  }

  // --- replies ---------------------------------------------------------------------------------
  let caseId: string | null = null;
  let inReplyTo: string | null = null;
  const byRef = await findByMessageIds(db, refsOf(p));
  if (byRef.length) {
    caseId = byRef[0].case_id;
    inReplyTo = byRef[0].message_id;
  } else {
    const t = ticketIn(subject);
    if (t && (await caseExists(db, t))) caseId = t;
  }
  if (!caseId) return unmatched('no reference to our messages and no known ticket in the subject');
  if (await seen(db, caseId, ingested)) {
    result.duplicates++;
    item('duplicate', caseId, `already ingested ${ingested}`);
    return;
  }
  const auto = isAutoReply((n) => headerText(p, n), subject);
  const detail = {
    ingested,
    in_reply_to: inReplyTo,
    from,
    date,
    subject,
    excerpt: cleanStored(bodyText(p).trim(), INGEST_LIMITS.excerpt, true),
  };
  await addEvent(d, caseId, auto ? 'auto_reply' : 'reply', actor, detail);
  if (auto) result.autoReplies++;
  else result.replies++;
  item(auto ? 'auto_reply' : 'reply', caseId, `from ${from}: ${subject}`);
}
