/**
 * Reverse DNS (PTR) with a hard time bound, bounded concurrency and two cache levels.
 *
 * Strategy: one `dns.promises.Resolver` (c-ares) asked `resolvePtr(<reverse name>)` with the configured servers and its own
 * `timeout`/`tries`, raced against our own per-lookup deadline, so a server that never answers, a
 * malformed or truncated answer, or a slow resolver can never hold a caller longer than `timeoutMs`
 * (plus the time it waited for a concurrency slot). Answers are normalised like any untrusted name.
 * Cache: in memory (bounded) and, when a store is given, `lookup_cache` kind `rdns` keyed by address.
 * A name is cached for `ttlSeconds`; "no name" (NXDOMAIN / no PTR) for the shorter
 * `negativeTtlSeconds`; failures (timeout, SERVFAIL, refused, bad answer) only in memory for
 * `errorTtlSeconds`. Never throws for a lookup: every failure is null. When EDGEWATCH_SCOPE is
 * loopback-only (lab, tests, CI) only explicit loopback servers are accepted (names/net-guard.ts).
 */
import { promises as dnsPromises } from 'node:dns';
import { isIP } from 'node:net';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EdgewatchError } from '../../errors.js';
import { cacheGet, cachePurge, cachePut } from '../../store/lookup-cache.js';
import { formatAddr, parseAddr, unmapped } from '../contacts/ip.js';
import type { Database } from '../../store/schema.js';
import type { ReverseDnsResolver } from '../types.js';
import { Semaphore, TtlMap, withDeadline } from './limit.js';
import { isLoopbackHost, loopbackOnlyMode } from './net-guard.js';
import { normaliseHostName } from './normalise.js';
import { ptrName } from './ptr-name.js';
import { parseDnsServer } from './servers.js';

export const RDNS_CACHE_KIND = 'rdns';

const DnsServer = z.string().refine((s) => parseDnsServer(s) !== null, { message: 'not an IP address with an optional :port' });

/** Validated options of the reverse DNS resolver (the store handle is passed separately). */
export const ReverseDnsSettings = z
  .object({
    servers: z.array(DnsServer).max(16).optional(),
    timeoutMs: z.number().int().min(10).max(60_000).default(2000),
    tries: z.number().int().min(1).max(5).default(2),
    concurrency: z.number().int().min(1).max(1024).default(32),
    ttlSeconds: z.number().int().min(0).max(30 * 86400).default(86400),
    negativeTtlSeconds: z.number().int().min(0).max(30 * 86400).default(3600),
    errorTtlSeconds: z.number().int().min(0).max(86400).default(60),
    memoryEntries: z.number().int().min(0).max(10_000_000).default(100_000),
  })
  .strict();
export type ReverseDnsSettings = z.infer<typeof ReverseDnsSettings>;

/** What happened to lookups so far (for tests, `--verbose` and the benchmark). */
export interface ReverseDnsStats {
  lookups: number;
  memoryHits: number;
  storeHits: number;
  queries: number;
  answered: number;
  nxdomain: number;
  failed: number;
  timedOut: number;
}

export interface ReverseDnsResolverWithStats extends ReverseDnsResolver {
  stats(): ReverseDnsStats;
}

type Outcome = { kind: 'name'; name: string; server: string } | { kind: 'none'; server: string } | { kind: 'error'; code: string };

const NEGATIVE_CODES = new Set(['ENOTFOUND', 'ENODATA']);
const TIMEOUT = Symbol('timeout');

/** Canonical cache key of an address (IPv6 compressed, lower case; IPv4-mapped IPv6 as IPv4). */
export function addressKey(ip: string): string | null {
  const a = parseAddr(ip);
  if (!a) return null;
  const u = unmapped(a);
  return formatAddr(u.fam, u.value);
}

