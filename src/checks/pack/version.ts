/**
 * Pack versions and compatibility ranges. A pack version is dot-separated numbers with an
 * optional pre-release suffix: semantic (`1.4.0`, `2.0.0-rc.1`) or date-based (`2026.11.23`,
 * `2026.11.23.2`). Comparison is numeric part by part (missing parts are 0); a pre-release sorts
 * before its release. A compatibility range is a space-separated list of comparators that must
 * all hold, e.g. `>=0.1.0 <1.0.0` (operators `>=` `>` `<=` `<` `=`; `*` means any version).
 */

const VERSION_RE = /^(\d{1,9}(?:\.\d{1,9}){0,3})(?:-([0-9A-Za-z][0-9A-Za-z.-]{0,63}))?$/;

export interface ParsedVersion {
  parts: number[];
  pre: string | null;
}

/** Parse a pack version; null when it is not one. */
export function parseVersion(v: string): ParsedVersion | null {
  const m = VERSION_RE.exec(v);
  if (!m) return null;
  return { parts: m[1].split('.').map(Number), pre: m[2] ?? null };
}

export function isVersion(v: string): boolean {
  return parseVersion(v) !== null;
}

function comparePre(a: string, b: string): number {
  const as = a.split('.');
  const bs = b.split('.');
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    if (as[i] === undefined) return -1;
    if (bs[i] === undefined) return 1;
    const an = /^\d+$/.test(as[i]);
    const bn = /^\d+$/.test(bs[i]);
    if (an && bn) {
      const d = Number(as[i]) - Number(bs[i]);
      if (d !== 0) return Math.sign(d);
    } else if (an !== bn) return an ? -1 : 1;
    else if (as[i] !== bs[i]) return as[i] < bs[i] ? -1 : 1;
  }
  return 0;
}

/** -1, 0 or 1. Throws a TypeError for a string that is not a version (callers validate first). */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a);
  const pb = parseVersion(b);
  if (!pa || !pb) throw new TypeError(`not a pack version: ${pa ? b : a}`);
  for (let i = 0; i < Math.max(pa.parts.length, pb.parts.length); i++) {
    const d = (pa.parts[i] ?? 0) - (pb.parts[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === null) return 1;
  if (pb.pre === null) return -1;
  return comparePre(pa.pre, pb.pre);
}

const COMPARATOR_RE = /^(>=|<=|>|<|=)?(.+)$/;

/** Problem with a range string, or null when it is well-formed. */
export function rangeProblem(range: string): string | null {
  const items = range.trim().split(/\s+/).filter(Boolean);
  if (items.length === 0) return 'empty range';
  for (const item of items) {
    if (item === '*') continue;
    const m = COMPARATOR_RE.exec(item);
    if (!m || !isVersion(m[2])) return `bad comparator '${item}' (use e.g. '>=0.1.0 <1.0.0')`;
  }
  return null;
}

/** True when `version` satisfies every comparator of `range` (a malformed range is never satisfied). */
export function satisfies(version: string, range: string): boolean {
  if (rangeProblem(range) !== null || !isVersion(version)) return false;
  for (const item of range.trim().split(/\s+/)) {
    if (item === '*') continue;
    const m = COMPARATOR_RE.exec(item) as RegExpExecArray;
    const c = compareVersions(version, m[2]);
    const op = m[1] ?? '=';
    const ok = op === '>=' ? c >= 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : op === '<' ? c < 0 : c === 0;
    if (!ok) return false;
  }
  return true;
}
