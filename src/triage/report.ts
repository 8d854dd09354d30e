/**
 * Report assembly: file findings and the log analysis merged into one TriageReport — findings
 * ordered by confidence then time, one timeline, the summary (first attempt, first success,
 * source addresses, verdict) and what could not be checked.
 *
 * Verdict (types.ts): `compromised` when any high or medium finding of kind `exploitation` or
 * `compromise`; otherwise `attempts_only` when there is any finding at all (failed or blocked
 * attempts, successful scanning — the device answered as vulnerable, which is not proof of
 * compromise — and anomalies such as timestomping or mode 644 on their own); `clean` when none.
 */
import type { Confidence, FindingKind, LogAnalysis, TimelineEvent, TriageFinding, TriageReport } from './types.js';

const CONF_ORDER: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };
const COMPROMISE_KINDS: ReadonlySet<FindingKind> = new Set(['exploitation', 'compromise']);
const ATTEMPT_KINDS: ReadonlySet<FindingKind> = new Set(['attempt', 'exploitation', 'scanning']);
/** Timeline events kept (earliest first); the rest are counted in a warning. */
export const TIMELINE_MAX = 2_000;

function cmp(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

/** Numeric order for IPv4, text order otherwise. */
function ipKey(ip: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  return m
    ? `0${m
        .slice(1)
        .map((x) => x.padStart(3, '0'))
        .join('.')}`
    : `1${ip}`;
}

export function sortFindings(f: TriageFinding[]): TriageFinding[] {
  return f.sort(
    (a, b) =>
      CONF_ORDER[a.confidence] - CONF_ORDER[b.confidence] ||
      cmp(a.time, b.time) ||
      cmp(a.rule, b.rule) ||
      cmp(a.path, b.path) ||
      (a.line ?? 0) - (b.line ?? 0),
  );
}

export function verdictOf(findings: readonly TriageFinding[]): TriageReport['summary']['verdict'] {
  if (findings.some((f) => f.confidence !== 'low' && COMPROMISE_KINDS.has(f.kind))) return 'compromised';
  return findings.length > 0 ? 'attempts_only' : 'clean';
}

function eventOf(f: TriageFinding): TimelineEvent | null {
  if (!f.time) return null;
  const what =
    f.kind === 'exploitation'
      ? `exploitation: ${f.title}`
      : f.kind === 'compromise'
        ? `left behind / ran: ${f.title}`
        : `${f.kind}: ${f.title}`;
  const e: TimelineEvent = { time: f.time, what, rule: f.rule, path: f.line ? `${f.path}:${f.line}` : f.path };
  if (f.source_ip) e.source_ip = f.source_ip;
  return e;
}

export interface AssembleInput {
  collection: string;
  host: TriageReport['host'];
  fileFindings: TriageFinding[];
  logs: LogAnalysis | null;
  notChecked: string[];
  files: number;
  bytes: number;
  warnings: string[];
}

export function assembleReport(i: AssembleInput): TriageReport {
  const findings = sortFindings([...i.fileFindings, ...(i.logs?.findings ?? [])]);
  const warnings = [...new Set(i.warnings)];
  let timeline: TimelineEvent[] = [...(i.logs?.timeline ?? [])];
  for (const f of i.fileFindings) {
    const e = eventOf(f);
    if (e) timeline.push(e);
  }
  timeline.sort((a, b) => cmp(a.time, b.time) || cmp(a.rule, b.rule) || cmp(a.path, b.path));
  if (timeline.length > TIMELINE_MAX) {
    warnings.push(`timeline: ${timeline.length - TIMELINE_MAX} later event(s) left out (kept the first ${TIMELINE_MAX})`);
    timeline = timeline.slice(0, TIMELINE_MAX);
  }
  let firstAttempt: string | null = null;
  let firstSuccess: string | null = null;
  const ips = new Set<string>();
  for (const f of findings) {
    if (f.source_ip) ips.add(f.source_ip);
    if (!f.time) continue;
    if (ATTEMPT_KINDS.has(f.kind) && (firstAttempt === null || f.time < firstAttempt)) firstAttempt = f.time;
    if (f.kind === 'exploitation' && f.confidence !== 'low' && (firstSuccess === null || f.time < firstSuccess)) firstSuccess = f.time;
  }
  for (const e of i.logs?.timeline ?? []) if (e.source_ip) ips.add(e.source_ip);
  const notChecked = [...i.notChecked, ...(i.logs?.notChecked ?? [])];
  const skipped = warnings.filter((w) => w.startsWith('skipped ')).length;
  if (skipped > 0)
    notChecked.push(
      `${skipped} collection entr${skipped === 1 ? 'y was' : 'ies were'} skipped (unsafe or over a size cap): see stats.warnings`,
    );
  return {
    collection: i.collection,
    host: i.host,
    findings,
    timeline,
    summary: {
      first_attempt: firstAttempt,
      first_success: firstSuccess,
      source_ips: [...ips].sort((a, b) => cmp(ipKey(a), ipKey(b))),
      verdict: verdictOf(findings),
    },
    not_checked: [...new Set(notChecked)],
    stats: { files: i.files, bytes: i.bytes, warnings },
  };
}
