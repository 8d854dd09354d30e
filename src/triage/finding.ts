/**
 * Building file-rule findings: the fixed kind, title and DOMAIN reference of each rule, escaped
 * bounded excerpts, and a sink that keeps one finding per (rule, path, line).
 */
import { type Confidence, type FindingKind, TRIAGE_RULES, type TriageFinding, type TriageRuleId } from './types.js';

/** Longest excerpt kept (types.ts: ≤ 300 characters). */
export const EXCERPT_MAX = 300;

/** Escape control, non-ASCII and bidi characters (`\xNN`, `\uNNNN`) and cut to EXCERPT_MAX. */
export function excerptOf(s: string): string {
  let out = '';
  for (let i = 0; i < s.length && out.length < EXCERPT_MAX; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x09) out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c > 0x7e && c < 0x100) out += `\\x${c.toString(16)}`;
    else if (c >= 0x100) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return out.length > EXCERPT_MAX ? `${out.slice(0, EXCERPT_MAX - 1)}…` : out;
}

/** Kind of each file rule (log rules are the log analysers' business). */
export const RULE_KIND: Partial<Record<TriageRuleId, FindingKind>> = {
  'template-payload': 'exploitation',
  'template-blacklisted-content': 'compromise',
  'portal-file-permissions': 'anomaly',
  'perl-script-unexpected': 'compromise',
  'miner-netscalerd': 'compromise',
  'notrobin-file': 'compromise',
  'notrobin-key-webshell': 'compromise',
  'apt41-tool': 'compromise',
  'known-webshell-path': 'compromise',
  'php-in-alias-dir': 'compromise',
  'cron-nobody': 'compromise',
  'cron-log-download': 'compromise',
  'process-nobody': 'compromise',
  'notrobin-udp-18634': 'compromise',
  'outbound-shell': 'compromise',
  'suid-unexpected': 'compromise',
  timestomp: 'anomaly',
  'php-permission': 'compromise',
  'php-content': 'compromise',
  'ioc-2023-file': 'compromise',
};

/** `§4.2#5, §4.6` from the rule's description. */
export function refOf(rule: TriageRuleId): string | undefined {
  const m = /(§[\d.#, §]+)$/.exec(TRIAGE_RULES[rule]);
  return m ? m[1].trim().replace(/,$/, '') : undefined;
}

/** The rule's description without its reference, as the finding's title. */
export function titleOf(rule: TriageRuleId): string {
  return TRIAGE_RULES[rule].replace(/\s*§[\d.#, §]+$/, '');
}

export interface FindingInput {
  confidence: Confidence;
  path: string;
  line?: number;
  excerpt: string;
  time?: string;
  source_ip?: string;
  /** Overrides the rule's default title. */
  title?: string;
}

/** Collects file-rule findings; one per (rule, path, line). */
export class FindingList {
  readonly items: TriageFinding[] = [];
  readonly #seen = new Set<string>();

  add(rule: TriageRuleId, f: FindingInput): void {
    const key = `${rule}\0${f.path}\0${f.line ?? ''}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const out: TriageFinding = {
      rule,
      title: f.title ?? titleOf(rule),
      kind: RULE_KIND[rule] ?? 'compromise',
      confidence: f.confidence,
      path: f.path,
      excerpt: excerptOf(f.excerpt),
    };
    if (f.line !== undefined) out.line = f.line;
    if (f.time !== undefined) out.time = f.time;
    if (f.source_ip !== undefined) out.source_ip = f.source_ip;
    const ref = refOf(rule);
    if (ref) out.ref = ref;
    this.items.push(out);
  }

  /** A finding of `rule` on `path` exists (of at least medium confidence when `strong`). */
  has(rule: TriageRuleId, path: string, strong = false): boolean {
    return this.items.some((f) => f.rule === rule && f.path === path && (!strong || f.confidence !== 'low'));
  }
}
