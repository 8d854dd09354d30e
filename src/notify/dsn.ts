/**
 * Reading delivery feedback out of one raw message, without the store: RFC 3464 delivery status
 * notifications (multipart/report; report-type=delivery-status: per recipient Final-Recipient,
 * Action, Status, Diagnostic-Code, and the original Message-ID / X-Edgewatch-Ticket from the
 * returned message/rfc822 or text/rfc822-headers part), classic non-DSN bounces (mailer-daemon
 * senders, "Undelivered Mail", "failure notice", …) and auto-replies (RFC 3834 Auto-Submitted,
 * X-Autoreply, Precedence, out-of-office subjects).
 *
 * A small MIME walker of our own is used for the report parts because mailparser folds
 * message/delivery-status into the text body. Everything is bounded: parts, depth, field sizes.
 */

export interface DsnRecipient {
  /** Lower-cased address of Final-Recipient (or Original-Recipient). */
  recipient: string;
  /** failed | delayed | delivered | relayed | expanded (lower-case). */
  action: string;
  /** e.g. 5.1.1 */
  status: string;
  diagnostic: string;
}

export interface Dsn {
  reportingMta: string;
  recipients: DsnRecipient[];
  /** Message-ID of the returned message, with angle brackets, or null. */
  originalMessageId: string | null;
  /** X-Edgewatch-Ticket of the returned message, or null. */
  originalTicket: string | null;
}

const MAX_PARTS = 50;
const MAX_DEPTH = 4;
const MAX_FIELD = 1000;

interface Part {
  headers: Map<string, string>;
  body: string;
}

/** Unfold and split a header block into lower-cased name → first value. */
export function parseHeaderBlock(block: string): Map<string, string> {
  const out = new Map<string, string>();
  const unfolded = block.replace(/\r\n/g, '\n').replace(/\n[ \t]+/g, ' ');
  for (const line of unfolded.split('\n')) {
    const m = /^([A-Za-z0-9-]{1,76}):\s*(.*)$/.exec(line);
    if (m && !out.has(m[1].toLowerCase())) out.set(m[1].toLowerCase(), m[2].trim().slice(0, MAX_FIELD));
  }
  return out;
}

function splitHead(text: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { head: text, body: '' };
  return { head: text.slice(0, m.index), body: text.slice(m.index + m[0].length) };
}

/** `type/subtype` and parameters of a Content-Type value. */
export function contentType(v: string | undefined): { type: string; params: Record<string, string> } {
  const s = v ?? 'text/plain';
  const [t, ...rest] = s.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([A-Za-z0-9*_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;]*))/.exec(p);
    if (m) params[m[1].toLowerCase()] = (m[2] ?? m[3] ?? '').slice(0, 200);
  }
  return { type: t.trim().toLowerCase(), params };
}

function decodeBody(body: string, encoding: string | undefined): string {
  const enc = (encoding ?? '').toLowerCase().trim();
  if (enc === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    return body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
  }
  return body;
}

/** Leaf parts of a MIME entity (bounded in count and depth). */
function walk(text: string, depth: number, out: Part[]): void {
  if (out.length >= MAX_PARTS || depth > MAX_DEPTH) return;
  const { head, body } = splitHead(text);
  const headers = parseHeaderBlock(head);
  const ct = contentType(headers.get('content-type'));
  if (ct.type.startsWith('multipart/') && ct.params.boundary) {
    const b = ct.params.boundary.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const pieces = body.split(new RegExp(`^--${b}(?:--)?[ \\t]*\\r?$`, 'm'));
    // pieces[0] is the preamble, the last one the epilogue after the closing boundary
    for (const piece of pieces.slice(1, -1)) walk(piece.replace(/^\r?\n/, ''), depth + 1, out);
    return;
  }
  out.push({ headers, body: decodeBody(body, headers.get('content-transfer-encoding')) });
}

function addressOf(v: string | undefined): string {
  if (!v) return '';
  // "rfc822; user@example.org" (the type may be missing)
  const s = v.includes(';') ? v.slice(v.indexOf(';') + 1) : v;
  return s.trim().replace(/^<|>$/g, '').toLowerCase().slice(0, 320);
}

/**
 * The DSN in a raw message, or null when it is not a delivery-status report. `raw` is the whole
 * message (headers and body) as text.
 */
