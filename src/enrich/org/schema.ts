/**
 * The zod schema of one organisation entry in an import file (YAML mapping or CSV row turned into
 * the same shape), and its conversion to the stored `Organisation`.
 *
 * zod checks shape, types, lengths and every value's syntax (CIDR, domain, ASN, e-mail, PGP);
 * transforms return the value in normal form plus a note when something was changed, and
 * `toOrganisation` turns notes into warnings that name the field.
 */
import { z } from 'zod';
import { tryParseRange } from '../../scope/cidr.js';
import { type Cleaned, cleanText } from './clean.js';
import { normalizeName } from './domains.js';
import type { Organisation, OrgContact } from './model.js';

export const LIMITS = {
  name: 200,
  key: 64,
  label: 64,
  listItems: 1000,
  cidrs: 10_000,
  contacts: 50,
  email: 254,
  pgpKey: 64 * 1024,
} as const;

const KEY = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const LABEL = /^[\p{L}\p{N}][\p{L}\p{N} _./&()'-]*$/u;
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"]{1,253}$/;

/** Accept a single value where a list is expected (YAML `domains: example.org`). */
const listOf = <T extends z.ZodType>(item: T, max: number) =>
  z.preprocess((v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]), z.array(item).max(max));

const text = (max: number) =>
  z
    .string()
    .max(max * 4, `longer than ${max} characters`)
    .transform((s, ctx): Cleaned => {
      const c = cleanText(s);
      if (c.value.length === 0) ctx.addIssue({ code: 'custom', message: 'empty after cleaning' });
      else if (c.value.length > max) ctx.addIssue({ code: 'custom', message: `longer than ${max} characters` });
      return c;
    });

const label = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(text(LIMITS.label))
  .superRefine((c, ctx) => {
    if (c.value.length > 0 && !LABEL.test(c.value)) {
      ctx.addIssue({ code: 'custom', message: `"${c.value}" has characters other than letters, digits, space and _ . / & ( ) ' -` });
    }
  })
  .transform((c): Cleaned => ({ value: c.value.toLowerCase(), note: c.note }));

const cidr = z
  .string()
  .max(100, 'not a CIDR (too long)')
  .transform((s, ctx) => {
    const t = s.trim();
    const r = tryParseRange(t);
    if (typeof r === 'string' || r.text.includes('-')) {
      const why = typeof r === 'string' ? r : 'ranges are not CIDRs';
      ctx.addIssue({ code: 'custom', message: `bad CIDR "${t.replace(/[^\x20-\x7e]/g, '?')}": ${why}` });
      return z.NEVER;
    }
    const given = t.toLowerCase();
    const full = `${r.text}/${r.family === 4 ? 32 : 128}`;
    const masked = given.includes('/') && given !== r.text && !(r.text.indexOf('/') < 0 && given === full);
    return { text: r.text, note: masked ? `host bits set in ${t}: stored as ${r.text}` : null };
  });

const domain = z
  .string()
  .max(300, 'not a domain name (too long)')
  .transform((s, ctx) => {
    const n = normalizeName(s.replace(/^\./, ''));
    if (n === null) {
      ctx.addIssue({ code: 'custom', message: `bad domain name "${s.slice(0, 80).replace(/[^\x20-\x7e]/g, '?')}"` });
      return z.NEVER;
    }
    if (n.name.indexOf('.') < 0) {
      const message = `"${n.name}" is a single label: list a registered domain (it would match every name under it)`;
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return { value: n.name, note: n.wildcard ? `"${s}" listed as ${n.name} (subdomains always match)` : null };
  });

const asn = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const s = String(v).trim();
  const m = /^(?:AS)?(\d{1,10})$/i.exec(s);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 4294967295) {
    ctx.addIssue({ code: 'custom', message: `bad ASN "${s.slice(0, 40)}" (a number 0-4294967295, optionally with AS)` });
    return z.NEVER;
  }
  return n;
});

const email = z
  .string()
  .max(LIMITS.email, `e-mail address longer than ${LIMITS.email} characters`)
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => EMAIL.test(s) && /\.[a-z0-9-]+$/i.test(s) && normalizeName(s.slice(s.indexOf('@') + 1)) !== null, 'not an e-mail address')
  .refine((s) => !/^[=+\-@]/.test(s), 'an e-mail address starting with = + - @ is refused (spreadsheet formula injection)');

