/**
 * One outbox row → one nodemailer message (From, To, Reply-To, Subject, text body, text
 * attachments, `Message-ID: <outbox id@domain>`, `X-Edgewatch-Ticket: <case id>`), optionally
 * OpenPGP-signed, and the dry run that renders such messages to `.eml` files with nodemailer's
 * stream transport without touching the network or the store.
 *
 * Header safety: every value that ends up in a header is checked here, whatever the planner did
 * before: CR, LF, NUL and other control characters are refused (EW_NOTIFY_HEADER), addresses must
 * be single plain addresses (no display names, commas, quotes or angle brackets), so a hostile
 * organisation name or page title can never add a header or a recipient.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { EdgewatchError } from '../errors.js';
import { fromAddress, type NotifyConfig } from './config.js';
import type { OutboxMessage } from './outbox.js';
import type { Signer } from './pgp.js';

const TICKET = /^EW-\d{4}-\d{6}$/;
/** A plain address: local@domain, no spaces, quotes, brackets, commas or controls. */
const ADDRESS =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*$/;
const MESSAGE_ID = /^<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,200}@[A-Za-z0-9.-]{1,253}>$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const MAX_SUBJECT = 998;
const MAX_BODY = 1024 * 1024;
const MAX_ATTACHMENT = 10 * 1024 * 1024;

export function isPlainAddress(s: string): boolean {
  return s.length <= 254 && ADDRESS.test(s);
}

function bad(what: string, id: string): never {
  throw new EdgewatchError('EW_NOTIFY_HEADER', `outbox ${id}: ${what}`);
}

/** A header value must not carry control characters (CR/LF would start a new header). */
export function checkHeaderValue(field: string, value: string, id: string): string {
  if (CONTROL.test(value)) bad(`${field} contains a control character (CR/LF/NUL…); refusing to build the message`, id);
  if (value.length > MAX_SUBJECT) bad(`${field} is longer than ${MAX_SUBJECT} characters`, id);
  return value;
}

/** A safe attachment file name: no path, no controls, no quotes, bounded. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[\u0000-\u001f\u007f-\u009f"<>:|?*;\u2028\u2029]/g, '_')
    .replace(/^\.+/, '')
    .slice(0, 100);
  return clean || 'attachment.txt';
}

export function contentTypeOf(filename: string): string {
  const ext = filename.toLowerCase().split('.').pop();
  if (ext === 'csv') return 'text/csv; charset=utf-8';
  if (ext === 'json') return 'application/json; charset=utf-8';
  if (ext === 'asc') return 'application/pgp-signature';
  return 'text/plain; charset=utf-8';
}

/**
 * The nodemailer message for an outbox row. `to` overrides the recipients (bad contacts left
 * out). With a signer the text is clear-signed and every attachment gets a detached `.asc`.
 */
export async function buildMail(
  cfg: NotifyConfig,
  m: OutboxMessage,
  opts: { to?: string[]; signer?: Signer | null } = {},
): Promise<Mail.Options> {
  const to = opts.to ?? m.to;
  if (to.length === 0) bad('no recipients', m.id);
  for (const a of to)
    if (typeof a !== 'string' || !isPlainAddress(a))
      bad(`recipient ${JSON.stringify(String(a).slice(0, 80))} is not a plain e-mail address`, m.id);
  if (!MESSAGE_ID.test(m.message_id)) bad(`message_id ${JSON.stringify(m.message_id.slice(0, 80))} is not <id@domain>`, m.id);
  if (!TICKET.test(m.case_id)) bad(`case id ${JSON.stringify(m.case_id.slice(0, 40))} is not a ticket number`, m.id);
  const subject = checkHeaderValue('subject', m.subject, m.id);
  checkHeaderValue('from', cfg.from, m.id);
  if (!isPlainAddress(fromAddress(cfg))) bad(`notify.from ${JSON.stringify(cfg.from.slice(0, 80))} has no plain sender address`, m.id);
  const replyTo = cfg.reply_to ?? fromAddress(cfg);
  if (!isPlainAddress(replyTo)) bad('notify.reply_to is not a plain e-mail address', m.id);
  if (m.body.length > MAX_BODY) bad(`body is larger than ${MAX_BODY} characters`, m.id);

  const attachments: Mail.Attachment[] = [];
  if (!Array.isArray(m.to) || !Array.isArray(m.attachments)) bad('to_addrs or attachments is not a list', m.id);
  for (const a of m.attachments) {
    if (!a || typeof a.filename !== 'string' || typeof a.content !== 'string') bad('an attachment is not {filename, content} text', m.id);
    if (a.content.length > MAX_ATTACHMENT) bad(`attachment ${safeFilename(a.filename)} is larger than ${MAX_ATTACHMENT} characters`, m.id);
    const filename = safeFilename(a.filename);
    attachments.push({ filename, content: a.content, contentType: contentTypeOf(filename) });
    if (opts.signer)
      attachments.push({
        filename: `${filename}.asc`,
        content: await opts.signer.detachedSign(a.content),
        contentType: 'application/pgp-signature',
      });
  }
  const text = opts.signer ? await opts.signer.clearSign(m.body) : m.body;
  return {
    from: cfg.from,
    to: [...to],
    replyTo,
    subject,
    text,
    attachments,
    messageId: m.message_id,
    headers: { 'X-Edgewatch-Ticket': m.case_id },
    // Same envelope sender every time, so bounces come back to the configured address.
    envelope: { from: fromAddress(cfg), to: [...to] },
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** Render a message to RFC 5322 bytes (no network). */
export async function renderEml(mail: Mail.Options): Promise<Buffer> {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await t.sendMail(mail);
  return info.message as Buffer;
}

/** Dry run: write `<outbox id>.eml` for each message into `dir`; returns the paths. */
export async function writeDryRun(dir: string, items: Array<{ id: string; mail: Mail.Options }>): Promise<string[]> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new EdgewatchError('EW_NOTIFY_DRY_RUN', `cannot create ${dir}: ${(e as Error).message}`, { file: dir });
  }
  const out: string[] = [];
  for (const it of items) {
    const p = join(dir, `${safeFilename(it.id)}.eml`);
    try {
      writeFileSync(p, await renderEml(it.mail));
    } catch (e) {
      if (e instanceof EdgewatchError) throw e;
      throw new EdgewatchError('EW_NOTIFY_DRY_RUN', `cannot write ${p}: ${(e as Error).message}`, { file: p });
    }
    out.push(p);
  }
  return out;
}
