/**
 * Fixed-build tables and named version ranges of a CVE check (`versions.fixed`, `versions.ranges`).
 * Compiled once per check; answers "is this build fixed?" and "is it in range X?" without parsing
 * the tables again.
 */
import { compareParsed, isVersionPrefix, type ParsedVersion, parseVersion } from './versions.js';

/** Verdict on one build against a fixed-build table. */
export interface FixedAnswer {
  /** true: at or above the first fixed build of its line, or its branch is not affected;
   *  false: below it; null: version unknown. */
  fixed: boolean | null;
  /** First fixed build that applied, or null (unknown version or unaffected branch). */
  fixedBuild: string | null;
}

/** A compiled `versions.fixed` map: branch prefix → first fixed build. Longest prefix wins. */
export class FixedTable {
  private readonly entries: Array<{ prefix: string; build: string; parsed: ParsedVersion }>;

  /** Throws an Error naming the offending key when a value is not a version of that branch. */
  constructor(map: Record<string, string>) {
    this.entries = [];
    for (const [prefix, build] of Object.entries(map)) {
      const parsed = parseVersion(build);
      if (!parsed) throw new Error(`${prefix}: '${build}' is not a firmware version like 13.0-47.24`);
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
      if (isVersionPrefix(e.prefix, version)) return { fixed: compareParsed(p, e.parsed) >= 0, fixedBuild: e.build };
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
