/**
 * The compiled form of a check (what `CompiledCheck.compiled` holds): requests with their
 * precomputed sharing key, compiled `when`, matchers and extractors, signal slots, and the
 * compiled rules of its kind. Built by compile.ts, run by engine.ts; never mutated after build.
 */

import type { CompromiseRule } from '../classify/compromise.js';
import type { DecideRule } from '../classify/cve.js';
import type { Confidence, IdentifyRules, VersionSource } from '../classify/fingerprint.js';
import type { FixedTable, RangeSet } from '../classify/fixed.js';
import type { HttpRequestSpec } from '../net/types.js';
import type { Evaluator, Value } from './expr.js';
import type { ExtractorProgram, MatcherProgram } from './matchers.js';
import type { CheckEnv } from './scope.js';
import type { CompiledCheck } from './types.js';

/** One compiled request of a check. */
export interface RequestProgram {
  id: string;
  spec: HttpRequestSpec;
  /** Identity for sharing across checks: method, path and headers (names lower-cased, sorted). */
  key: string;
  when: Evaluator<CheckEnv> | null;
  matchers: MatcherProgram[];
  extractors: ExtractorProgram[];
  /** Slots of the implicit `<id>.failed` and `<id>.status` signals. */
  failedSlot: number;
  statusSlot: number;
}

/** Fingerprint-specific compiled rules. */
export interface FingerprintRules {
  identify: IdentifyRules<CheckEnv>;
  version: VersionSource<CheckEnv>[];
  minConfidence: Exclude<Confidence, 'none'>;
}

/** CVE-specific compiled rules. */
export interface CveRules {
  cves: string[];
  requiresProduct: string;
  fixed: FixedTable | null;
  ranges: RangeSet | null;
  decide: DecideRule<CheckEnv>[];
}

/** Compromise-specific compiled rules. */
export interface CompromiseRules {
  requiresProduct: string;
  decide: CompromiseRule<CheckEnv>[];
}

/** The compiled program of one check. */
export class CheckProgram {
  readonly requests: RequestProgram[];
  /** Initial signal values (false for matchers and `failed`, null for extractors and `status`). */
  readonly initial: readonly Value[];
  readonly fingerprint: FingerprintRules | null;
  readonly cve: CveRules | null;
  readonly compromise: CompromiseRules | null;

  constructor(o: {
    requests: RequestProgram[];
    initial: Value[];
    fingerprint?: FingerprintRules;
    cve?: CveRules;
    compromise?: CompromiseRules;
  }) {
    this.requests = o.requests;
    this.initial = o.initial;
    this.fingerprint = o.fingerprint ?? null;
    this.cve = o.cve ?? null;
    this.compromise = o.compromise ?? null;
  }
}

/** The program of a compiled check; throws when the check was not compiled by this engine. */
export function programOf(c: CompiledCheck): CheckProgram {
  if (!(c.compiled instanceof CheckProgram)) throw new TypeError(`check ${c.id} was not compiled by loadChecks/compileCheck`);
  return c.compiled;
}

/** Sharing key of a request spec. */
export function requestKey(spec: HttpRequestSpec): string {
  let key = `${spec.method} ${spec.path}`;
  if (spec.headers) {
    const hs = Object.entries(spec.headers)
      .map(([k, v]) => `${k.toLowerCase()}:${v}`)
      .sort();
    for (const h of hs) key += `\n${h}`;
  }
  return key;
}
