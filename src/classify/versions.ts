/**
 * NetScaler firmware version strings (`13.0-47.22` = release 13.0, build 47.22): parsing,
 * ordering and branch prefixes. Pure functions; no I/O.
 */

/** A parsed firmware version: `major.minor-build.patch`. */
export interface ParsedVersion {
  major: number;
  minor: number;
  build: number;
  patch: number;
}

const VERSION_RE = /^(\d{1,3})\.(\d{1,3})-(\d{1,4})\.(\d{1,4})$/;

/** Parse `13.0-47.22`; anything else (including `unknown`) gives null. */
export function parseVersion(v: string | null | undefined): ParsedVersion | null {
  if (typeof v !== 'string') return null;
  const m = VERSION_RE.exec(v);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), build: Number(m[3]), patch: Number(m[4]) };
}

/** True when `v` is a well-formed firmware version string. */
export function isVersion(v: unknown): v is string {
  return typeof v === 'string' && VERSION_RE.test(v);
}

/** Numeric order of two parsed versions (-1, 0, 1). */
export function compareParsed(a: ParsedVersion, b: ParsedVersion): number {
  return Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.build - b.build) || Math.sign(a.patch - b.patch);
}

/** Order of two version strings, or null when either does not parse. */
export function compareVersions(a: string | null, b: string | null): number | null {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) return null;
  return compareParsed(pa, pb);
}

/** `13.0-47.22` → `13.0`; null when the version does not parse. */
export function branchOf(v: string | null): string | null {
  const p = parseVersion(v);
  return p ? `${p.major}.${p.minor}` : null;
}

/**
 * True when `prefix` is a version prefix of `v` on a component boundary:
 * `12.1` and `12.1-55` are prefixes of `12.1-55.18`; `12.1-5` is not.
 */
export function isVersionPrefix(prefix: string, v: string): boolean {
  if (!v.startsWith(prefix)) return false;
  if (v.length === prefix.length) return true;
  const next = v[prefix.length];
  return next === '-' || next === '.';
}
