/**
 * The `lookup_cache` table: results of network lookups (reverse DNS, RDAP, RIPEstat) with the time
 * they were fetched, where they came from and when they expire. Keys are chosen by the caller; RDAP
 * answers are keyed by the covering network in a fixed-width hex form so that a range query finds
 * the network holding an address (see `cacheFloor`). Expired rows are ignored on read and removed by
 * `cachePurge`. Values are JSON (text on SQLite, jsonb on PostgreSQL).
 */
import type { Kysely } from 'kysely';
import { readJson } from './json.js';
import type { Database } from './schema.js';

export interface CacheEntry<T> {
  key: string;
  value: T;
  source: string | null;
  fetched_at: string;
  expires_at: string;
}

export interface CachePutOptions {
  /** Where the value came from (a URL, a server), recorded with it. */
  source?: string | null;
  ttlSeconds: number;
  now?: Date;
}

function toEntry<T>(row: { key: string; value: unknown; source: string | null; fetched_at: string; expires_at: string }): CacheEntry<T> {
  return {
    key: row.key,
    value: readJson<T>(row.value, 'lookup_cache.value'),
    source: row.source,
    fetched_at: row.fetched_at,
    expires_at: row.expires_at,
  };
}

/** The unexpired entry for (kind, key), if any. */
export async function cacheGet<T>(db: Kysely<Database>, kind: string, key: string, now = new Date()): Promise<CacheEntry<T> | undefined> {
  const row = await db
    .selectFrom('lookup_cache')
    .select(['key', 'value', 'source', 'fetched_at', 'expires_at'])
    .where('kind', '=', kind)
    .where('key', '=', key)
    .where('expires_at', '>', now.toISOString())
    .executeTakeFirst();
  return row ? toEntry<T>(row) : undefined;
}

/** Insert or replace the entry for (kind, key). */
export async function cachePut(db: Kysely<Database>, kind: string, key: string, value: unknown, opts: CachePutOptions): Promise<void> {
  const now = opts.now ?? new Date();
  const fetched_at = now.toISOString();
  const expires_at = new Date(now.getTime() + Math.max(0, opts.ttlSeconds) * 1000).toISOString();
  const json = JSON.stringify(value ?? null);
  const source = opts.source ?? null;
  await db
    .insertInto('lookup_cache')
    .values({ kind, key, value: json, source, fetched_at, expires_at })
    .onConflict((oc) => oc.columns(['kind', 'key']).doUpdateSet({ value: json, source, fetched_at, expires_at }))
    .execute();
}

/**
 * Unexpired entries of `kind` whose key lies in [`low`, `high`], highest key first, at most `limit`.
 * With keys of the form `<family><fixed-width start><fixed-width end>` (hex), `low` = the family's
 * lowest key and `high` = the address's own form followed by the highest end, this yields the
 * networks starting at or before the address, nearest first; the caller checks which contain it.
 */
export async function cacheFloor<T>(
  db: Kysely<Database>,
  kind: string,
  low: string,
  high: string,
  limit: number,
  now = new Date(),
): Promise<Array<CacheEntry<T>>> {
  const rows = await db
    .selectFrom('lookup_cache')
    .select(['key', 'value', 'source', 'fetched_at', 'expires_at'])
    .where('kind', '=', kind)
    .where('key', '>=', low)
    .where('key', '<=', high)
    .where('expires_at', '>', now.toISOString())
    .orderBy('key', 'desc')
    .limit(Math.max(1, Math.min(limit, 1000)))
    .execute();
  return rows.map((r) => toEntry<T>(r));
}

/** Delete expired entries (of one kind, or all). Returns how many were removed. */
export async function cachePurge(db: Kysely<Database>, kind?: string, now = new Date()): Promise<number> {
  let q = db.deleteFrom('lookup_cache').where('expires_at', '<=', now.toISOString());
  if (kind !== undefined) q = q.where('kind', '=', kind);
  const res = await q.executeTakeFirst();
  return Number(res.numDeletedRows ?? 0);
}
