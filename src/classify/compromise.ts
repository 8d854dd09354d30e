/**
 * Compromise classification of `compromise` checks (outside-view indicators): the ordered
 * `decide` rules of one check and the combination of several checks into the host's
 * `compromised` flag. Every `compromised: true` rule that holds fires (and names its indicator
 * request); when none does, the first other rule that holds decides `false` or `unknown`.
 */

import { type Evaluator, truthy, type Value } from '../checks/expr.js';
import type { CompromiseState } from '../scan/record.js';
import type { WhyTemplate } from './cve.js';

/** One compiled compromise rule. */
export interface CompromiseRule<E> {
  when: Evaluator<E>;
  state: CompromiseState;
  why: WhyTemplate;
  /** Index and id of the request whose answer is the indicator (`true` rules only), else null. */
  indicator: { request: number; id: string } | null;
}

/** One fired indicator rule. */
export interface FiredIndicator {
  /** Index of the request in the check. */
  request: number;
  id: string;
  why: string;
}

/** Outcome of one compromise check's rules. */
export interface CompromiseDecision {
  state: CompromiseState;
  why: string;
  /** Every `true` rule that held, in rule order, one per indicator request. */
  fired: FiredIndicator[];
}

/**
 * Evaluate a check's rules: all `true` rules that hold fire (state `true`, `why` of the first);
 * otherwise the first `false`/`unknown` rule that holds decides; when none holds, `unknown`.
 */
export function decideCompromise<E>(rules: readonly CompromiseRule<E>[], env: E, lookup: (name: string) => Value): CompromiseDecision {
  let fired: FiredIndicator[] | null = null;
  let other: CompromiseRule<E> | null = null;
  for (const r of rules) {
    if (r.state === 'true') {
      if (r.indicator === null || !truthy(r.when(env))) continue;
      const ind = r.indicator;
      if (fired?.some((f) => f.request === ind.request)) continue;
      fired ??= [];
      fired.push({ request: ind.request, id: ind.id, why: r.why(lookup) });
    } else if (other === null && fired === null && truthy(r.when(env))) {
      other = r;
    }
  }
  if (fired !== null) return { state: 'true', why: fired[0].why, fired };
  if (other !== null) return { state: other.state, why: other.why(lookup), fired: [] };
  return { state: 'unknown', why: 'no decide rule matched', fired: [] };
}

/**
 * The host's flag from its checks' states: `true` if any is true; `unknown` if none ran or any is
 * unknown; `false` only when every check ran and said false.
 */
export function combineCompromise(states: readonly CompromiseState[]): CompromiseState {
  if (states.length === 0) return 'unknown';
  let unknown = false;
  for (const s of states) {
    if (s === 'true') return 'true';
    if (s === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : 'false';
}