export function createReverseDns(input: unknown, db?: Kysely<Database>): ReverseDnsResolverWithStats {
  const parsed = ReverseDnsSettings.safeParse(input ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EdgewatchError('EW_RDNS_CONFIG', `reverse DNS option ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const o = parsed.data;
  if (loopbackOnlyMode()) {
    const hosts = (o.servers ?? []).map((s) => {
      const c = parseDnsServer(s) as string;
      return c.startsWith('[') ? c.slice(1, c.indexOf(']')) : isIP(c) ? c : c.slice(0, c.lastIndexOf(':'));
    });
    if (hosts.length === 0 || !hosts.every(isLoopbackHost)) {
      throw new EdgewatchError(
        'EW_RDNS_CONFIG',
        'EDGEWATCH_SCOPE is loopback-only (lab/test): reverse DNS needs explicit DNS servers on 127.0.0.0/8 or ::1 (--dns-server)',
      );
    }
  }
  const resolver = new dnsPromises.Resolver({ timeout: Math.max(10, Math.ceil(o.timeoutMs / o.tries)), tries: o.tries });
  if (o.servers && o.servers.length > 0) resolver.setServers(o.servers.map((s) => parseDnsServer(s) as string));
  const serverLabel = (o.servers ?? resolver.getServers()).join(',') || 'system';
  // Expired rows of this kind are dropped once per resolver (the table would otherwise only grow).
  if (db) cachePurge(db, RDNS_CACHE_KIND).catch(() => undefined);
  const sem = new Semaphore(o.concurrency);
  const memory = new TtlMap<string | null>(o.memoryEntries);
  const inflight = new Map<string, Promise<string | null>>();
  const stats: ReverseDnsStats = { lookups: 0, memoryHits: 0, storeHits: 0, queries: 0, answered: 0, nxdomain: 0, failed: 0, timedOut: 0 };
  let closed = false;

  async function query(ip: string): Promise<Outcome> {
    const qname = ptrName(ip);
    if (!qname) return { kind: 'error', code: 'EBADADDR' };
    stats.queries++;
    // resolvePtr (ares_query) rather than reverse (getHostByAddr): the latter reports every failure
    // as ENOTFOUND, and SERVFAIL must not be cached like NXDOMAIN.
    const q = resolver.resolvePtr(qname).then(
      (names): Outcome => {
        for (const n of Array.isArray(names) ? names.slice(0, 16) : []) {
          const norm = normaliseHostName(n);
          if (norm && !norm.wildcard) return { kind: 'name', name: norm.name, server: serverLabel };
        }
        return { kind: 'none', server: serverLabel };
      },
      (e: unknown): Outcome => {
        const code = String((e as { code?: unknown })?.code ?? 'EUNKNOWN');
        return NEGATIVE_CODES.has(code) ? { kind: 'none', server: serverLabel } : { kind: 'error', code };
      },
    );
    const r = await withDeadline(q, o.timeoutMs, TIMEOUT);
    return r === TIMEOUT ? { kind: 'error', code: 'ETIMEOUT' } : r;
  }

  async function remember(key: string, out: Outcome): Promise<void> {
    if (out.kind === 'error') {
      memory.set(key, null, o.errorTtlSeconds * 1000);
      return;
    }
    const value = out.kind === 'name' ? out.name : null;
    const ttl = out.kind === 'name' ? o.ttlSeconds : o.negativeTtlSeconds;
    memory.set(key, value, ttl * 1000);
    if (db && ttl > 0) {
      try {
        await cachePut(db, RDNS_CACHE_KIND, key, { name: value }, { source: `dns:${out.server}`, ttlSeconds: ttl });
      } catch {
        // A cache that cannot be written costs a repeat lookup later, nothing more.
      }
    }
  }

  async function lookup(key: string): Promise<string | null> {
    const release = await sem.acquire();
    if (!release) return null;
    try {
      if (closed) return null;
      if (db) {
        try {
          const hit = await cacheGet<{ name?: unknown }>(db, RDNS_CACHE_KIND, key);
          if (hit) {
            stats.storeHits++;
            const norm = hit.value && typeof hit.value === 'object' ? normaliseHostName(hit.value.name) : null;
            const name = norm ? norm.name : null;
            memory.set(key, name, Math.max(0, Date.parse(hit.expires_at) - Date.now()));
            return name;
          }
        } catch {
          // Unreadable cache: ask the server.
        }
      }
      const out = await query(key);
      if (out.kind === 'name') stats.answered++;
      else if (out.kind === 'none') stats.nxdomain++;
      else if (out.code === 'ETIMEOUT') stats.timedOut++;
      else stats.failed++;
      await remember(key, out);
      return out.kind === 'name' ? out.name : null;
    } finally {
      release();
    }
  }

  return {
    async reverse(ip: string): Promise<string | null> {
      stats.lookups++;
      if (closed || typeof ip !== 'string') return null;
      const key = addressKey(ip);
      if (!key) return null;
      const hit = memory.get(key);
      if (hit) {
        stats.memoryHits++;
        return hit.value;
      }
      const running = inflight.get(key);
      if (running) return running;
      const p = lookup(key)
        .catch(() => null)
        .finally(() => inflight.delete(key));
      inflight.set(key, p);
      return p;
    },
    stats: () => ({ ...stats }),
    close(): void {
      closed = true;
      sem.close();
      resolver.cancel();
      memory.clear();
    },
  };
}
