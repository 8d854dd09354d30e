/**
 * Sorted, disjoint interval tables for fast membership tests (binary search). Built once from a
 * list of ranges; every segment remembers one rule that covers it, so a hit can name the exact
 * CIDR that matched. IPv4 tables use Float64Array bounds (uint32 values); IPv6 tables use BigInt.
 */
import type { IpRange } from './cidr.js';

interface Seg {
  start: bigint;
  end: bigint;
  rule: IpRange;
}

function toBig(r: IpRange): Seg {
  return r.family === 4 ? { start: BigInt(r.start), end: BigInt(r.end), rule: r } : { start: r.start, end: r.end, rule: r };
}

/** Sorts and splits overlapping ranges into disjoint segments, each fully covered by its rule. */
function sweep(ranges: IpRange[]): Seg[] {
  const sorted = ranges
    .map(toBig)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0));
  const out: Seg[] = [];
  let curEnd = -1n;
  for (const s of sorted) {
    if (s.end <= curEnd) continue;
    out.push({ start: s.start > curEnd ? s.start : curEnd + 1n, end: s.end, rule: s.rule });
    curEnd = s.end;
  }
  return out;
}

/** Removes the addresses of `holes` from disjoint sorted `segs` (labels are kept). */
function subtract(segs: Seg[], holes: IpRange[]): Seg[] {
  const h = sweep(holes);
  const out: Seg[] = [];
  let j = 0;
  for (const seg of segs) {
    let start = seg.start;
    while (j < h.length && h[j].end < start) j++;
    let k = j;
    while (start <= seg.end) {
      if (k >= h.length || h[k].start > seg.end) {
        out.push({ start, end: seg.end, rule: seg.rule });
        break;
      }
      if (h[k].start > start) out.push({ start, end: h[k].start - 1n, rule: seg.rule });
      start = h[k].end + 1n;
      k++;
    }
  }
  return out;
}

const NONE = -1;
const MIXED = -2;

/**
 * `ranges` minus `holes`, as disjoint ranges that keep the text/origin of the range they came
 * from (so a reserved block with a lifted hole still reports as, say, `10.0.0.0/8`).
 */
export function subtractRanges(ranges: IpRange[], holes: IpRange[]): IpRange[] {
  const out: IpRange[] = [];
  for (const family of [4, 6] as const) {
    const segs = subtract(
      sweep(ranges.filter((r) => r.family === family)),
      holes.filter((r) => r.family === family),
    );
    for (const g of segs) {
      out.push(
        g.rule.family === 4
          ? { family: 4, start: Number(g.start), end: Number(g.end), text: g.rule.text, origin: g.rule.origin }
          : { family: 6, start: g.start, end: g.end, text: g.rule.text, origin: g.rule.origin },
      );
    }
  }
  return out;
}

/** Membership table for IPv4 addresses given as uint32 numbers. */
export class RangeTable4 {
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;
  private readonly rules: IpRange[];
  /**
   * Per-/16 shortcut: segment index covering the whole /16, NONE when no segment touches it,
   * MIXED when a binary search is needed. Turns most lookups into one array read.
   */
  private readonly buckets: Int32Array;

  constructor(ranges: IpRange[], minus: IpRange[] = []) {
    let segs = sweep(ranges.filter((r) => r.family === 4));
    const holes = minus.filter((r) => r.family === 4);
    if (holes.length > 0) segs = subtract(segs, holes);
    this.starts = new Float64Array(segs.length);
    this.ends = new Float64Array(segs.length);
    this.rules = new Array(segs.length);
    for (let i = 0; i < segs.length; i++) {
      this.starts[i] = Number(segs[i].start);
      this.ends[i] = Number(segs[i].end);
      this.rules[i] = segs[i].rule;
    }
    this.buckets = new Int32Array(65536).fill(NONE);
    for (let i = 0; i < segs.length; i++) {
      const start = this.starts[i];
      const end = this.ends[i];
      for (let b = Math.floor(start / 65536), last = Math.floor(end / 65536); b <= last; b++) {
        const full = start <= b * 65536 && end >= b * 65536 + 65535;
        this.buckets[b] = full ? i : MIXED;
      }
    }
  }

  get size(): number {
    return this.starts.length;
  }

  /** Index of the segment containing `ip` (a uint32), or -1. */
  indexOf(ip: number): number {
    const b = this.buckets[ip >>> 16];
    if (b !== MIXED) return b;
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && ip <= this.ends[hi] ? hi : -1;
  }

  /** The rule covering `ip`, if any. */
  find(ip: number): IpRange | undefined {
    const i = this.indexOf(ip);
    return i < 0 ? undefined : this.rules[i];
  }
}

/** Membership table for IPv6 addresses given as 128-bit BigInts. */
export class RangeTable6 {
  private readonly starts: bigint[];
  private readonly ends: bigint[];
  private readonly rules: IpRange[];

  constructor(ranges: IpRange[], minus: IpRange[] = []) {
    let segs = sweep(ranges.filter((r) => r.family === 6));
    const holes = minus.filter((r) => r.family === 6);
    if (holes.length > 0) segs = subtract(segs, holes);
    this.starts = segs.map((s) => s.start);
    this.ends = segs.map((s) => s.end);
    this.rules = segs.map((s) => s.rule);
  }

  get size(): number {
    return this.starts.length;
  }

  find(ip: bigint): IpRange | undefined {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= ip) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && ip <= this.ends[hi] ? this.rules[hi] : undefined;
  }
}
