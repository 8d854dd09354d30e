/**
 * CVE classification of `cve` checks: the ordered `decide` rules (first true rule wins) and the
 * `why` sentence templates with `{placeholder}` interpolation. Templates are compiled once.
 */

import { type Evaluator, truthy, type Value } from '../checks/expr.js';
import type { CveState } from '../scan/record.js';

/** A compiled `why` template: fills placeholders from a lookup. */
export type WhyTemplate = (lookup: (name: string) => Value) => string;

const MAX_FILLED = 120;

/**
 * Compile a `why` template such as `build {version} ≥ first fixed build {fixed_build}`.
 * Throws an Error naming the placeholder when it is not in `allowed`. Null values print as `unknown`.
 */
export function compileWhy(template: string, allowed: ReadonlySet<string>): WhyTemplate {
  const parts: Array<string | { name: string }> = [];
  const re = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    if (!allowed.has(m[1])) throw new Error(`unknown placeholder {${m[1]}} (allowed: ${[...allowed].map((a) => `{${a}}`).join(', ')})`);
    if (m.index > last) parts.push(template.slice(last, m.index));
    parts.push({ name: m[1] });
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (parts.every((p) => typeof p === 'string')) {
    const fixed = template;
    return () => fixed;
  }
  return (lookup) => {
    let s = '';
    for (const p of parts) {
      if (typeof p === 'string') s += p;
      else {
        const v = lookup(p.name);
        s += v === null || v === '' ? 'unknown' : String(v).slice(0, MAX_FILLED);
      }
    }
    return s;
  };
}

/** One compiled decide rule. */
export interface DecideRule<E> {
  when: Evaluator<E>;
  state: CveState;
  why: WhyTemplate;
  /** When this rule fires the host is shown not to be the product (a look-alike). */
  disprovesProduct?: boolean;
}

/** Outcome of the decide rules. */
export interface Decision {
  state: CveState;
  why: string;
  /** Index of the rule that fired, or -1 when none did. */
  rule: number;
  disprovesProduct: boolean;
}

/** Evaluate rules in order; when none fires the state is `unknown`. */
export function decide<E>(rules: readonly DecideRule<E>[], env: E, lookup: (name: string) => Value): Decision {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i];
    if (truthy(r.when(env))) return { state: r.state, why: r.why(lookup), rule: i, disprovesProduct: r.disprovesProduct === true };
  }
  return { state: 'unknown', why: 'no decide rule matched', rule: -1, disprovesProduct: false };
}
