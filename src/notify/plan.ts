/**
 * `notify plan`: decides, per case, whether a message is due and which one (initial, followup,
 * escalation, resolved), renders it from the templates in the owner's language — one message per
 * case, never one per host — with a CSV attachment of the evidence, and stores it in the outbox as
 * a draft. Throttling: an owner is not mailed again within `interval_days` unless its situation got
 * worse (e.g. it became compromised). Planning twice changes nothing: the outbox key is derived from
 * the case's situation, so the same situation gives the same key.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import type { Kysely } from 'kysely';
import { casesDb } from '../cases/db.js';
import { addEvent, Cases } from '../cases/repo.js';
import { type Case, type CaseHost, WORST_RANK, type Worst } from '../cases/types.js';
import { csvSafe } from '../report/output.js';
import { listOrganisations, type Organisation } from '../store/organisations.js';
import type { Database } from '../store/schema.js';
import { type NotifyConfig, fromAddress, messageIdDomain } from './config.js';
import { badContacts } from './contacts.js';
import { block, fill, type LanguagePack, loadLanguage, oneLine, type TemplateName } from './templates.js';

export interface PlanOptions {
  config: NotifyConfig;
  now?: Date;
  actor?: string;
  /** Only these cases. */
  cases?: string[];
}

export interface PlannedMessage {
  id: string;
  case_id: string;
  template: TemplateName;
  language: string;
  to: string[];
  subject: string;
  /** True when this call created the draft (false: the same situation was planned before). */
  created: boolean;
}

export interface PlanResult {
  planned: PlannedMessage[];
  /** Cases with nothing due, and why (throttled, no contact, pending message, …). */
  skipped: Array<{ case_id: string; reason: string }>;
}

