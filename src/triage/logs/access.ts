/**
 * Access-log analyser (`/var/log/httpaccess.log*`, Apache combined format; DOMAIN §4.3).
 *
 * Rules (FireEye's, matched on `/vpns/` rather than on `/../` because the logged path may or may
 * not keep the traversal; every letter of `vpns` and of the extension may be %-encoded, hex
 * case-insensitive; a query string is allowed after the extension):
 *   access-exploit-success   any method, /vpns/…xml → 200|304 (planted template rendered)      high
 *   access-exploit-notrobin  GET|POST /vpns/…pl → 304 (single-request exploitation)           high
 *   access-scan-success      /vpns/…(pl|conf) → 200 (device was vulnerable when probed)      medium
 *   access-exploit-failed    GET|POST|HEAD /vpns/…(xml|pl) → 401|404                          low
 *   access-probe-blocked     /vpns/ → 403                                                      low
 *   access-webshell          (support|shared|n_top|vpn|themes)/…php → 200 (x1sec; here the
 *                            names must be whole path segments), and, for the 2023 wave,
 *                            /logon/LogonPoint/uiareas/…php → 200|201                         high
 * One rule per line, first match in that order. Lines are pre-filtered on the chunk string
 * (`ACCESS_NEEDLES`); only candidate lines are parsed.
 *
 * Timeline, per source address: first and last /vpns/ attempt, first success, "template written
 * then rendered" (POST|PUT /vpns/…pl → 200, then …xml → 200|304 from the same address), first and
 * last webshell access. An "attempt" is a /vpns/ request that fired a rule, carries a traversal or
 * names a .xml/.pl/.conf file: plain Receiver traffic such as `GET /vpns/services.html` is not one.
 */
import type { TimelineEvent, TriageRuleId } from '../types.js';
import { type FindingSink, makeFinding, type RuleMeta } from './findings.js';
import type { LineHandler } from './lines.js';
import { excerpt, parseApacheTime } from './text.js';

export const ACCESS_RULES = {
  'access-exploit-success': { kind: 'exploitation', confidence: 'high', ref: '§4.3' },
  'access-exploit-notrobin': { kind: 'exploitation', confidence: 'high', ref: '§4.3, §4.6' },
  'access-scan-success': { kind: 'scanning', confidence: 'medium', ref: '§4.3' },
  'access-exploit-failed': { kind: 'attempt', confidence: 'low', ref: '§4.3' },
  'access-probe-blocked': { kind: 'attempt', confidence: 'low', ref: '§2.3, §4.3' },
  'access-webshell': { kind: 'compromise', confidence: 'high', ref: '§4.3 (x1sec), §4.11' },
} satisfies Partial<Record<TriageRuleId, RuleMeta>>;

type AccessRule = keyof typeof ACCESS_RULES;

/**
 * Pre-filter needles (one native scan each): a line can only matter if it holds `vpns` (all
 * letters literal), `%7`/`%6` (some letter %-encoded, hex in either case) or `php`. Literal letters are matched in lower
 * case only here: the appliance's file system is case-sensitive, so `/VPNS/` reaches nothing.
 */
export const ACCESS_NEEDLES: readonly Buffer[] = ['vpns', '%7', '%6', 'php'].map((s) => Buffer.from(s, 'latin1'));

const LINE = /^(\S{1,128}) +\S+ +[^[]*\[([^\]]{1,64})\] +"((?:[^"\\]+|\\.)*)" +(\d{3})\b/;
/** Cheap reject: a /vpns/ line without any of these can fire no rule and is no attempt. */
const MAYBE = /%|\.\.|\.(?:xml|pl|conf|php)\b|" 403\b/i;
const REQUEST = /^([A-Za-z]{1,20}) +(.*?)(?: +HTTP\/[0-9.]{1,5})?$/;
const IPISH = /^[0-9A-Fa-f:.]{2,45}$/;
const VPNS = /(?:\/|%2f)(?:v|%76)(?:p|%70)(?:n|%6e)(?:s|%73)(?:\/|%2f)/i;
const EXT_XML = /(?:\.|%2e)(?:x|%78)(?:m|%6d)(?:l|%6c)$/i;
const EXT_PL = /(?:\.|%2e)(?:p|%70)(?:l|%6c)$/i;
const EXT_CONF = /(?:\.|%2e)(?:c|%63)(?:o|%6f)(?:n|%6e)(?:f|%66)$/i;
const TRAVERSAL = /(?:\.|%2e)(?:\.|%2e)(?:\/|%2f|$)/i;
const TEMPLATE_IN_NAME = /template(?:\.|%2e)new|readpipe/i;
const SHELL_2020 = /\/(?:support|shared|n_top|vpn|themes)\/(?:[^?]*\/)?[^/?]*\.php$/i;
const SHELL_2023 = /\/logon\/LogonPoint\/uiareas\/(?:[^?]*\/)?[^/?]*\.php$/i;

