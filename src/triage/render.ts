/**
 * Human-readable triage report: verdict and host, findings grouped by confidence (path:line and
 * the escaped excerpt), the timeline, then what was not checked and the warnings. All strings
 * from the collection pass through `printable` (no terminal escapes from hostile files).
 */
import { printable, table } from '../report/render.js';
import type { Confidence, TriageReport } from './types.js';

const VERDICT_TEXT: Record<TriageReport['summary']['verdict'], string> = {
  compromised: 'COMPROMISED — indicators of compromise or of successful exploitation (exit 1)',
  attempts_only: 'no indicator of compromise; attempts, scanning or anomalies only (exit 0)',
  clean: 'no finding (exit 0) — absence of evidence in what was collected, not proof of a clean box',
};

export function renderTriage(r: TriageReport): string {
  const out: string[] = [];
  const h = r.host;
  out.push(`Collection: ${printable(r.collection)}`);
  out.push(
    `Host: ${printable(h.hostname ?? '?')}  IP: ${printable(h.ip ?? '?')}  Version: ${printable(h.version ?? '?')}  Collected: ${printable(h.collected_at ?? '?')}`,
  );
  out.push(`Verdict: ${VERDICT_TEXT[r.summary.verdict]}`);
  out.push(`First attempt: ${r.summary.first_attempt ?? '-'}   First success: ${r.summary.first_success ?? '-'}`);
  if (r.summary.source_ips.length > 0) out.push(`Source addresses: ${r.summary.source_ips.map(printable).join(', ')}`);
  out.push('');
  for (const conf of ['high', 'medium', 'low'] as Confidence[]) {
    const fs = r.findings.filter((f) => f.confidence === conf);
    if (fs.length === 0) continue;
    out.push(`Findings — ${conf} confidence (${fs.length})`);
    out.push(
      table(
        ['rule', 'kind', 'where', 'time', 'evidence'],
        fs.map((f) => [f.rule, f.kind, f.line ? `${f.path}:${f.line}` : f.path, f.time ?? '', f.excerpt]),
      ),
    );
    out.push('');
  }
  if (r.findings.length === 0) out.push('Findings: none', '');
  if (r.timeline.length > 0) {
    out.push(`Timeline (${r.timeline.length})`);
    out.push(
      table(
        ['time', 'event', 'source', 'where'],
        r.timeline.map((e) => [e.time, e.what, e.source_ip ?? '', e.path ?? '']),
      ),
    );
    out.push('');
  }
  if (r.not_checked.length > 0) {
    out.push('Not checked (the collection lacked it):');
    for (const n of r.not_checked) out.push(`  - ${printable(n)}`);
    out.push('');
  }
  out.push(`Read ${r.stats.files} file(s), ${r.stats.bytes} byte(s).`);
  if (r.stats.warnings.length > 0) {
    out.push('Warnings:');
    for (const w of r.stats.warnings.slice(0, 100)) out.push(`  - ${printable(w)}`);
    if (r.stats.warnings.length > 100) out.push(`  … and ${r.stats.warnings.length - 100} more (see --json)`);
  }
  return out.join('\n');
}
