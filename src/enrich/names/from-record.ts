/**
 * Names of a host taken from one scan record, without any network traffic: the target's host name
 * (sent as SNI and Host header), the certificate's subject CN and its DNS SANs. Certificate names are
 * untrusted input (anyone can put anything in a self-signed certificate): each is normalised, junk is
 * dropped, duplicates are removed and the count is bounded.
 */
import type { ScanRecord } from '../../scan/record.js';
import type { HostName } from '../types.js';
import { normaliseHostName } from './normalise.js';

/** Most names kept per record (CDN certificates carry hundreds of SANs; the first ones suffice). */
export const MAX_NAMES_PER_RECORD = 64;
/** Most SAN entries even looked at (a hostile certificate may carry tens of thousands). */
const MAX_SANS_SCANNED = 1000;

function push(out: HostName[], raw: unknown, source: HostName['source']): void {
  const n = normaliseHostName(raw);
  if (!n) return;
  // Linear duplicate check: a record has a handful of names, and at most MAX_NAMES_PER_RECORD.
  for (let i = 0; i < out.length; i++) {
    const h = out[i] as HostName;
    if (h.name === n.name && (h.wildcard === true) === n.wildcard) return;
  }
  out.push(n.wildcard ? { name: n.name, source, wildcard: true } : { name: n.name, source });
}

/** Names of a host from one scan record (target name, certificate CN, SANs), in that order. Pure. */
export function namesFromRecord(record: Pick<ScanRecord, 'host' | 'tls'>, max = MAX_NAMES_PER_RECORD): HostName[] {
  const out: HostName[] = [];
  if (max <= 0) return out;
  push(out, record.host, 'target');
  const tls = record.tls;
  if (tls) {
    if (out.length < max) push(out, tls.subject_cn, 'cert_cn');
    const sans = Array.isArray(tls.sans) ? tls.sans : [];
    const limit = Math.min(sans.length, MAX_SANS_SCANNED);
    for (let i = 0; i < limit && out.length < max; i++) push(out, sans[i], 'cert_san');
  }
  return out;
}
