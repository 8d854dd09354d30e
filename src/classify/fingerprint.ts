/**
 * Product identification and version resolution of fingerprint checks: evaluate the `identify`
 * rules (veto, certain, strong, weak; first true wins) and the ordered `version` sources (first
 * source that yields a version wins; a build date may come from an earlier source).
 */
import { type Evaluator, truthy, type Value } from '../checks/expr.js';
import { isoFromEpoch, type VersionTable } from './tables.js';
import { isVersion } from './versions.js';

/** How sure we are that a host is the product. */
export type Confidence = 'certain' | 'strong' | 'weak' | 'none';

/** Rank for comparisons: none 0 … certain 3. */
export const CONFIDENCE_RANK: Record<Confidence, number> = { none: 0, weak: 1, strong: 2, certain: 3 };

/** Compiled `identify` block. */
export interface IdentifyRules<E> {
  veto: Evaluator<E> | null;
  certain: Evaluator<E> | null;
  strong: Evaluator<E> | null;
  weak: Evaluator<E> | null;
}

/** Evaluate identify rules: a true veto gives `none`; otherwise the first true level. */
export function identify<E>(rules: IdentifyRules<E>, env: E): Confidence {
  if (rules.veto && truthy(rules.veto(env))) return 'none';
  if (rules.certain && truthy(rules.certain(env))) return 'certain';
  if (rules.strong && truthy(rules.strong(env))) return 'strong';
  if (rules.weak && truthy(rules.weak(env))) return 'weak';
  return 'none';
}

/** A compiled version source. Exactly one of `table` or `pattern` is set. */
export interface VersionSource<E> {
  /** Name reported as `version_source` (e.g. `rdx_stamp`). */
  source: string;
  /** Reads the signal the source takes its value from. */
  from: Evaluator<E>;
  table?: { table: VersionTable; key: string; epochKey: boolean };
  pattern?: { re: RegExp; format: string };
}

/** Outcome of version resolution. */
export interface VersionResult {
  version: string | null;
  source: string | null;
  buildDate: string | null;
}

const MAX_VALUE = 256;

function formatMatch(format: string, m: RegExpExecArray): string {
  return format.replace(/\$(\d)/g, (_, d: string) => m[Number(d)] ?? '');
}

/** Try the sources in order; the first that yields a well-formed version wins. */
export function resolveVersion<E>(sources: readonly VersionSource<E>[], env: E): VersionResult {
  let buildDate: string | null = null;
  for (const s of sources) {
    const raw: Value = s.from(env);
    if (raw === null || raw === false || raw === '') continue;
    const value = String(raw).slice(0, MAX_VALUE);
    if (s.table) {
      const hit = s.table.table.lookup(s.table.key, value);
      const date = hit?.date ?? (s.table.epochKey && /^\d{1,12}$/.test(value) ? isoFromEpoch(Number(value)) : null);
      if (buildDate === null) buildDate = date;
      if (hit?.version) return { version: hit.version, source: s.source, buildDate: buildDate ?? hit.date };
    } else if (s.pattern) {
      s.pattern.re.lastIndex = 0;
      const m = s.pattern.re.exec(value);
      if (!m) continue;
      const v = formatMatch(s.pattern.format, m);
      if (isVersion(v)) return { version: v, source: s.source, buildDate };
    }
  }
  return { version: null, source: null, buildDate };
}
