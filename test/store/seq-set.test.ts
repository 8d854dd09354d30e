import { describe, expect, it } from 'vitest';
import { SeqBitset } from '../../src/store/seq-set.js';

describe('SeqBitset', () => {
  it('behaves like a ReadonlySet of seqs, iterating in ascending order', () => {
    const s = new SeqBitset();
    const values = [5, 0, 65_535, 65_536, 31, 32, 1_000_000, 5, 2 ** 40];
    for (const v of values) s.add(v);
    const unique = [...new Set(values)].sort((a, b) => a - b);
    expect(s.size).toBe(unique.length);
    expect([...s]).toEqual(unique);
    for (const v of unique) expect(s.has(v)).toBe(true);
    for (const v of [1, 30, 33, 65_534, 65_537, 999_999, -1, 1.5, Number.NaN, 2 ** 40 + 1]) expect(s.has(v)).toBe(false);
    s.add(-3).add(2.5).add(Number.POSITIVE_INFINITY);
    expect(s.size).toBe(unique.length);
    const seen: number[] = [];
    s.forEach((v) => {
      seen.push(v);
    });
    expect(seen).toEqual(unique);
    expect([...s.entries()][0]).toEqual([0, 0]);
  });
});
