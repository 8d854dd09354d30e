/**
 * Riding out a store outage (PostgreSQL restart, dropped connections) in the queue layer: the
 * coordinator's and the workers' store calls go through `storeRetry`, which retries transient
 * connection errors with back-off (logging once when it starts waiting and once when the store is
 * back) for a bounded time, so a PostgreSQL restart pauses work instead of failing batches.
 * Non-transient errors (a bad row, a missing scan) pass through at once. SQLite errors are never
 * transient here (a local file does not restart).
 */
import { sql } from 'kysely';
import { isTransientPgError } from '../store/write-pg.js';
import type { Store } from '../store/types.js';

/** Longest the queue layer waits for the store to come back before the error goes on. */
export const STORE_WAIT_MS = 10 * 60_000;
const BACKOFF_START_MS = 200;
const BACKOFF_MAX_MS = 5_000;

export interface StoreRetryOptions {
  log(line: string): void;
  /** Default STORE_WAIT_MS. */
  limitMs?: number;
  signal?: AbortSignal;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Is this error a store connection problem worth waiting out? */
export function isStoreOutage(e: unknown): boolean {
  if (isTransientPgError(e)) return true;
  // EW_* wrappers keep the driver error as their cause.
  const cause = (e as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== e && isTransientPgError(cause);
}

/**
 * Run `fn`; while it fails with a store outage, wait (back-off 0.2 s doubling to 5 s) and run it
 * again, for at most `limitMs` in total. Bounded in time; the abort signal ends the wait early
 * (the last error is thrown).
 */
export async function storeRetry<T>(what: string, fn: () => Promise<T>, o: StoreRetryOptions): Promise<T> {
  const limit = o.limitMs ?? STORE_WAIT_MS;
  const started = Date.now();
  let wait = BACKOFF_START_MS;
  let warned = false;
  for (;;) {
    try {
      const r = await fn();
      if (warned) o.log(`the store is back (${what}) after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return r;
    } catch (e) {
      if (!isStoreOutage(e) || o.signal?.aborted || Date.now() - started + wait > limit) throw e;
      if (!warned) o.log(`waiting for PostgreSQL (${what}): ${String((e as Error)?.message ?? e).slice(0, 200)}`);
      warned = true;
      await sleep(wait, o.signal);
      wait = Math.min(BACKOFF_MAX_MS, wait * 2);
    }
  }
}

/** Resolves when the store answers a trivial query (waiting out an outage as storeRetry does). */
export async function waitForStore(store: Store, o: StoreRetryOptions): Promise<void> {
  await storeRetry('reconnecting', () => sql`SELECT 1`.execute(store.db), o);
}
