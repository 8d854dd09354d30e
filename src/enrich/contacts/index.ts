/**
 * Abuse contacts from RDAP (RFC 9082/9083, IANA bootstrap) and RIPEstat's abuse-contact-finder:
 * cached with a TTL, source recorded, rate-limited, never blocking a scan (names helper owns this
 * folder). Public entry points; the work is in resolver.ts (flow, limits, cache), rdap.ts and
 * ripestat.ts (reading answers), http.ts (bounded fetch), bootstrap.ts, ip.ts, config.ts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { type AbuseContactResolverWithStats, createAbuseContacts } from './resolver.js';

export { type BootstrapInfo, bundledBootstrapDir, loadBootstrap, RdapBootstrap } from './bootstrap.js';
export { cleanEmail, readRdapNetwork } from './rdap.js';
export { readRipestat } from './ripestat.js';
export {
  type AbuseContactResolverWithStats,
  AbuseContactSettings,
  type AbuseContactStats,
  RDAP_CACHE_KIND,
  RIPESTAT_CACHE_KIND,
} from './resolver.js';

export interface AbuseContactOptions {
  /** RDAP bootstrap: a file, or a directory holding `ipv4.json`/`ipv6.json` (IANA format; default: `<data dir>/rdap/`, else the bundled copy). */
  bootstrap?: string;
  /** Override: send every RDAP query to this base URL (tests use a local server). */
  rdapBase?: string;
  /** RIPEstat data API base (default https://stat.ripe.net); tests use a local server. */
  ripestatBase?: string;
  /** Which sources to ask, in order (default ['rdap', 'ripestat']). */
  sources?: Array<'rdap' | 'ripestat'>;
  timeoutMs?: number;
  /** Requests per second across all lookups (default 5). */
  ratePerSecond?: number;
  ttlSeconds?: number;
  db?: Kysely<Database>;
  /** Lookups running at once (default 4); the rest queue. */
  concurrency?: number;
  /** TTL of "no abuse contact" answers, seconds (default 86400). */
  negativeTtlSeconds?: number;
  /** How long a failed lookup is remembered in memory, seconds (default 300). */
  errorTtlSeconds?: number;
  /** Largest answer body read, bytes (default 1 MiB). */
  maxBytes?: number;
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
  /** Data directory holding a newer bootstrap under `rdap/` (default: EDGEWATCH_DATA_DIR etc.). */
  dataDir?: string;
}

/**
 * RDAP / RIPEstat abuse-contact lookups. `abuseContact()` never throws (null when none is found or
 * the lookup failed). Throws EW_RDAP_CONFIG for invalid options or an unreadable bootstrap file.
 */
export function createAbuseContactResolver(opts: AbuseContactOptions): AbuseContactResolverWithStats {
  const { db, ...settings } = opts ?? {};
  return createAbuseContacts(settings, db);
}
