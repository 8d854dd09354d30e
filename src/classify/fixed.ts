/**
 * Fixed-build tables and named version ranges of a CVE check (`versions.fixed`, `versions.ranges`).
 * Compiled once per check; answers "is this build fixed?" and "is it in range X?" without parsing
 * the tables again.
 */
import { compareParsed, isVersionPrefix, type ParsedVersion, parseVersion } from './versions.js';

/** Special values of a `versions.fixed` entry besides a first fixed build. */
export const FIXED_MARKERS = ['eol', 'not_affected', 'unassessed'] as const;
export type FixedMarker = (typeof FIXED_MARKERS)[number];

/** Verdict on one build against a fixed-build table. */
export interface FixedAnswer {
  /** true: at or above the first fixed build of its line, or its line is not affected;
   *  false: below it, or its line is end of life (no fix); null: version unknown, or the line was
   *  not assessed by the vendor (`unassessed`). */
  fixed: boolean | null;
  /** First fixed build that applied, or null (unknown version, EOL, unaffected or unassessed line). */
  fixedBuild: string | null;
  /** The line is end of life for this CVE: vulnerable, and no fixed build exists. */
  eol?: boolean;
  /** The line was not assessed (`unassessed`): the patch state cannot be decided from the build. */
  unassessed?: boolean;
}

type Entry = { prefix: string; build: string; parsed: ParsedVersion } | { prefix: string; marker: FixedMarker };

/**
 * A compiled `versions.fixed` map: branch or build-line prefix → first fixed build, or one of the
 * markers `eol` (vulnerable, no fix), `not_affected`, `unassessed`. Longest prefix wins; versions
 * of branches not listed are not affected.
 */
export class FixedTable {
  private readonly entries: Entry[];

  /** Throws an Error naming the offending key when a value is not a version of that branch. */
  constructor(map: Record<string, string>) {
    this.entries = [];
    for (const [prefix, build] of Object.entries(map)) {
      if ((FIXED_MARKERS as readonly string[]).includes(build)) {
        this.entries.push({ prefix, marker: build as FixedMarker });
        continue;
      }
      const parsed = parseVersion(build);
      if (!parsed) throw new Error(`${prefix}: '${build}' is not a firmware version like 13.0-47.24 (or eol, not_affected, unassessed)`);
      if (!isVersionPrefix(prefix, build)) throw new Error(`${prefix}: '${build}' is not a build of branch ${prefix}`);
      this.entries.push({ prefix, build, parsed });
    }
    this.entries.sort((a, b) => b.prefix.length - a.prefix.length);
  }

  /** Whether `version` is fixed, and by which first fixed build. */
  check(version: string | null): FixedAnswer {
    const p = parseVersion(version);
    if (!p || version === null) return { fixed: null, fixedBuild: null };
    for (const e of this.entries) {
      if (!isVersionPrefix(e.prefix, version)) continue;
      if ('marker' in e) {
        if (e.marker === 'eol') return { fixed: false, fixedBuild: null, eol: true };
        if (e.marker === 'unassessed') return { fixed: null, fixedBuild: null, unassessed: true };
        return { fixed: true, fixedBuild: null };
      }
      return { fixed: compareParsed(p, e.parsed) >= 0, fixedBuild: e.build };
    }
    return { fixed: true, fixedBuild: null };
  }
}

/** One named range entry: a branch, optional bounds, and exact builds excluded. */
export interface RangeSpec {
  branch: string;
  /** Inclusive lower bound. */
  from?: string;
  /** Exclusive upper bound. */
  below?: string;
  except?: string[];
}

/** A compiled set of named ranges (`in_range('name')`). */
export class RangeSet {
  private readonly ranges = new Map<
    string,
    Array<{ branch: string; from: ParsedVersion | null; below: ParsedVersion | null; except: Set<string> }>
  >();

  /** Throws an Error naming the range when a bound is malformed. */
  constructor(spec: Record<string, RangeSpec[]>) {
    for (const [name, list] of Object.entries(spec)) {
      this.ranges.set(
        name,
        list.map((r, i) => {
          const bound = (v: string | undefined, what: string): ParsedVersion | null => {
            if (v === undefined) return null;
            const p = parseVersion(v);
            if (!p || !isVersionPrefix(r.branch, v)) throw new Error(`${name}[${i}].${what}: '${v}' is not a build of branch ${r.branch}`);
            return p;
          };
          return { branch: r.branch, from: bound(r.from, 'from'), below: bound(r.below, 'below'), except: new Set(r.except ?? []) };
        }),
      );
    }
  }

  has(name: string): boolean {
    return this.ranges.has(name);
  }

  /** True when `version` lies in any entry of the named range; false for unknown versions. */
  contains(name: string, version: string | null): boolean {
    const list = this.ranges.get(name);
    const p = parseVersion(version);
    if (!list || !p || version === null) return false;
    for (const r of list) {
      if (!isVersionPrefix(r.branch, version)) continue;
      if (r.from && compareParsed(p, r.from) < 0) continue;
      if (r.below && compareParsed(p, r.below) >= 0) continue;
      if (r.except.has(version)) continue;
      return true;
    }
    return false;
  }
}
