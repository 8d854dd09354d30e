/**
 * Small concurrency and rate primitives shared by the network enrichers (reverse DNS, RDAP,
 * RIPEstat): a semaphore whose waiters can be released by `close()`, a spacing rate limiter that
 * refuses a slot it could only grant after the caller's deadline, a deadline race, and a bounded
 * in-memory TTL map. Nothing here throws to its caller except `Semaphore.acquire` after close.
 */

/** Bounded concurrency. `acquire()` resolves with a release function, or null once closed. */
export class Semaphore {
  #free: number;
  #waiters: Array<(release: (() => void) | null) => void> = [];
  #closed = false;

  constructor(max: number) {
    this.#free = Math.max(1, Math.floor(max));
  }

  acquire(): Promise<(() => void) | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#waiters.shift();
      if (next && !this.#closed) next(this.#releaser());
      else this.#free++;
    };
  }

  /** Number of callers waiting for a slot. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Release every waiter with null; later acquires resolve null at once. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w(null);
  }
}

/**
 * Spaces requests evenly: at most `perSecond` a second across all callers (0 = unlimited).
 * `take(deadline)` waits for the next slot and resolves true, or resolves false at once when that
 * slot would start after `deadline` (epoch ms) or the limiter is closed — a caller never waits past
 * its own deadline.
 */
export class RateLimiter {
  readonly #interval: number;
  #next = 0;
  #timers = new Set<{ t: NodeJS.Timeout; resolve: (ok: boolean) => void }>();
  #closed = false;

  constructor(perSecond: number) {
    this.#interval = perSecond > 0 ? 1000 / perSecond : 0;
  }

  take(deadline: number): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#interval === 0) return Promise.resolve(true);
    const now = Date.now();
    const slot = Math.max(now, this.#next);
    if (slot > deadline) return Promise.resolve(false);
    this.#next = slot + this.#interval;
    if (slot <= now) return Promise.resolve(true);
    return new Promise((resolve) => {
      const entry = {
        t: setTimeout(() => {
          this.#timers.delete(entry);
          resolve(!this.#closed);
        }, slot - now),
        resolve,
      };
      this.#timers.add(entry);
    });
  }

  close(): void {
    this.#closed = true;
    for (const e of this.#timers) {
      clearTimeout(e.t);
      e.resolve(false);
    }
    this.#timers.clear();
  }
}

/** Resolve with `p`'s value, or with `fallback` after `ms` (the timer never outlives the race). */
export function withDeadline<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A Map with per-entry expiry and a size bound (oldest insertions are dropped first). */
export class TtlMap<V> {
  #m = new Map<string, { v: V; exp: number }>();
  constructor(readonly maxEntries: number) {}

  get(key: string, now = Date.now()): { value: V } | undefined {
    const e = this.#m.get(key);
    if (!e) return undefined;
    if (e.exp <= now) {
      this.#m.delete(key);
      return undefined;
    }
    return { value: e.v };
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    if (ttlMs <= 0) return;
    this.#m.delete(key);
    this.#m.set(key, { v: value, exp: now + ttlMs });
    while (this.#m.size > this.maxEntries) {
      const oldest = this.#m.keys().next();
      if (oldest.done) break;
      this.#m.delete(oldest.value);
    }
  }

  values(now = Date.now()): V[] {
    const out: V[] = [];
    for (const [k, e] of this.#m) {
      if (e.exp <= now) this.#m.delete(k);
      else out.push(e.v);
    }
    return out;
  }

  get size(): number {
    return this.#m.size;
  }

  clear(): void {
    this.#m.clear();
  }
}
