/**
 * Longest-prefix lookup over CIDR blocks (IPv4 and IPv6), built once and then read-only.
 *
 * CIDR blocks either nest or are disjoint, so the blocks flatten into a sorted list of disjoint
 * segments, each pointing at the most specific block that covers it. A lookup is one binary search
 * over typed arrays (IPv4: Uint32Array; IPv6: bigint arrays), O(log n) with no allocation: 50,000
 * blocks take about 17 comparisons per address.
 *
 * Blocks must be unique (callers resolve ties for the same block before building).
 */

/** One block: inclusive bounds and the caller's value id. */
export interface Block<T extends number | bigint> {
  start: T;
  end: T;
  id: number;
}

interface Flat<T> {
  starts: T[];
  ends: T[];
  ids: number[];
  /** Block id → id of the smallest block strictly containing it, or -1. */
  parents: Map<number, number>;
}

/** Flattens nested/disjoint blocks into disjoint segments labelled with the innermost block. */
function flatten<T extends number | bigint>(blocks: Block<T>[], inc: (x: T) => T, dec: (x: T) => T): Flat<T> {
  const sorted = [...blocks].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0));
  const out: Flat<T> = { starts: [], ends: [], ids: [], parents: new Map() };
  const stack: Block<T>[] = [];
  let cur: T | undefined;
  const emit = (from: T, to: T, id: number) => {
    if (from > to) return;
    out.starts.push(from);
    out.ends.push(to);
    out.ids.push(id);
  };
  const closeTop = () => {
    const top = stack.pop() as Block<T>;
    if (cur !== undefined) emit(cur, top.end, top.id);
    cur = inc(top.end);
  };
  for (const b of sorted) {
    while (stack.length > 0 && stack[stack.length - 1].end < b.start) closeTop();
    const top = stack[stack.length - 1];
    if (top !== undefined && cur !== undefined && cur < b.start) emit(cur, dec(b.start), top.id);
    cur = b.start;
    if (top !== undefined) out.parents.set(b.id, top.id);
    stack.push(b);
  }
  while (stack.length > 0) closeTop();
  return out;
}

/** IPv4 longest-prefix index (addresses as uint32 numbers). */
export class PrefixIndex4 {
  readonly #starts: Uint32Array;
  readonly #ends: Uint32Array;
  readonly #ids: Int32Array;
  readonly #parents: Map<number, number>;

  constructor(blocks: Block<number>[]) {
    const f = flatten(blocks, (x) => x + 1, (x) => x - 1);
    this.#starts = Uint32Array.from(f.starts);
    this.#ends = Uint32Array.from(f.ends);
    this.#ids = Int32Array.from(f.ids);
    this.#parents = f.parents;
  }

  /** Id of the smallest block strictly containing block `id`, or -1. */
  parentOf(id: number): number {
    return this.#parents.get(id) ?? -1;
  }

  /** Id of the most specific block containing `ip`, or -1. */
  lookup(ip: number): number {
    const s = this.#starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && ip <= this.#ends[hi] ? this.#ids[hi] : -1;
  }

  get segments(): number {
    return this.#starts.length;
  }
}

/** IPv6 longest-prefix index (addresses as 128-bit bigints). */
export class PrefixIndex6 {
  readonly #starts: bigint[];
  readonly #ends: bigint[];
  readonly #ids: Int32Array;
  readonly #parents: Map<number, number>;

  constructor(blocks: Block<bigint>[]) {
    const f = flatten(blocks, (x) => x + 1n, (x) => x - 1n);
    this.#starts = f.starts;
    this.#ends = f.ends;
    this.#ids = Int32Array.from(f.ids);
    this.#parents = f.parents;
  }

  /** Id of the smallest block strictly containing block `id`, or -1. */
  parentOf(id: number): number {
    return this.#parents.get(id) ?? -1;
  }

  lookup(ip: bigint): number {
    const s = this.#starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && ip <= this.#ends[hi] ? this.#ids[hi] : -1;
  }

  get segments(): number {
    return this.#starts.length;
  }
}
