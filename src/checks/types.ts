/**
 * Contracts of the check engine (src/checks) and the classifier (src/classify).
 * A check is one YAML file (checks/<id>.yaml): requests with matchers and extractors, and the
 * rules that turn them into a product identification, a version, or a CVE classification.
 * The format is documented in docs/check-format.md.
 */

import type { HostSession, ProbeFailure } from '../net/types.js';
import type { CompromiseIndicator, CompromiseState, CveState, EvidenceItem, ReasonCode } from '../scan/record.js';

/** `fingerprint` (product, version), `cve` (one state per CVE), `compromise` (outside-view indicators). */
export type CheckKind = 'fingerprint' | 'cve' | 'compromise';

export interface CheckInfo {
  name: string;
  vendor: string;
  product: string;
  severity: 'info' | 'low' | 'medium' | 'high' | 'critical';
  description?: string;
  references?: string[];
  remediation?: string;
  /** CVE ids a `cve` check decides (usually one). */
  cves?: string[];
}

/** A loaded, validated and compiled check: ready to run many times with no parsing. */
export interface CompiledCheck {
  id: string;
  kind: CheckKind;
  info: CheckInfo;
  /** File it came from (for messages). */
  file: string;
  /** Opaque compiled form owned by the engine. */
  readonly compiled: unknown;
}

/** What running all checks against one host produced. */
export interface HostVerdict {
  /** True when at least one response arrived from the host. */
  answered: boolean;
  /** Set when the host could not be talked to (first request failed, or a fatal failure). */
  failure: { reason: ReasonCode; phase?: ProbeFailure['phase']; detail: string } | null;
  product: string | null;
  product_confidence: 'certain' | 'strong' | 'weak' | 'none';
  version: string | null;
  version_source: string | null;
  build_date: string | null;
  cve: Record<string, CveState>;
  why: Record<string, string>;
  /**
   * Compromise from outside, independent of the CVE states: `true` when any compromise check found
   * an implant; `false` when every compromise check ran and answered clean; else `unknown`.
   */
  compromised: CompromiseState;
  /** Indicators that fired, in check and rule order (empty unless `compromised` is `true`). */
  indicators: CompromiseIndicator[];
  /** Compromise check id → its `why` (only checks that ran: none on hosts that are not the product). */
  compromise_why: Record<string, string>;
  evidence: EvidenceItem[];
}

export interface CheckEngine {
  readonly checks: readonly CompiledCheck[];
  /** Run every check against one host over its session; never throws for host behaviour. */
  runHost(session: HostSession, signal?: AbortSignal): Promise<HostVerdict>;
}
