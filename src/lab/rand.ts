/**
 * Deterministic randomness for the lab: every per-host choice is a pure function of
 * (seed, host index, salt[, step]) so the same seed always yields the same population and the
 * same truth, independent of the order in which hosts are visited.
 */

/** 32-bit avalanche mix (murmur3 finaliser). */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of a short salt string, computed once per salt at module load by callers. */
export function saltOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** uint32 from (seed, index, salt, extra). */
export function hash32(seed: number, index: number, salt: number, extra = 0): number {
  let h = fmix((seed >>> 0) ^ 0x9e3779b9);
  h = fmix(h ^ (index >>> 0));
  h = fmix(h ^ salt);
  return extra === 0 ? h : fmix(h ^ (extra >>> 0));
}

/** Uniform float in [0, 1) from (seed, index, salt, extra). */
export function unit(seed: number, index: number, salt: number, extra = 0): number {
  return hash32(seed, index, salt, extra) / 4294967296;
}

/** Pick an element of a non-empty array. */
export function pick<T>(arr: readonly T[], seed: number, index: number, salt: number, extra = 0): T {
  return arr[hash32(seed, index, salt, extra) % arr.length] as T;
}

/** Small seeded PRNG (mulberry32) for sequences (shuffles, garbage bytes). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
