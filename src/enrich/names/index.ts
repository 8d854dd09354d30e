/**
 * Host names: TLS certificate subject/SANs (wildcards noted), SNI/target names, reverse DNS with a
 * timeout, a cache and a configurable resolver (names helper owns this folder). Public entry points;
 * the work is done in from-record.ts (pure), normalise.ts and rdns.ts.
 */
import type { Kysely } from 'kysely';
import type { ScanRecord } from '../../scan/record.js';
import type { Database } from '../../store/schema.js';
import type { HostName } from '../types.js';
import { namesFromRecord as fromRecord } from './from-record.js';
import { normaliseHostName } from './normalise.js';
import { createReverseDns, type ReverseDnsResolverWithStats } from './rdns.js';

export { MAX_NAMES_PER_RECORD } from './from-record.js';
export { normaliseHostName } from './normalise.js';
export { ptrName } from './ptr-name.js';
export { RDNS_CACHE_KIND, type ReverseDnsResolverWithStats, ReverseDnsSettings, type ReverseDnsStats } from './rdns.js';

/** Names of a host from one scan record (certificate CN/SANs, the target's host name). Pure. */
export function namesFromRecord(record: ScanRecord): HostName[] {
  return fromRecord(record);
}

/**
 * `names` plus the reverse-DNS name (source `ptr`) when there is one and it is not already listed
 * (as a non-wildcard name). Returns a new array; the PTR name is normalised like any other.
 */
export function withPtr(names: readonly HostName[], ptr: string | null | undefined): HostName[] {
  const out = [...names];
  const n = normaliseHostName(ptr);
  if (n && !n.wildcard && !out.some((h) => h.name === n.name && !h.wildcard)) out.push({ name: n.name, source: 'ptr' });
  return out;
}

export interface ReverseDnsOptions {
  /** DNS servers as `ip` or `ip:port` (default: the system's). */
  servers?: string[];
  /** Per-lookup timeout, ms (default 2000). */
  timeoutMs?: number;
  /** Concurrent lookups (default 32). */
  concurrency?: number;
  /** Cache TTL, seconds (default 86400); cached in the store's lookup_cache when `db` is given. */
  ttlSeconds?: number;
  db?: Kysely<Database>;
  /** Attempts per server inside the timeout (c-ares `tries`, default 2). */
  tries?: number;
  /** TTL of "no PTR record" answers, seconds (default 3600). */
  negativeTtlSeconds?: number;
  /** How long a failed lookup (timeout, SERVFAIL) is remembered in memory, seconds (default 60). */
  errorTtlSeconds?: number;
}

/**
 * PTR lookups with timeout, bounded concurrency and cache. `reverse()` never throws: a failed
 * lookup is null. Throws EW_RDNS_CONFIG for invalid options.
 */
export function createReverseDnsResolver(opts: ReverseDnsOptions): ReverseDnsResolverWithStats {
  const { db, ...settings } = opts ?? {};
  return createReverseDns(settings, db);
}
