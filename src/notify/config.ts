/**
 * Notification settings (config key `notify:`), validated with zod at the edge: who sends, how
 * (SMTP host/port, implicit TLS or STARTTLS, auth), optional OpenPGP clear-signing, templates,
 * throttling and escalation. Secrets may come from the environment (`pass_env`, `passphrase_env`)
 * so config files can be shared without them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EdgewatchError } from '../errors.js';

const email = z.string().min(3).max(320).regex(/^[^\s<>@]+@[^\s<>@]+$/, 'an e-mail address');

export const NotifyConfigSchema = z
  .object({
    /** Sender: "CERT Example <cert@example.org>" or a bare address. */
    from: z.string().min(3).max(400).default('edgewatch <edgewatch@localhost>'),
    /** Where replies go (default: from). */
    reply_to: email.optional(),
    /** Sender name shown in the signature of messages. */
    team: z.string().min(1).max(200).default('the edgewatch operator'),
    /** TLP label on every message and attachment. */
    tlp: z.enum(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED']).default('AMBER'),
    /** Language for owners without one (unmatched hosts). */
    default_language: z.string().regex(/^[a-z]{2}$/).default('en'),
    /** Directory of user templates (`<lang>/<template>.txt`); bundled templates fill the gaps. */
    templates: z.string().min(1).optional(),
    /** No owner is mailed twice within this many days unless its situation got worse. */
    interval_days: z.number().min(0).max(365).default(7),
    /** A notified case still open after this many days is escalated ("assume compromised"). */
    escalate_after_days: z.number().min(1).max(365).default(14),
    smtp: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(25),
        /** Implicit TLS (port 465). */
        secure: z.boolean().default(false),
        /** STARTTLS: required, opportunistic or never. */
        starttls: z.enum(['required', 'opportunistic', 'never']).default('opportunistic'),
        user: z.string().min(1).optional(),
        pass: z.string().min(1).optional(),
        /** Name of an environment variable holding the password. */
        pass_env: z.string().min(1).optional(),
        /** Verify the server certificate (default true). */
        tls_verify: z.boolean().default(true),
        /** PEM file of extra CA certificates. */
        ca: z.string().min(1).optional(),
        timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 25, secure: false, starttls: 'opportunistic', tls_verify: true, timeout_ms: 30_000 }),
    /** Messages sent at once. */
    concurrency: z.number().int().min(1).max(64).default(4),
    /** Delivery attempts per message before it stays `failed`. */
    max_attempts: z.number().int().min(1).max(50).default(5),
    /** First wait before retrying a transient SMTP failure (doubles each attempt, at most 30 s). */
    retry_delay_ms: z.number().int().min(0).max(60_000).optional(),
    /** Optional OpenPGP clear-signing of the message text. */
    pgp: z
      .object({
        /** ASCII-armoured private key file. */
        key: z.string().min(1),
        passphrase_env: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** Domain of Message-IDs (default: the sender's domain). */
    message_id_domain: z.string().min(1).max(253).optional(),
  })
  .strict();

export type NotifyConfig = z.infer<typeof NotifyConfigSchema>;

export function parseNotifyConfig(raw: unknown, where = 'config notify'): NotifyConfig {
  const r = NotifyConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new EdgewatchError('EW_NOTIFY_CONFIG', `${where}.${i.path.join('.')}: ${i.message}`);
  }
  return r.data;
}

/** The sender's address part of `from`. */
export function fromAddress(cfg: NotifyConfig): string {
  const m = /<([^>]+)>\s*$/.exec(cfg.from);
  return (m ? m[1] : cfg.from).trim();
}

export function messageIdDomain(cfg: NotifyConfig): string {
  return cfg.message_id_domain ?? fromAddress(cfg).split('@')[1] ?? 'edgewatch.local';
}

export function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new EdgewatchError('EW_NOTIFY_CONFIG', `cannot read ${what}: ${(e as Error).message}`, { file: path });
  }
}