export function parseDsn(raw: string): Dsn | null {
  const top = parseHeaderBlock(splitHead(raw).head);
  const ct = contentType(top.get('content-type'));
  if (ct.type !== 'multipart/report') return null;
  const parts: Part[] = [];
  walk(raw, 0, parts);
  const status = parts.find((p) => /^message\/(global-)?delivery-status$/.test(contentType(p.headers.get('content-type')).type));
  if (!status) return null;
  // The status body: one per-message block, then one block per recipient (header syntax).
  const blocks = status.body
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .filter((b) => b.trim());
  const first = parseHeaderBlock(blocks[0] ?? '');
  const recipients: DsnRecipient[] = [];
  for (const b of blocks.slice(first.has('final-recipient') ? 0 : 1, 1 + MAX_PARTS)) {
    const f = parseHeaderBlock(b);
    const recipient = addressOf(f.get('final-recipient') ?? f.get('original-recipient'));
    if (!recipient) continue;
    recipients.push({
      recipient,
      action: (f.get('action') ?? '').toLowerCase().slice(0, 20),
      status: (f.get('status') ?? '').slice(0, 20),
      diagnostic: (f.get('diagnostic-code') ?? '').slice(0, 500),
    });
  }
  let originalMessageId: string | null = null;
  let originalTicket: string | null = null;
  const returned = parts.find((p) =>
    /^(message\/(global|rfc822)|text\/rfc822-headers|message\/global-headers)$/.test(contentType(p.headers.get('content-type')).type),
  );
  if (returned) {
    const h = parseHeaderBlock(splitHead(returned.body).head);
    originalMessageId = messageIdOf(h.get('message-id'));
    const t = /EW-\d{4}-\d{6}/.exec(h.get('x-edgewatch-ticket') ?? '');
    originalTicket = t ? t[0] : null;
  }
  return { reportingMta: addressOf(first.get('reporting-mta')), recipients, originalMessageId, originalTicket };
}

/** `<id@domain>` from a header value, or null. */
export function messageIdOf(v: string | undefined | null): string | null {
  const m = /<[^<>\s]{1,250}@[^<>\s]{1,253}>/.exec(v ?? '');
  return m ? m[0] : null;
}

/** Every `<id@domain>` token in a text (bounded). */
export function messageIdsIn(text: string, max = 200): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,200}@[A-Za-z0-9.-]{1,253}>/g)) {
    out.add(m[0]);
    if (out.size >= max) break;
  }
  return [...out];
}

const BOUNCE_FROM = /^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|bounce[s]?|mdaemon)@/i;
const BOUNCE_SUBJECT =
  /(undeliver(ed|able)|delivery (status notification|failure|has failed)|failure notice|returned mail|mail delivery (failed|failure|system)|non[- ]?delivery|could not be delivered|unzustellbar|onbestelbaar|niet bezorgd|nicht zugestellt)/i;

/** A bounce that is not a DSN (qmail, old Exim, Exchange "Undeliverable:" …). */
export function looksLikeBounce(fromAddress: string, subject: string): boolean {
  return BOUNCE_FROM.test(fromAddress) || (BOUNCE_SUBJECT.test(subject) && /daemon|postmaster|system|exchange|mail/i.test(fromAddress));
}

const AUTO_SUBJECT =
  /^(auto(matic)?[ -]?(reply|response|antwort|antwoord)|out of (the )?office|afwezig|automatisch(e)? (antwoord|antwort|reply)|abwesenheit|abwesend|vacation|on leave|absence|r[ée]ponse automatique|ontvangstbevestiging)/i;

/** An automatic answer (RFC 3834 and the common vendor headers), not a person's reply. */
export function isAutoReply(header: (name: string) => string | undefined, subject: string): boolean {
  const as = (header('auto-submitted') ?? '').toLowerCase().trim();
  if (as && as !== 'no') return true;
  if (header('x-autoreply') || header('x-autorespond') || header('x-autoresponder')) return true;
  if (/^(auto_reply|bulk|junk|list)$/i.test((header('precedence') ?? '').trim())) return true;
  if ((header('x-auto-response-suppress') ?? '') !== '' && /^(auto|out of office)/i.test(subject)) return true;
  return AUTO_SUBJECT.test(subject.replace(/^(re|aw|antw|sv|fw|fwd)\s*:\s*/i, '').trim());
}

/** The ticket number in a subject such as "Re: [EW-2020-000042] …". */
export function ticketIn(subject: string): string | null {
  const m = /\[?(EW-\d{4}-\d{6})\]?/.exec(subject);
  return m ? m[1] : null;
}
