/**
 * Firmware version strings of edge appliances: parsing, ordering and branch prefixes. Vendor
 * neutral; pure functions, no I/O. Three written forms are versions:
 *   - NetScaler `13.0-47.22` (release 13.0, build 47.22),
 *   - dotted `9.0.3.64053` (Pulse/Ivanti Connect Secure `ProductVersion`: release 9.0, R3, build
 *     64053; three or four numbers),
 *   - R form `9.0R3.4` (the vendor's display form of the same products).
 * A version is ordered by its numbers, left to right (a missing number counts as 0). The branch
 * is the first two numbers (`13.0`, `9.0`). Compare versions of the same written form only: the
 * fixed-build tables check that every build is a version of its branch key.
 */

/** A parsed firmware version: its numbers in order (2 to 5 of them). */
export interface ParsedVersion {
  parts: readonly number[];
}

const NETSCALER_RE = /^(\d{1,3})\.(\d{1,3})-(\d{1,4})\.(\d{1,4})$/;
const DOTTED_RE = /^\d{1,3}\.\d{1,3}(?:\.\d{1,6}){1,2}$/;
const RFORM_RE = /^\d{1,3}\.\d{1,3}R\d{1,3}(?:\.\d{1,4})?$/;

/** Parse a version in one of the accepted forms; anything else (including `unknown`) gives null. */
export function parseVersion(v: string | null | undefined): ParsedVersion | null {
  if (typeof v !== 'string' || v.length > 40) return null;
  if (!NETSCALER_RE.test(v) && !DOTTED_RE.test(v) && !RFORM_RE.test(v)) return null;
  return { parts: v.split(/[.\-R]/).map(Number) };
}

/** True when `v` is a well-formed firmware version string. */
export function isVersion(v: unknown): v is string {
  return typeof v === 'string' && parseVersion(v) !== null;
}

/** Numeric order of two parsed versions (-1, 0, 1); missing trailing numbers count as 0. */
export function compareParsed(a: ParsedVersion, b: ParsedVersion): number {
  const n = Math.max(a.parts.length, b.parts.length);
  for (let i = 0; i < n; i++) {
    const d = (a.parts[i] ?? 0) - (b.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Order of two version strings, or null when either does not parse. */
export function compareVersions(a: string | null, b: string | null): number | null {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return null;
  return compareParsed(pa, pb);
}

/** `13.0-47.22` → `13.0`, `9.0.3.64053` → `9.0`; null when the version does not parse. */
export function branchOf(v: string | null): string | null {
  const p = parseVersion(v);
  return p ? `${p.parts[0]}.${p.parts[1]}` : null;
}

/**
 * True when `prefix` is a version prefix of `v` on a component boundary:
 * `12.1` and `12.1-55` are prefixes of `12.1-55.18`, `9.0` of `9.0.3.64053` and `9.0R3.4`;
 * `12.1-5` is not a prefix of `12.1-55.18`.
 */
export function isVersionPrefix(prefix: string, v: string): boolean {
  if (!v.startsWith(prefix)) return false;
  if (v.length === prefix.length) return true;
  const next = v[prefix.length];
  return next === '-' || next === '.' || next === 'R';
}
