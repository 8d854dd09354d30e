/**
 * A compact, sorted index of inclusive address ranges (IPv4 and IPv6) with an AS number, an AS
 * name and/or a country code per range, looked up by binary search over typed arrays. Built from
 * the bundled @ip-location-db CSV or from an imported CSV/TSV; serialised to a binary file so a
 * second start loads in milliseconds (see ./binary.ts).
 *
 * `networkOf` answers IntelMQ's `source.network`: the largest CIDR block inside the matched range
 * that contains the address (the range itself when it is one aligned CIDR). It never claims
 * addresses outside the range, which a "covering" prefix of an unaligned range would.
 */
import { formatIPv4, formatIPv6 } from '../../scope/ip.js';

/** Country code packed in 16 bits (`c1 << 8 | c2`); 0 = none. */
export function packCc(cc: string): number {
  return (cc.charCodeAt(0) << 8) | cc.charCodeAt(1);
}

export function unpackCc(v: number): string | null {
  return v === 0 ? null : String.fromCharCode(v >> 8, v & 255);
}

export interface RangeTable {
  v4Start: Uint32Array;
  v4End: Uint32Array;
  /** AS number per range (0 = none). */
  v4Asn: Uint32Array;
  /** Index into `names` (-1 = none). */
  v4Name: Int32Array;
  v4Cc: Uint16Array;
  v6StartHi: BigUint64Array;
  v6StartLo: BigUint64Array;
  v6EndHi: BigUint64Array;
  v6EndLo: BigUint64Array;
  v6Asn: Uint32Array;
  v6Name: Int32Array;
  v6Cc: Uint16Array;
  names: string[];
}

export interface RangeHit {
  asn: number | null;
  as_name: string | null;
  cc: string | null;
  network: string;
}

const M64 = (1n << 64n) - 1n;

/** Index of the IPv4 range containing `ip`, or -1. */
export function findV4(t: RangeTable, ip: number): number {
  const s = t.v4Start;
  let lo = 0;
  let hi = s.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid] <= ip) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return at >= 0 && ip <= t.v4End[at] ? at : -1;
}