/** Source addresses tracked individually; further addresses are only counted. */
const MAX_TRACKED_IPS = 10_000;
/** Addresses with attempts only that get their own timeline events. */
const TIMELINE_ATTEMPT_IPS = 100;

interface Ev {
  time?: string;
  ord: number;
  path: string;
  req: string;
  status: number;
  rule: string;
}

interface IpState {
  ip: string;
  attempts: number;
  firstAttempt?: Ev;
  lastAttempt?: Ev;
  firstSuccess?: Ev;
  write?: Ev;
  rendered?: { write: Ev; render: Ev };
  firstShell?: Ev;
  lastShell?: Ev;
}

function earlier(a: Ev, b: Ev): boolean {
  if (a.time !== undefined && b.time !== undefined && a.time !== b.time) return a.time < b.time;
  return a.ord < b.ord;
}

/** One parsed access-log line (only the fields the rules need). */
export interface AccessLine {
  ip?: string;
  time?: string;
  method: string;
  target: string;
  status: number;
}

/** Parses a combined-format line; null when the line is not one (junk, truncated, no status). */
export function parseAccessLine(line: string): AccessLine | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const r = REQUEST.exec(m[3]);
  const out: AccessLine = { method: r ? r[1].toUpperCase() : '', target: r ? r[2] : m[3], status: Number(m[4]) };
  if (IPISH.test(m[1])) out.ip = m[1];
  const t = parseApacheTime(m[2]);
  if (t !== undefined) out.time = t;
  return out;
}

/** Which access rule a parsed line fires, if any, and whether it is a /vpns/ attempt. */
export function classifyAccess(a: AccessLine): { rule: AccessRule | null; vpns: boolean; attempt: boolean } {
  const q = a.target.indexOf('?');
  const path = q < 0 ? a.target : a.target.slice(0, q);
  const s = a.status;
  const m = a.method;
  if (!VPNS.test(path)) {
    if ((s === 200 && SHELL_2020.test(path)) || ((s === 200 || s === 201) && SHELL_2023.test(path))) {
      return { rule: 'access-webshell', vpns: false, attempt: false };
    }
    return { rule: null, vpns: false, attempt: false };
  }
  const xml = EXT_XML.test(path);
  const pl = !xml && EXT_PL.test(path);
  const conf = !xml && !pl && EXT_CONF.test(path);
  let rule: AccessRule | null = null;
  if (xml && (s === 200 || s === 304)) rule = 'access-exploit-success';
  else if (pl && s === 304 && (m === 'GET' || m === 'POST')) rule = 'access-exploit-notrobin';
  else if ((pl || conf) && s === 200) rule = 'access-scan-success';
  else if ((xml || pl) && (s === 401 || s === 404) && (m === 'GET' || m === 'POST' || m === 'HEAD')) rule = 'access-exploit-failed';
  else if (s === 403) rule = 'access-probe-blocked';
  const attempt = rule !== null || xml || pl || conf || TRAVERSAL.test(path);
  return { rule, vpns: true, attempt };
}

function title(rule: AccessRule, a: AccessLine): string {
  const req = `${a.method} ${excerpt(a.target, 120)}`;
  switch (rule) {
    case 'access-exploit-success':
      return `planted template fetched: ${req} answered ${a.status}${TEMPLATE_IN_NAME.test(a.target) ? ' (template payload in the file name)' : ''}`;
    case 'access-exploit-notrobin':
      return `single-request exploitation (NOTROBIN style): ${req} answered 304`;
    case 'access-scan-success':
      return `device answered as vulnerable: ${req} answered 200`;
    case 'access-exploit-failed':
      return `failed exploitation: ${req} answered ${a.status}`;
    case 'access-probe-blocked':
      return `/vpns/ request blocked: ${req} answered 403`;
    case 'access-webshell':
      return `webshell access: ${req} answered ${a.status}`;
  }
}

/** Counters of the access-log family. */
export interface AccessCounters {
  candidates: number;
  unparsed: number;
  attempts: number;
  untrackedLines: number;
}

/** State of the access-log analysis over all rotations of one collection. */
export class AccessAnalysis {
  readonly counters: AccessCounters = { candidates: 0, unparsed: 0, attempts: 0, untrackedLines: 0 };
  /** Latest parseable time seen (fallback reference year for syslog-style logs). */
  maxTime: string | undefined;
  private readonly ips = new Map<string, IpState>();
  private ord = 0;

  constructor(private readonly sink: FindingSink) {}

  /** Line handler for one file (call in oldest-first rotation order). */
  forFile(path: string): LineHandler {
    return { needles: ACCESS_NEEDLES, prefilter: null, line: (text, no) => this.line(path, text, no) };
  }

