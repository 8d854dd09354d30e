/**
 * The abuse-contact resolver: RDAP first (IANA bootstrap → the RIR's `/ip/<addr>`, redirects
 * followed, the abuse entity's e-mail), RIPEstat's abuse-contact-finder second.
 *
 * Bounds: one lookup never takes longer than `timeoutMs` once it runs (rate-limit waits included:
 * a slot that would come too late is not taken); at most `concurrency` lookups run at once, the
 * rest queue; requests across all lookups are spaced to `ratePerSecond`; a registry that answers
 * 429/503 is left alone for its Retry-After (≤ 5 min). Answers are cached per covering network
 * (RDAP) or per address (RIPEstat), in memory and in the store's `lookup_cache` (kinds `rdap`,
 * `ripestat`) with the source URL; "no abuse contact" is cached for the shorter negative TTL;
 * failures (timeouts, 5xx, malformed or huge answers) only in memory for `errorTtlSeconds`.
 * When EDGEWATCH_SCOPE is loopback-only (lab, tests, CI), requests to anything but loopback are
 * refused before connecting (names/net-guard.ts). Never throws from `abuseContact()`.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EdgewatchError } from '../../errors.js';
import { cacheFloor, cacheGet, cachePurge, cachePut } from '../../store/lookup-cache.js';
import type { Database } from '../../store/schema.js';
import type { AbuseContact, AbuseContactResolver } from '../types.js';
import { RateLimiter, Semaphore, TtlMap } from '../names/limit.js';
import { loopbackOnlyMode, urlAllowed } from '../names/net-guard.js';
import { loadBootstrap, type RdapBootstrap } from './bootstrap.js';
import { fetchJson, type FetchOutcome } from './http.js';
import { type Addr, contains, floorBounds, formatAddr, parseAddr, parseRangeKey, prefixRange, type Range, rangeKey, unmapped } from './ip.js';
import { RangeCache } from './range-cache.js';
import { readRdapEntity, readRdapNetwork } from './rdap.js';
import { readRipestat, ripestatUrl } from './ripestat.js';

export const RDAP_CACHE_KIND = 'rdap';
export const RIPESTAT_CACHE_KIND = 'ripestat';

const HttpUrl = z
  .string()
  .max(2000)
  .refine(
    (s) => {
      try {
        const p = new URL(s).protocol;
        return p === 'http:' || p === 'https:';
      } catch {
        return false;
      }
    },
    { message: 'not an http(s) URL' },
  );

/** Validated resolver settings (the store handle is passed separately). */
export const AbuseContactSettings = z
  .object({
    bootstrap: z.string().min(1).max(4096).optional(),
    rdapBase: HttpUrl.optional(),
    ripestatBase: HttpUrl.default('https://stat.ripe.net'),
    sources: z.array(z.enum(['rdap', 'ripestat'])).min(1).max(2).default(['rdap', 'ripestat']),
    timeoutMs: z.number().int().min(50).max(120_000).default(5000),
    ratePerSecond: z.number().min(0).max(1000).default(5),
    concurrency: z.number().int().min(1).max(256).default(4),
    ttlSeconds: z.number().int().min(0).max(90 * 86400).default(7 * 86400),
    negativeTtlSeconds: z.number().int().min(0).max(90 * 86400).default(86400),
    errorTtlSeconds: z.number().int().min(0).max(86400).default(300),
    maxBytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
    maxRedirects: z.number().int().min(0).max(10).default(5),
    userAgent: z.string().min(1).max(200).default('edgewatch/0.1 (abuse-contact lookup; RFC 9082)'),
    /** Data directory for the default bootstrap (`<data_dir>/rdap/`). */
    dataDir: z.string().min(1).optional(),
  })
  .strict();
export type AbuseContactSettings = z.infer<typeof AbuseContactSettings>;

export interface AbuseContactStats {
  lookups: number;
  memoryHits: number;
  storeHits: number;
  requests: number;
  found: number;
  none: number;
  failed: number;
  /** Failures by reason (timeout, status, too_large, bad_json, redirect_loop, rate_limited, …). */
  reasons: Record<string, number>;
}

export interface AbuseContactResolverWithStats extends AbuseContactResolver {
  stats(): AbuseContactStats;
}

/** Cached RDAP answer for one network. */
interface RdapCached {
  email: string | null;
  handle: string | null;
  name: string | null;
  network: string | null;
  via: string | null;
  url: string;
  fetched_at: string;
}

/** Cached RIPEstat answer for one address. */
interface RipestatCached {
  email: string | null;
  rir: string | null;
  url: string;
  fetched_at: string;
}

type SourceResult = { kind: 'found'; contact: AbuseContact } | { kind: 'none' } | { kind: 'failed' };

/** Largest networks cached as a whole (bigger "networks" are cached per address). */
const MAX_RANGE_BITS: Record<4 | 6, number> = { 4: 24, 6: 112 };
const MAX_BACKOFF_MS = 5 * 60_000;
const DEFAULT_BACKOFF_MS = 30_000;

