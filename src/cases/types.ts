/**
 * Cases: one per owner (an organisation, or for unmatched hosts a network + abuse contact), with a
 * ticket number, the hosts that carry findings, a state and a full history.
 *
 * Life cycle: open → notified → acknowledged → resolved (every host fixed on a rescan), or →
 * escalated (still open N days after notification), or → contact_needed (mail bounced). Hosts that
 * were not re-observed or were unreachable never count as fixed.
 */
export const CASE_STATES = ['open', 'notified', 'acknowledged', 'escalated', 'contact_needed', 'resolved'] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** The worst open situation of a case, ranked: what the next message must say. */
export type Worst = 'mitigated' | 'vulnerable' | 'compromised' | 'patched_compromised';
export const WORST_RANK: Record<Worst, number> = { mitigated: 1, vulnerable: 2, compromised: 3, patched_compromised: 3 };

export interface HostDetail {
  product: string | null;
  version: string | null;
  /** CVE → classification, only the CVEs worth acting on (vulnerable / mitigated) plus patched ones of a compromised host. */
  cve: Record<string, string>;
  compromised: boolean;
  /** Short names of indicators seen from outside. */
  indicators: string[];
  scanned_at: string;
  /** Short evidence lines (request → status) for the CSV attachment. */
  evidence: string[];
}

export interface CaseHost {
  ip: string;
  port: number;
  host: string;
  state: 'open' | 'fixed';
  first_scan: string;
  last_seen_scan: string;
  fixed_scan: string | null;
  detail: HostDetail;
}

export interface Case {
  id: string;
  owner: string;
  org_key: string | null;
  grp: string | null;
  state: CaseState;
  worst: Worst | null;
  opened_at: string;
  updated_at: string;
  last_scan: string | null;
  notified_at: string | null;
  notified_rank: number | null;
  resolved_at: string | null;
}

export interface CaseEvent {
  id: number;
  case_id: string;
  at: string;
  kind: string;
  actor: string;
  detail: Record<string, unknown>;
}