  private line(path: string, text: string, no: number): void {
    this.counters.candidates++;
    if (!MAYBE.test(text)) return;
    const a = parseAccessLine(text);
    if (!a) {
      this.counters.unparsed++;
      return;
    }
    if (a.time !== undefined && (this.maxTime === undefined || a.time > this.maxTime)) this.maxTime = a.time;
    const c = classifyAccess(a);
    if (c.rule) {
      const f = makeFinding(c.rule, ACCESS_RULES[c.rule], { title: title(c.rule, a), path, line: no, text, time: a.time, source_ip: a.ip });
      this.sink.add(f);
    }
    if (!c.attempt && c.rule !== 'access-webshell') return;
    if (c.attempt) this.counters.attempts++;
    const ev: Ev = {
      time: a.time,
      ord: this.ord++,
      path,
      req: `${a.method} ${excerpt(a.target, 120)}`,
      status: a.status,
      rule: c.rule ?? 'access-vpns-request',
    };
    const st = this.ipState(a.ip ?? '(unknown)');
    if (!st) return;
    if (c.rule === 'access-webshell') {
      if (!st.firstShell || earlier(ev, st.firstShell)) st.firstShell = ev;
      if (!st.lastShell || earlier(st.lastShell, ev)) st.lastShell = ev;
      return;
    }
    st.attempts++;
    if (!st.firstAttempt || earlier(ev, st.firstAttempt)) st.firstAttempt = ev;
    if (!st.lastAttempt || earlier(st.lastAttempt, ev)) st.lastAttempt = ev;
    if (c.rule === 'access-exploit-success' || c.rule === 'access-exploit-notrobin') {
      if (!st.firstSuccess || earlier(ev, st.firstSuccess)) st.firstSuccess = ev;
      if (c.rule === 'access-exploit-success' && st.write && !st.rendered && earlier(st.write, ev))
        st.rendered = { write: st.write, render: ev };
    }
    if (c.rule === 'access-scan-success' && (a.method === 'POST' || a.method === 'PUT') && EXT_PL.test(a.target.split('?')[0])) {
      if (!st.write || earlier(ev, st.write)) st.write = ev;
    }
  }

  private ipState(ip: string): IpState | undefined {
    let st = this.ips.get(ip);
    if (!st) {
      if (this.ips.size >= MAX_TRACKED_IPS) {
        this.counters.untrackedLines++;
        return undefined;
      }
      st = { ip, attempts: 0 };
      this.ips.set(ip, st);
    }
    return st;
  }

  /** Source addresses with a /vpns/ attempt or webshell access (tracked ones). */
  sourceCount(): number {
    return this.ips.size;
  }

  /** Timeline events (unsorted; events without a parseable time are left out). */
  timeline(): TimelineEvent[] {
    const out: TimelineEvent[] = [];
    const push = (e: Ev | undefined, what: string, rule = e?.rule, ip?: string): void => {
      if (e?.time === undefined || rule === undefined) return;
      const ev: TimelineEvent = { time: e.time, what, rule, path: e.path };
      if (ip !== undefined && ip !== '(unknown)') ev.source_ip = ip;
      out.push(ev);
    };
    const all = [...this.ips.values()];
    const major = all.filter((s) => s.firstSuccess || s.firstShell || s.rendered);
    const minor = all
      .filter((s) => !(s.firstSuccess || s.firstShell || s.rendered) && s.firstAttempt)
      .sort((x, y) => {
        const a = x.firstAttempt as Ev;
        const b = y.firstAttempt as Ev;
        return earlier(a, b) ? -1 : earlier(b, a) ? 1 : 0;
      });
    for (const s of [...major, ...minor.slice(0, TIMELINE_ATTEMPT_IPS)]) {
      const fa = s.firstAttempt;
      if (fa) push(fa, `first exploitation attempt from ${s.ip}: ${fa.req} answered ${fa.status}`, fa.rule, s.ip);
      const fs = s.firstSuccess;
      if (fs) push(fs, `first successful exploitation from ${s.ip}: ${fs.req} answered ${fs.status}`, fs.rule, s.ip);
      const r = s.rendered;
      if (r) {
        push(
          r.render,
          `template written (${r.write.req} answered ${r.write.status}) then rendered (${r.render.req} answered ${r.render.status}) by ${s.ip}`,
          'access-exploit-success',
          s.ip,
        );
      }
      const la = s.lastAttempt;
      if (la && fa && la !== fa && la !== fs)
        push(la, `last /vpns/ request from ${s.ip} (${s.attempts} in all): ${la.req} answered ${la.status}`, la.rule, s.ip);
      if (s.firstShell)
        push(
          s.firstShell,
          `first webshell access from ${s.ip}: ${s.firstShell.req} answered ${s.firstShell.status}`,
          'access-webshell',
          s.ip,
        );
      if (s.lastShell && s.lastShell !== s.firstShell)
        push(s.lastShell, `last webshell access from ${s.ip}: ${s.lastShell.req} answered ${s.lastShell.status}`, 'access-webshell', s.ip);
    }
    const rest = minor.slice(TIMELINE_ATTEMPT_IPS);
    if (rest.length && rest[0].firstAttempt) {
      push(
        rest[0].firstAttempt,
        `${rest.length} further source addresses made /vpns/ attempts only (the first of them shown by time)`,
        rest[0].firstAttempt.rule,
      );
    }
    return out;
  }
}