export function createAbuseContacts(input: unknown, db?: Kysely<Database>): AbuseContactResolverWithStats {
  const parsed = AbuseContactSettings.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EdgewatchError('EW_RDAP_CONFIG', `abuse-contact option ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const o = parsed.data;
  const bootstrap: RdapBootstrap | null =
    o.sources.includes('rdap') && !o.rdapBase ? loadBootstrap(o.bootstrap, o.dataDir ? { data_dir: o.dataDir } : undefined) : null;
  // Expired rows of these kinds are dropped once per resolver (the table would otherwise only grow).
  if (db) {
    cachePurge(db, RDAP_CACHE_KIND).catch(() => undefined);
    cachePurge(db, RIPESTAT_CACHE_KIND).catch(() => undefined);
  }
  const loopbackOnly = loopbackOnlyMode();
  const allow = (u: string) => urlAllowed(u, loopbackOnly);
  const sem = new Semaphore(o.concurrency);
  const rate = new RateLimiter(o.ratePerSecond);
  const abort = new AbortController();
  const ranges = new RangeCache<RdapCached>(50_000);
  const memo = new TtlMap<AbuseContact | null>(100_000);
  const inflight = new Map<string, Promise<AbuseContact | null>>();
  const backoff = new Map<string, number>();
  const stats: AbuseContactStats = { lookups: 0, memoryHits: 0, storeHits: 0, requests: 0, found: 0, none: 0, failed: 0, reasons: {} };
  let closed = false;

  function fail(reason: string): SourceResult {
    stats.reasons[reason] = (stats.reasons[reason] ?? 0) + 1;
    return { kind: 'failed' };
  }

  /** One rate-limited, backoff-aware GET. */
  async function get(url: string, deadline: number): Promise<FetchOutcome | 'skipped'> {
    let host: string;
    try {
      host = new URL(url).host;
    } catch {
      return 'skipped';
    }
    if (!allow(url)) {
      stats.reasons.refused = (stats.reasons.refused ?? 0) + 1;
      return 'skipped';
    }
    const until = backoff.get(host) ?? 0;
    if (until > Date.now()) {
      stats.reasons.backoff = (stats.reasons.backoff ?? 0) + 1;
      return 'skipped';
    }
    if (!(await rate.take(deadline - 50))) {
      stats.reasons.rate_wait = (stats.reasons.rate_wait ?? 0) + 1;
      return 'skipped';
    }
    if (closed) return 'skipped';
    stats.requests++;
    const out = await fetchJson(url, { deadline, maxBytes: o.maxBytes, maxRedirects: o.maxRedirects, userAgent: o.userAgent, signal: abort.signal, allow });
    if (!out.ok && out.reason === 'rate_limited') {
      const wait = Math.min(MAX_BACKOFF_MS, out.retryAfterMs ?? DEFAULT_BACKOFF_MS);
      // The server that said so (after redirects) is the one to leave alone.
      backoff.set(new URL(out.url).host, Date.now() + wait);
    }
    return out;
  }

  function contactFromRdap(c: RdapCached): AbuseContact | null {
    return c.email ? { email: c.email, source: 'rdap', ref: c.url, fetched_at: c.fetched_at } : null;
  }

  async function rdapCached(a: Addr): Promise<RdapCached | undefined> {
    const mem = ranges.find(a);
    if (mem) {
      stats.memoryHits++;
      return mem.value;
    }
    if (!db) return undefined;
    try {
      const { low, high } = floorBounds(a);
      const rows = await cacheFloor<RdapCached>(db, RDAP_CACHE_KIND, low, high, 32);
      let best: { r: Range; v: RdapCached; exp: number } | undefined;
      for (const row of rows) {
        const r = parseRangeKey(row.key);
        if (!r || !contains(r, a)) continue;
        if (!best || r.end - r.start < best.r.end - best.r.start) best = { r, v: row.value, exp: Date.parse(row.expires_at) };
      }
      if (best) {
        stats.storeHits++;
        ranges.add(best.r, best.v, best.exp - Date.now());
        return best.v;
      }
    } catch {
      // An unreadable cache only costs a fresh lookup.
    }
    return undefined;
  }

  async function rememberRdap(r: Range, v: RdapCached): Promise<void> {
    const ttl = v.email ? o.ttlSeconds : o.negativeTtlSeconds;
    ranges.add(r, v, ttl * 1000);
    if (db && ttl > 0) {
      try {
        await cachePut(db, RDAP_CACHE_KIND, rangeKey(r), v, { source: v.url, ttlSeconds: ttl });
      } catch {
        // see above
      }
    }
  }

  async function viaRdap(ip: string, a: Addr, deadline: number): Promise<SourceResult> {
    const hit = await rdapCached(a);
    if (hit) {
      const c = contactFromRdap(hit);
      return c ? { kind: 'found', contact: c } : { kind: 'none' };
    }
    const base = o.rdapBase ? (o.rdapBase.endsWith('/') ? o.rdapBase : `${o.rdapBase}/`) : bootstrap?.baseFor(a);
    if (!base) return { kind: 'none' };
    // `ip` is the canonical literal (digits, hex, `.` and `:` only), sent as RFC 9082 writes it.
    const url = `${base}ip/${ip}`;
    const out = await get(url, deadline);
    if (out === 'skipped') return fail('skipped');
    const fetched_at = new Date().toISOString();
    if (!out.ok) {
      if (out.reason === 'not_found') {
        // The registry has no network for the address: a definite "none" for this address.
        await rememberRdap(prefixRange(a.fam, a.value, a.fam === 4 ? 32 : 128), {
          email: null, handle: null, name: null, network: null, via: null, url: out.url, fetched_at,
        });
        return { kind: 'none' };
      }
      return fail(out.reason);
    }
    const facts = readRdapNetwork(out.json, ip);
    if (facts.range === null && facts.handle === null && facts.email === null) return fail('bad_rdap');
    let email = facts.email;
    let via = facts.via;
    for (const link of facts.entityLinks) {
      if (email) break;
      const ent = await get(link, deadline);
      if (ent !== 'skipped' && ent.ok) {
        email = readRdapEntity(ent.json);
        if (email) via = `link:${link}`;
      }
    }
    const v: RdapCached = { email, handle: facts.handle, name: facts.name, network: facts.network, via, url: out.url, fetched_at };
    // Cache for the whole network only when the answer states one that holds the address and is not absurdly large.
    const r = facts.range && (facts.range.end - facts.range.start + 1n).toString(2).length - 1 <= MAX_RANGE_BITS[a.fam]
      ? facts.range
      : prefixRange(a.fam, a.value, a.fam === 4 ? 32 : 128);
    await rememberRdap(r, v);
    const c = contactFromRdap(v);
    return c ? { kind: 'found', contact: c } : { kind: 'none' };
  }

  async function viaRipestat(ip: string, key: string, deadline: number): Promise<SourceResult> {
    if (db) {
      try {
        const hit = await cacheGet<RipestatCached>(db, RIPESTAT_CACHE_KIND, key);
        if (hit) {
          stats.storeHits++;
          const v = hit.value;
          return v.email ? { kind: 'found', contact: { email: v.email, source: 'ripestat', ref: v.url, fetched_at: v.fetched_at } } : { kind: 'none' };
        }
      } catch {
        // see above
      }
    }
    const out = await get(ripestatUrl(o.ripestatBase, ip), deadline);
    if (out === 'skipped') return fail('skipped');
    if (!out.ok) return fail(out.reason);
    const facts = readRipestat(out.json);
    if (!facts.valid) return fail('bad_ripestat');
    const v: RipestatCached = { email: facts.email, rir: facts.rir, url: out.url, fetched_at: new Date().toISOString() };
    const ttl = v.email ? o.ttlSeconds : o.negativeTtlSeconds;
    if (db && ttl > 0) {
      try {
        await cachePut(db, RIPESTAT_CACHE_KIND, key, v, { source: out.url, ttlSeconds: ttl });
      } catch {
        // see above
      }
    }
    return v.email ? { kind: 'found', contact: { email: v.email, source: 'ripestat', ref: v.url, fetched_at: v.fetched_at } } : { kind: 'none' };
  }

  async function lookup(ip: string, a: Addr, key: string): Promise<AbuseContact | null> {
    const release = await sem.acquire();
    if (!release) return null;
    try {
      if (closed) return null;
      const deadline = Date.now() + o.timeoutMs;
      let failed = false;
      for (const source of o.sources) {
        if (Date.now() >= deadline) {
          failed = true;
          break;
        }
        const r = source === 'rdap' ? await viaRdap(ip, a, deadline) : await viaRipestat(ip, key, deadline);
        if (r.kind === 'found') {
          stats.found++;
          memo.set(key, r.contact, o.ttlSeconds * 1000);
          return r.contact;
        }
        if (r.kind === 'failed') failed = true;
      }
      if (failed) {
        stats.failed++;
        memo.set(key, null, o.errorTtlSeconds * 1000);
      } else {
        stats.none++;
        memo.set(key, null, o.negativeTtlSeconds * 1000);
      }
      return null;
    } finally {
      release();
    }
  }

  return {
    async abuseContact(ip: string): Promise<AbuseContact | null> {
      stats.lookups++;
      if (closed) return null;
      const parsedAddr = parseAddr(ip);
      if (!parsedAddr) return null;
      // ::ffff:a.b.c.d is asked as a.b.c.d (that is what the registries hold).
      const a = unmapped(parsedAddr);
      const key = formatAddr(a.fam, a.value);
      const m = memo.get(key);
      if (m) {
        stats.memoryHits++;
        return m.value;
      }
      const running = inflight.get(key);
      if (running) return running;
      const p = lookup(key, a, key)
        .catch(() => null)
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
    stats: () => ({ ...stats, reasons: { ...stats.reasons } }),
    close(): void {
      closed = true;
      abort.abort();
      sem.close();
      rate.close();
      memo.clear();
      ranges.clear();
    },
  };
}