const PRODUCT_NAMES: Record<string, string> = {
  'citrix-adc': 'Citrix ADC / Gateway (NetScaler)',
  'pulse-connect-secure': 'Pulse Secure / Ivanti Connect Secure',
};
const MAX_HOST_LINES = 200;
const EMAIL = /^[^\s<>@,;"]{1,64}@[A-Za-z0-9.-]{1,253}$/;

function productName(hosts: CaseHost[]): string {
  const ids = [...new Set(hosts.map((h) => h.detail.product).filter((p): p is string => !!p))];
  if (ids.length === 0) return 'edge appliance';
  return ids.map((p) => PRODUCT_NAMES[p] ?? oneLine(p, 60)).join(' / ');
}

function day(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : '';
}

/** One line per host: address, name, build, the CVEs to act on, compromise. */
export function hostLines(hosts: CaseHost[]): string {
  const lines = hosts.slice(0, MAX_HOST_LINES).map((h) => {
    const cves = Object.entries(h.detail.cve)
      .map(([c, s]) => `${c}: ${s}`)
      .join(', ');
    const name = h.host ? ` (${oneLine(h.host, 80)})` : '';
    const comp = h.detail.compromised ? `; COMPROMISED${h.detail.indicators.length ? ` (${oneLine(h.detail.indicators.join(', '), 160)})` : ''}` : '';
    return `- ${h.ip}:${h.port}${name}, build ${oneLine(h.detail.version ?? 'unknown', 40)}${cves ? `; ${oneLine(cves, 400)}` : ''}${comp}`;
  });
  if (hosts.length > MAX_HOST_LINES) lines.push(`- … and ${hosts.length - MAX_HOST_LINES} more in the attached CSV file`);
  return lines.join('\n');
}

/** The evidence attachment: one row per host, formula-injection safe. */
export function evidenceCsv(c: Case, hosts: CaseHost[], tlp: string): string {
  const rows: string[][] = [
    ['ticket', 'tlp', 'ip', 'port', 'name', 'product', 'build', 'cves', 'compromised', 'indicators', 'state', 'first_scan', 'last_seen_scan', 'observed_at', 'evidence'],
  ];
  for (const h of hosts) {
    rows.push(
      [
        c.id,
        `TLP:${tlp}`,
        h.ip,
        String(h.port),
        h.host,
        h.detail.product ?? '',
        h.detail.version ?? '',
        Object.entries(h.detail.cve)
          .map(([k, s]) => `${k}=${s}`)
          .join(' '),
        h.detail.compromised ? 'yes' : 'no',
        h.detail.indicators.join(' '),
        h.state,
        h.first_scan,
        h.last_seen_scan,
        h.detail.scanned_at,
        h.detail.evidence.join(' | '),
      ].map((v) => csvSafe(oneLine(v, 2000))),
    );
  }
  return stringify(rows);
}

function recipients(c: Case, org: Organisation | undefined, bad: Set<string>): string[] {
  const raw = org ? org.contacts.map((x) => x.email) : c.grp ? [c.grp.split('|')[1] ?? ''] : [];
  return [...new Set(raw.map((e) => e.trim().toLowerCase()).filter((e) => EMAIL.test(e) && !bad.has(e)))];
}

function due(c: Case, cfg: NotifyConfig, now: Date): { template: TemplateName } | { skip: string } {
  const rank = c.worst ? WORST_RANK[c.worst] : 0;
  if (c.state === 'resolved') return c.notified_at ? { template: 'resolved' } : { skip: 'resolved before any message' };
  if (!c.worst) return { skip: 'no open finding' };
  if (c.notified_at === null) return { template: 'initial' };
  const compromised = c.worst === 'compromised' || c.worst === 'patched_compromised';
  if (c.notified_rank !== null && rank > c.notified_rank) return { template: compromised ? 'escalation' : 'followup' };
  const days = (now.getTime() - Date.parse(c.notified_at)) / 86_400_000;
  if (days < cfg.interval_days) return { skip: `throttled: notified ${Math.floor(days)} day(s) ago (interval ${cfg.interval_days})` };
  return { template: c.state === 'escalated' || compromised ? 'escalation' : 'followup' };
}

export async function planNotifications(db: Kysely<Database>, opts: PlanOptions): Promise<PlanResult> {
  const cfg = opts.config;
  const now = opts.now ?? new Date();
  const actor = opts.actor ?? 'notify';
  const cases = new Cases(db);
  const d = casesDb(db);
  const orgs = new Map((await listOrganisations(db)).map((o) => [o.key, o]));
  const bad = await badContacts(db);
  const langs = new Map<string, LanguagePack | undefined>();
  const lang = (l: string) => {
    if (!langs.has(l)) langs.set(l, loadLanguage(l, cfg.templates));
    return langs.get(l);
  };
  const fallback = lang(cfg.default_language) ?? lang('en');
  if (!fallback) throw new Error('the bundled English templates are missing');
  const pending = new Set(
    (await d.selectFrom('outbox').select('case_id').where('state', 'in', ['draft', 'approved', 'sending', 'uncertain']).execute()).map((r) => r.case_id),
  );
  const domain = messageIdDomain(cfg);
  const out: PlanResult = { planned: [], skipped: [] };
  const list = (await cases.list()).filter((c) => !opts.cases || opts.cases.includes(c.id));
  for (const c of list) {
    const decision = due(c, cfg, now);
    if ('skip' in decision) {
      if (c.state !== 'resolved' || c.notified_at) out.skipped.push({ case_id: c.id, reason: decision.skip });
      continue;
    }
    const template = decision.template;
    const key = createHash('sha256')
      .update([c.id, template, template === 'resolved' ? (c.resolved_at ?? '') : (c.last_scan ?? ''), c.worst ?? '', c.notified_at ?? ''].join('|'))
      .digest('hex')
      .slice(0, 32);
    const existing = await d.selectFrom('outbox').select(['id', 'state']).where('id', '=', key).executeTakeFirst();
    if (existing) {
      out.skipped.push({ case_id: c.id, reason: `already planned (${existing.state}): ${key}` });
      continue;
    }
    if (pending.has(c.id)) {
      out.skipped.push({ case_id: c.id, reason: 'a message for this case is waiting in the outbox (approve, send or cancel it first)' });
      continue;
    }
    const org = c.org_key ? orgs.get(c.org_key) : undefined;
    const to = recipients(c, org, bad);
    if (to.length === 0) {
      if (c.state !== 'contact_needed') await cases.markContactNeeded(c.id, { reason: 'no usable contact address (none known, or all bounced)' }, actor);
      out.skipped.push({ case_id: c.id, reason: 'contact needed: no usable address' });
      continue;
    }
    const pack = (org && lang(org.language)) || fallback;
    const all = await cases.hosts(c.id);
    const hosts = template === 'resolved' ? all.filter((h) => h.state === 'fixed') : all.filter((h) => h.state === 'open');
    const worst: Worst = c.worst ?? 'vulnerable';
    const ownerName = org ? oneLine(org.name, 120) : oneLine(`AS${(c.grp ?? '').split('|')[0].replace(/^AS/, '')} (${to[0]})`, 120);
    const product = oneLine(productName(hosts.length ? hosts : all), 120);
    const scanDate = day(hosts[0]?.detail.scanned_at ?? c.updated_at);
    const base = {
      ticket: c.id,
      org: ownerName,
      tlp: cfg.tlp,
      team: oneLine(cfg.team, 200),
      reply_to: oneLine(cfg.reply_to ?? fromAddress(cfg), 320),
      count: String(hosts.length),
      product,
      scan_date: scanDate,
      notified_date: day(c.notified_at),
      days: c.notified_at ? String(Math.max(0, Math.floor((now.getTime() - Date.parse(c.notified_at)) / 86_400_000))) : '0',
    };
    const snippet = (part: 'headline' | 'meaning' | 'advice') => fill(pack.snippets[part][worst], base);
    const vars = {
      ...base,
      headline: oneLine(snippet('headline'), 200),
      meaning: block(snippet('meaning'), 8000),
      advice: block(snippet('advice'), 8000),
      hosts: hostLines(hosts),
    };
    const t = pack.templates[template];
    const subject = oneLine(fill(t.subject, vars), 250);
    const body = block(fill(t.body, vars), 500_000);
    const attachments = [{ filename: `${c.id}-evidence.csv`, content: evidenceCsv(c, hosts, cfg.tlp) }];
    await d
      .insertInto('outbox')
      .values({
        id: key,
        case_id: c.id,
        template,
        language: pack.language,
        to_addrs: JSON.stringify(to),
        subject,
        body,
        attachments: JSON.stringify(attachments),
        state: 'draft',
        message_id: `<ew-${key}@${domain}>`,
        created_at: now.toISOString(),
        approved_at: null,
        approved_by: null,
        sent_at: null,
        last_error: null,
        smtp_response: null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
    await addEvent(d, c.id, 'message_planned', actor, { message: key, template, language: pack.language, to }, now.toISOString());
    out.planned.push({ id: key, case_id: c.id, template, language: pack.language, to, subject, created: true });
  }
  return out;
}