const fingerprint = z
  .string()
  .max(120)
  .transform((s) => s.replace(/\s+/g, '').toUpperCase())
  .refine((s) => /^(?:[0-9A-F]{40}|[0-9A-F]{64})$/.test(s), 'PGP fingerprint must be 40 (v4) or 64 (v6) hex digits');

const pgpKey = z
  .string()
  .max(LIMITS.pgpKey, `PGP key larger than ${LIMITS.pgpKey} bytes`)
  .transform((s) => s.trim().replace(/\r\n/g, '\n'))
  .refine(
    (s) => /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n[\s\S]+\n-----END PGP PUBLIC KEY BLOCK-----$/.test(s) && !/[^\x09\x0a\x20-\x7e]/.test(s),
    'pgp_key must be one ASCII-armoured public key block',
  );

const contact = z.strictObject({
  email,
  name: text(LIMITS.name).optional(),
  role: label.optional(),
  pgp_fingerprint: fingerprint.optional(),
  pgp_key: pgpKey.optional(),
});

const language = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .refine((s) => /^[a-z]{2,3}(?:-[a-z0-9]{2,8})?$/.test(s), 'language must be an ISO 639 code such as nl or en');

/** One organisation entry as written in an import file. */
export const OrgEntrySchema = z.strictObject({
  key: z
    .union([z.string(), z.number()])
    .transform((v) => String(v).trim().toLowerCase())
    .refine((s) => KEY.test(s), 'key must be 1-64 of a-z 0-9 . _ - (starting with a letter or digit)')
    .optional(),
  name: text(LIMITS.name),
  sector: label.nullish(),
  language: language.nullish(),
  constituencies: listOf(label, 50),
  domains: listOf(domain, LIMITS.listItems),
  cidrs: listOf(cidr, LIMITS.cidrs),
  asns: listOf(asn, LIMITS.listItems),
  contacts: listOf(contact, LIMITS.contacts),
});

export type OrgEntry = z.output<typeof OrgEntrySchema>;

export const ENTRY_FIELDS = Object.keys(OrgEntrySchema.shape);

/** A warning about one field of an entry (`path` relative to the entry). */
export type Warn = (path: (string | number)[], message: string) => void;

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];

/** The stored organisation of a validated entry; `key` is given or derived by the caller. */
export function toOrganisation(e: OrgEntry, key: string, source: string, importedAt: string, warn: Warn): Organisation {
  const note = (path: (string | number)[], c: { note: string | null }) => {
    if (c.note) warn(path, c.note);
  };
  note(['name'], e.name);
  if (e.sector) note(['sector'], e.sector);
  e.constituencies.forEach((c, i) => note(['constituencies', i], c));
  e.domains.forEach((d, i) => note(['domains', i], { note: d.note }));
  e.cidrs.forEach((c, i) => note(['cidrs', i], c));
  const contacts: OrgContact[] = e.contacts.map((c, i) => {
    if (c.name) note(['contacts', i, 'name'], c.name);
    if (c.role) note(['contacts', i, 'role'], c.role);
    const out: OrgContact = { email: c.email };
    if (c.name) out.name = c.name.value;
    if (c.role) out.role = c.role.value;
    if (c.pgp_fingerprint || c.pgp_key) {
      out.pgp = {};
      if (c.pgp_fingerprint) out.pgp.fingerprint = c.pgp_fingerprint;
      if (c.pgp_key) out.pgp.key = c.pgp_key;
    }
    return out;
  });
  return {
    key,
    name: e.name.value,
    sector: e.sector ? e.sector.value : null,
    language: e.language ?? 'en',
    constituencies: uniq(e.constituencies.map((c) => c.value)).sort(),
    domains: uniq(e.domains.map((d) => d.value)).sort(),
    cidrs: uniq(e.cidrs.map((c) => c.text)),
    asns: uniq(e.asns).sort((a, b) => a - b),
    contacts,
    source,
    imported_at: importedAt,
  };
}
