/**
 * In-memory cache of answers per covering network: given an address, find the smallest cached,
 * unexpired range containing it. Ranges are kept sorted by start; a lookup finds the last range
 * starting at or before the address and looks back a bounded number of entries (nested ranges).
 * Bounded in size: when full, the entries expiring first are dropped.
 */
import type { Addr, Range } from './ip.js';

const LOOK_BACK = 32;

interface Item<V> {
  r: Range;
  v: V;
  exp: number;
}

function cmp(fa: number, a: bigint, fb: number, b: bigint): number {
  if (fa !== fb) return fa - fb;
  return a < b ? -1 : a > b ? 1 : 0;
}

export class RangeCache<V> {
  #items: Array<Item<V>> = [];
  constructor(readonly maxEntries: number) {}

  /** Index of the last item starting at or before (fam, value), or -1. */
  #floor(fam: number, value: bigint): number {
    let lo = 0;
    let hi = this.#items.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const it = this.#items[mid] as Item<V>;
      if (cmp(it.r.fam, it.r.start, fam, value) <= 0) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  find(a: Addr, now = Date.now()): { range: Range; value: V } | undefined {
    let best: Item<V> | undefined;
    const i = this.#floor(a.fam, a.value);
    for (let j = i; j >= 0 && j > i - LOOK_BACK; j--) {
      const it = this.#items[j] as Item<V>;
      if (it.r.fam !== a.fam) break;
      if (it.exp <= now || it.r.end < a.value) continue;
      if (!best || it.r.end - it.r.start < best.r.end - best.r.start) best = it;
    }
    return best ? { range: best.r, value: best.v } : undefined;
  }

  add(r: Range, v: V, ttlMs: number, now = Date.now()): void {
    if (ttlMs <= 0 || this.maxEntries <= 0) return;
    const i = this.#floor(r.fam, r.start);
    // Replace an entry for the very same range.
    for (let j = i; j >= 0 && j > i - LOOK_BACK; j--) {
      const it = this.#items[j] as Item<V>;
      if (it.r.fam !== r.fam || it.r.start !== r.start) break;
      if (it.r.end === r.end) {
        it.v = v;
        it.exp = now + ttlMs;
        return;
      }
    }
    this.#items.splice(i + 1, 0, { r, v, exp: now + ttlMs });
    if (this.#items.length > this.maxEntries) this.#evict(now);
  }

  #evict(now: number): void {
    const live = this.#items.filter((it) => it.exp > now);
    if (live.length > this.maxEntries) {
      const cut = [...live].sort((x, y) => x.exp - y.exp)[Math.floor(live.length / 2)]?.exp ?? now;
      this.#items = live.filter((it) => it.exp > cut);
    } else this.#items = live;
  }

  get size(): number {
    return this.#items.length;
  }

  clear(): void {
    this.#items = [];
  }
}
