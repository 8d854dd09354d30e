/**
 * Collects log findings with de-duplication and per-file caps: one finding per (rule, path,
 * line); at most `cap` findings per rule and file, after which one summary finding (the last
 * matching line, its excerpt prefixed with the number of further matches) stands for the rest.
 * A host scanned to death thus yields tens of findings, not a hundred thousand; the access-log
 * timeline still keeps first/last per source address.
 */
import { type Confidence, type FindingKind, TRIAGE_RULES, type TriageFinding, type TriageRuleId } from '../types.js';
import { EXCERPT_MAX, excerpt } from './text.js';

/** Findings kept per rule and file before the rest is summarised. */
export const FINDINGS_PER_RULE_FILE = 50;

/** Fixed properties of a rule as the log analysers report it. */
export interface RuleMeta {
  kind: FindingKind;
  confidence: Confidence;
  ref: string;
}

interface Bucket {
  kept: number;
  more: number;
  lastMore?: TriageFinding;
}

export class FindingSink {
  readonly findings: TriageFinding[] = [];
  private readonly buckets = new Map<string, Bucket>();
  private readonly seen = new Set<string>();

  constructor(private readonly cap = FINDINGS_PER_RULE_FILE) {}

  /** Adds `f` unless it repeats (rule, path, line) or its rule/file bucket is full; true when kept. */
  add(f: TriageFinding): boolean {
    if (!(f.rule in TRIAGE_RULES)) throw new Error(`unknown triage rule ${f.rule}`);
    const key = `${f.rule}\0${f.path}`;
    const dk = `${key}\0${f.line ?? ''}`;
    if (f.line !== undefined && this.seen.has(dk)) return false;
    let b = this.buckets.get(key);
    if (!b) {
      b = { kept: 0, more: 0 };
      this.buckets.set(key, b);
    }
    if (b.kept >= this.cap) {
      b.more++;
      b.lastMore = f;
      return false;
    }
    b.kept++;
    if (f.line !== undefined) this.seen.add(dk);
    this.findings.push(f);
    return true;
  }

  /** Appends one summary finding for every full bucket; call once at the end. */
  flush(): void {
    for (const b of this.buckets.values()) {
      if (!b.more || !b.lastMore) continue;
      const f = b.lastMore;
      const note = `[+${b.more} more line${b.more === 1 ? '' : 's'} matched this rule in this file; the last one:] `;
      this.findings.push({
        ...f,
        title: `${f.title} (+${b.more} more in this file)`,
        excerpt: cut(note + f.excerpt),
      });
      b.more = 0;
    }
  }

  /** Count of matches per rule including the summarised ones. */
  counts(): Map<TriageRuleId, number> {
    const m = new Map<TriageRuleId, number>();
    for (const [k, b] of this.buckets) {
      const rule = k.slice(0, k.indexOf('\0')) as TriageRuleId;
      m.set(rule, (m.get(rule) ?? 0) + b.kept + b.more);
    }
    return m;
  }
}

function cut(s: string): string {
  return s.length > EXCERPT_MAX ? `${s.slice(0, EXCERPT_MAX - 1)}…` : s;
}

/** A finding for `rule` with its fixed kind/confidence/ref and an escaped excerpt of `line`. */
export function makeFinding(
  rule: TriageRuleId,
  meta: RuleMeta,
  p: {
    title: string;
    path: string;
    line: number;
    text: string;
    time?: string;
    source_ip?: string;
    confidence?: Confidence;
    kind?: FindingKind;
  },
): TriageFinding {
  const f: TriageFinding = {
    rule,
    title: p.title,
    kind: p.kind ?? meta.kind,
    confidence: p.confidence ?? meta.confidence,
    path: p.path,
    line: p.line,
    excerpt: excerpt(p.text),
    ref: meta.ref,
  };
  if (p.time !== undefined) f.time = p.time;
  if (p.source_ip !== undefined) f.source_ip = p.source_ip;
  return f;
}