/** Index of the IPv6 range containing `ip`, or -1. */
export function findV6(t: RangeTable, ip: bigint): number {
  const h = ip >> 64n;
  const l = ip & M64;
  const sh = t.v6StartHi;
  const sl = t.v6StartLo;
  let lo = 0;
  let hi = sh.length - 1;
  let at = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (sh[mid] < h || (sh[mid] === h && sl[mid] <= l)) {
      at = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (at < 0) return -1;
  const eh = t.v6EndHi[at];
  return h < eh || (h === eh && l <= t.v6EndLo[at]) ? at : -1;
}

const POW2 = Float64Array.from({ length: 33 }, (_, k) => 2 ** k);

/** Largest aligned IPv4 block inside [start, end] that contains ip, as CIDR text. */
export function v4Network(start: number, end: number, ip: number): string {
  let bits = 0;
  let base = ip;
  while (bits < 32) {
    const size = POW2[bits + 1];
    const b = ip - (ip % size);
    if (b < start || b + size - 1 > end) break;
    base = b;
    bits++;
  }
  return `${formatIPv4(base)}/${32 - bits}`;
}

/** Largest aligned IPv6 block inside [start, end] that contains ip, as CIDR text. */
export function v6Network(start: bigint, end: bigint, ip: bigint): string {
  let bits = 0n;
  while (bits < 128n) {
    const k = bits + 1n;
    const base = (ip >> k) << k;
    if (base < start || base + (1n << k) - 1n > end) break;
    bits = k;
  }
  return `${formatIPv6((ip >> bits) << bits)}/${128n - bits}`;
}

export function v4Hit(t: RangeTable, i: number, ip: number): RangeHit {
  const n = t.v4Name[i];
  const asn = t.v4Asn[i];
  return {
    asn: asn === 0 ? null : asn,
    as_name: n < 0 ? null : t.names[n],
    cc: unpackCc(t.v4Cc[i]),
    network: v4Network(t.v4Start[i], t.v4End[i], ip),
  };
}

export function v6Hit(t: RangeTable, i: number, ip: bigint): RangeHit {
  const n = t.v6Name[i];
  const asn = t.v6Asn[i];
  const start = (t.v6StartHi[i] << 64n) | t.v6StartLo[i];
  const end = (t.v6EndHi[i] << 64n) | t.v6EndLo[i];
  return { asn: asn === 0 ? null : asn, as_name: n < 0 ? null : t.names[n], cc: unpackCc(t.v6Cc[i]), network: v6Network(start, end, ip) };
}

/** One parsed row before indexing; `line` is kept for error messages (overlaps). */
export interface RangeRow {
  start: number | bigint;
  end: number | bigint;
  asn: number;
  name: string | null;
  cc: string | null;
  line: number;
}

/**
 * Accumulates rows (in any order) and builds the index. Overlapping ranges are refused with the
 * line numbers of both rows, so an import that would answer ambiguously changes nothing.
 */
export class RangeTableBuilder {
  private v4: number[] = []; // start, end, asn, name, cc, line (6 numbers per row)
  private v6: Array<bigint | number> = []; // start, end, asn, name, cc, line
  private names: string[] = [];
  private nameIdx = new Map<string, number>();

  private intern(name: string | null): number {
    if (name === null || name === '') return -1;
    let i = this.nameIdx.get(name);
    if (i === undefined) {
      i = this.names.length;
      this.names.push(name);
      this.nameIdx.set(name, i);
    }
    return i;
  }

  addV4(start: number, end: number, asn: number, name: string | null, cc: string | null, line: number): void {
    this.v4.push(start, end, asn, this.intern(name), cc ? packCc(cc) : 0, line);
  }

  addV6(start: bigint, end: bigint, asn: number, name: string | null, cc: string | null, line: number): void {
    this.v6.push(start, end, asn, this.intern(name), cc ? packCc(cc) : 0, line);
  }

  get size(): number {
    return this.v4.length / 6 + this.v6.length / 6;
  }

  /** Ranges trimmed by the last `build` in `clip` mode (overlaps in the source data). */
  clipped = 0;

  /**
   * Builds the table. Overlapping ranges: `onOverlap(lineA, lineB)` is called for the first one
   * (strict imports throw there); with `'clip'` the earlier range is cut short where the next one
   * starts (the bundled npm data has a few such known errors) and counted in `clipped`.
   */
  build(onOverlap: ((a: number, b: number) => never) | 'clip'): RangeTable {
    this.clipped = 0;
    const n4 = this.v4.length / 6;
    const src4 = this.v4;
    let order4 = Array.from({ length: n4 }, (_, i) => i);
    let sorted = true;
    for (let i = 1; i < n4; i++) if (src4[i * 6] < src4[(i - 1) * 6]) sorted = false;
    if (!sorted) order4 = order4.sort((a, b) => src4[a * 6] - src4[b * 6]);
    const v4Start = new Uint32Array(n4);
    const v4End = new Uint32Array(n4);
    const v4Asn = new Uint32Array(n4);
    const v4Name = new Int32Array(n4);
    const v4Cc = new Uint16Array(n4);
    let k = 0;
    for (let j = 0; j < n4; j++) {
      const o = order4[j] * 6;
      if (k > 0 && src4[o] <= v4End[k - 1]) {
        if (onOverlap !== 'clip') onOverlap(src4[order4[j - 1] * 6 + 5], src4[o + 5]);
        this.clipped++;
        if (src4[o] === v4Start[k - 1]) k--;
        else v4End[k - 1] = src4[o] - 1;
      }
      v4Start[k] = src4[o];
      v4End[k] = src4[o + 1];
      v4Asn[k] = src4[o + 2];
      v4Name[k] = src4[o + 3];
      v4Cc[k] = src4[o + 4];
      k++;
    }
    const m4 = k;
    const n6 = this.v6.length / 6;
    const src6 = this.v6;
    let order6 = Array.from({ length: n6 }, (_, i) => i);
    sorted = true;
    for (let i = 1; i < n6; i++) if ((src6[i * 6] as bigint) < (src6[(i - 1) * 6] as bigint)) sorted = false;
    if (!sorted) {
      order6 = order6.sort((a, b) => {
        const x = src6[a * 6] as bigint;
        const y = src6[b * 6] as bigint;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    }
    const v6StartHi = new BigUint64Array(n6);
    const v6StartLo = new BigUint64Array(n6);
    const v6EndHi = new BigUint64Array(n6);
    const v6EndLo = new BigUint64Array(n6);
    const v6Asn = new Uint32Array(n6);
    const v6Name = new Int32Array(n6);
    const v6Cc = new Uint16Array(n6);
    let prevStart = -1n;
    let prevEnd = -1n;
    k = 0;
    for (let j = 0; j < n6; j++) {
      const o = order6[j] * 6;
      const s = src6[o] as bigint;
      const e = src6[o + 1] as bigint;
      if (k > 0 && s <= prevEnd) {
        if (onOverlap !== 'clip') onOverlap(src6[order6[j - 1] * 6 + 5] as number, src6[o + 5] as number);
        this.clipped++;
        if (s === prevStart) k--;
        else {
          v6EndHi[k - 1] = (s - 1n) >> 64n;
          v6EndLo[k - 1] = (s - 1n) & M64;
        }
      }
      prevStart = s;
      prevEnd = e;
      v6StartHi[k] = s >> 64n;
      v6StartLo[k] = s & M64;
      v6EndHi[k] = e >> 64n;
      v6EndLo[k] = e & M64;
      v6Asn[k] = src6[o + 2] as number;
      v6Name[k] = src6[o + 3] as number;
      v6Cc[k] = src6[o + 4] as number;
      k++;
    }
    const m6 = k;
    return {
      v4Start: v4Start.subarray(0, m4),
      v4End: v4End.subarray(0, m4),
      v4Asn: v4Asn.subarray(0, m4),
      v4Name: v4Name.subarray(0, m4),
      v4Cc: v4Cc.subarray(0, m4),
      v6StartHi: v6StartHi.subarray(0, m6),
      v6StartLo: v6StartLo.subarray(0, m6),
      v6EndHi: v6EndHi.subarray(0, m6),
      v6EndLo: v6EndLo.subarray(0, m6),
      v6Asn: v6Asn.subarray(0, m6),
      v6Name: v6Name.subarray(0, m6),
      v6Cc: v6Cc.subarray(0, m6),
      names: this.names,
    };
  }
}
