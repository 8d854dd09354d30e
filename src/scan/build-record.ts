/**
 * Turns what the engine saw on one host (a HostVerdict) into the one public ScanRecord for that
 * target. Owns the mapping of failures to status: connection-level failures (refused, connect
 * timeout, unreachable, DNS) are `unreachable`; everything after a connection was made is `error`.
 * `compromised` and `indicators` come from the compromise checks (`unknown` and none when none ran).
 */
import type { HostVerdict } from '../checks/types.js';
import type { ReasonCode, RecordStatus, ScanRecord, TlsFacts } from './record.js';

const UNREACHABLE: ReadonlySet<string> = new Set(['refused', 'host_unreachable', 'dns']);

export function statusFor(reason: ReasonCode, phase?: string): RecordStatus {
  if (UNREACHABLE.has(reason)) return 'unreachable';
  if (reason === 'timeout' && phase === 'connect') return 'unreachable';
  return 'error';
}

export interface RecordContext {
  ip: string;
  port: number;
  host: string | null;
  scheme: 'http' | 'https';
  scanId?: string;
  seq?: number;
}

/** A record for a target that was never probed (out of scope, DNS failure, …). */
export function failureRecord(ctx: RecordContext, reason: ReasonCode, detail: string, phase?: string): ScanRecord {
  return {
    ip: ctx.ip,
    port: ctx.port,
    host: ctx.host,
    status: statusFor(reason, phase),
    reason,
    detail,
    scheme: ctx.scheme,
    product: null,
    product_confidence: 'none',
    version: null,
    version_source: null,
    build_date: null,
    cve: {},
    compromised: 'unknown',
    indicators: [],
    tls: null,
    evidence: [],
    scanned_at: new Date().toISOString(),
    scan_id: ctx.scanId,
    seq: ctx.seq,
  };
}

export function verdictRecord(ctx: RecordContext, v: HostVerdict, tls: TlsFacts | null): ScanRecord {
  const failed = v.failure !== null;
  return {
    ip: ctx.ip,
    port: ctx.port,
    host: ctx.host,
    status: failed ? statusFor(v.failure!.reason, v.failure!.phase) : 'ok',
    reason: failed ? v.failure!.reason : null,
    detail: failed ? v.failure!.detail : null,
    scheme: ctx.scheme,
    product: v.product,
    product_confidence: v.product_confidence,
    version: v.version,
    version_source: v.version_source,
    build_date: v.build_date,
    cve: failed ? {} : v.cve,
    why: failed ? undefined : v.why,
    // Compromise is independent of the CVE verdict and of a late failure: an implant seen stays seen.
    compromised: v.compromised,
    indicators: v.indicators,
    ...(Object.keys(v.compromise_why).length > 0 ? { compromise_why: v.compromise_why } : {}),
    tls,
    evidence: v.evidence,
    scanned_at: new Date().toISOString(),
    scan_id: ctx.scanId,
    seq: ctx.seq,
  };
}
