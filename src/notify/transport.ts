/**
 * SMTP transport for notification delivery: builds nodemailer SMTP options from config
 * `notify.smtp` (implicit TLS or STARTTLS required/opportunistic/never, AUTH, certificate
 * verification, extra CA file, timeouts) and hands over ONE message per SMTP connection, then
 * sorts the result into what the delivery loop needs to decide:
 *
 *   accepted   the server said 250 after the end of data (possibly with some recipients refused)
 *   transient  not accepted and safe to retry: connection refused/dropped before the end of data,
 *              timeouts before the end of data, 4xx replies
 *   permanent  5xx: every recipient refused (those addresses are bad) or the message refused
 *   uncertain  the whole message (with its final ".") was handed to the server, then the
 *              connection broke or timed out before the reply: the server may have accepted it,
 *              so it must not be resent automatically
 *   fatal      a problem of our own setup that would fail every message (authentication, TLS
 *              verification, STARTTLS required but missing): the run stops
 *
 * The "end of data" moment comes from nodemailer's own log record written when the data stream
 * (which ends with CRLF.CRLF) has been written to the socket; one transport per message keeps
 * that record unambiguous.
 */
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { EdgewatchError } from '../errors.js';
import type { NotifyConfig } from './config.js';

export type SmtpConfig = NotifyConfig['smtp'];

export type SendOutcome =
  | { kind: 'accepted'; response: string; accepted: string[]; rejected: Array<{ address: string; response: string }> }
  | {
      kind: 'transient' | 'permanent' | 'uncertain' | 'fatal';
      error: string;
      code: string | null;
      responseCode: number | null;
      rejected: Array<{ address: string; response: string }>;
    };

/** The password: `pass`, or the environment variable named by `pass_env`. */
export function smtpPassword(smtp: SmtpConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (smtp.pass_env) {
    const v = env[smtp.pass_env];
    if (!v) throw new EdgewatchError('EW_NOTIFY_SMTP_SETUP', `notify.smtp.pass_env names ${smtp.pass_env}, which is not set`);
    return v;
  }
  return smtp.pass;
}

/** nodemailer SMTP transport options for the configured server (no connection is made here). */
export function smtpOptions(smtp: SmtpConfig, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  let ca: string | undefined;
  if (smtp.ca) {
    try {
      ca = readFileSync(smtp.ca, 'utf8');
    } catch (e) {
      throw new EdgewatchError('EW_NOTIFY_SMTP_SETUP', `cannot read notify.smtp.ca: ${(e as Error).message}`, { file: smtp.ca });
    }
  }
  const pass = smtpPassword(smtp, env);
  if (pass && !smtp.user) throw new EdgewatchError('EW_NOTIFY_SMTP_SETUP', 'notify.smtp has a password but no user');
  return {
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: !smtp.secure && smtp.starttls === 'required',
    ignoreTLS: !smtp.secure && smtp.starttls === 'never',
    // Opportunistic: use STARTTLS when offered; an upgrade that fails must not fall back to plain text
    // silently for a verified setup, so only the unverified mode continues without TLS.
    opportunisticTLS: smtp.starttls === 'opportunistic' && !smtp.tls_verify,
    auth: smtp.user ? { user: smtp.user, pass: pass ?? '' } : undefined,
    tls: { rejectUnauthorized: smtp.tls_verify, ...(ca ? { ca } : {}), minVersion: 'TLSv1.2' },
    connectionTimeout: smtp.timeout_ms,
    greetingTimeout: smtp.timeout_ms,
    socketTimeout: smtp.timeout_ms,
    dnsTimeout: smtp.timeout_ms,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  command?: string;
  responseCode?: number;
  response?: string;
  rejected?: string[];
  rejectedErrors?: Array<{ recipient?: string; response?: string; responseCode?: number }>;
}

const FATAL_CODES = new Set(['EAUTH', 'ETLS', 'ENOAUTH', 'EOAUTH2', 'ECONFIG']);

function rejectedList(errs: NodemailerError['rejectedErrors'], fallback: string[] = []): Array<{ address: string; response: string }> {
  if (errs?.length) return errs.map((e) => ({ address: String(e.recipient ?? ''), response: String(e.response ?? '').slice(0, 500) }));
  return fallback.map((a) => ({ address: a, response: '' }));
}

/** Sort a nodemailer failure (see the module header). `dataHandedOver`: the end of data was written. */
export function classifyFailure(e: NodemailerError, dataHandedOver: boolean): SendOutcome {
  const rc = typeof e.responseCode === 'number' ? e.responseCode : null;
  const base = {
    error: String(e.message ?? e).slice(0, 1000),
    code: e.code ?? null,
    responseCode: rc,
    rejected: rejectedList(e.rejectedErrors, e.rejected),
  };
  if (e.code && FATAL_CODES.has(e.code)) return { kind: 'fatal', ...base };
  // A certificate problem surfaces as a socket error during the handshake.
  if (/certificate|self[- ]signed|unable to verify|altnames|wrong version number/i.test(base.error) && !dataHandedOver)
    return { kind: 'fatal', ...base };
  if (rc !== null && rc >= 500) return { kind: 'permanent', ...base };
  if (rc !== null && rc >= 400) return { kind: 'transient', ...base };
  // No reply code: the connection broke or timed out.
  return { kind: dataHandedOver ? 'uncertain' : 'transient', ...base };
}

/**
 * Send one message on its own SMTP connection and classify the result. Never throws for SMTP
 * problems; throws EdgewatchError only for a broken local setup (e.g. unreadable CA file).
 */
export async function sendOne(options: Record<string, unknown>, mail: Mail.Options): Promise<SendOutcome> {
  let dataHandedOver = false;
  const noop = () => {};
  // nodemailer logs "<N bytes encoded mime message …>" with tnx "message" when the data stream,
  // which carries the terminating CRLF.CRLF, has been fully written to the socket.
  const watch = (entry: unknown) => {
    if (entry && typeof entry === 'object' && (entry as { tnx?: string }).tnx === 'message' && 'outByteCount' in (entry as object))
      dataHandedOver = true;
  };
  const logger = { trace: noop, debug: noop, info: watch, warn: noop, error: noop, fatal: noop, level: noop };
  const transport = nodemailer.createTransport({ ...options, logger, debug: false } as Parameters<typeof nodemailer.createTransport>[0]);
  try {
    const info = (await transport.sendMail(mail)) as {
      response?: string;
      accepted?: unknown[];
      rejected?: unknown[];
      rejectedErrors?: NodemailerError['rejectedErrors'];
    };
    const addr = (a: unknown) => (typeof a === 'string' ? a : String((a as { address?: string })?.address ?? ''));
    return {
      kind: 'accepted',
      response: String(info.response ?? '').slice(0, 500),
      accepted: (info.accepted ?? []).map(addr),
      rejected: rejectedList(info.rejectedErrors, (info.rejected ?? []).map(addr)),
    };
  } catch (e) {
    return classifyFailure(e as NodemailerError, dataHandedOver);
  } finally {
    transport.close();
  }
}
