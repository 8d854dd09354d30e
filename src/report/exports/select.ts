/**
 * Which events one host gives in an export: one per CVE whose classification is selected (default
 * `vulnerable`), and one for the host's compromise when `compromised` is selected and the host is
 * flagged. The store-side filter (ReportFilter) already chose the hosts; this picks the events.
 */
import type { HostRow } from '../../store/report-types.js';

export const DEFAULT_EXPORT_STATES = ['vulnerable', 'compromised'] as const;

export interface Selection {
  cves: readonly string[] | undefined;
  states: readonly string[];
}

export interface HostEvents {
  /** [cve, classification] pairs to emit, sorted by CVE. */
  findings: Array<[string, string]>;
  compromised: boolean;
}

export function eventsOf(r: HostRow, sel: Selection): HostEvents {
  const cves = sel.cves && sel.cves.length > 0 ? new Set(sel.cves) : null;
  const findings = Object.entries(r.cve)
    .filter(([c, s]) => (cves === null || cves.has(c)) && sel.states.includes(s))
    .sort((a, b) => a[0].localeCompare(b[0]));
  return { findings, compromised: sel.states.includes('compromised') && r.compromised === 'true' };
}

/** Check ids of the indicators that fired (from the stored record, when read). */
export function indicatorChecks(r: HostRow): string[] {
  const ind = r.record?.indicators;
  if (!Array.isArray(ind)) return [];
  return [...new Set(ind.map((i) => (i && typeof i === 'object' && typeof (i as { check?: unknown }).check === 'string' ? (i as { check: string }).check : '')).filter(Boolean))];
}
