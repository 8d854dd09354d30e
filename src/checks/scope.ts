/**
 * Name resolution for expressions: which variables and functions exist where.
 * - response scope (`expr` matchers): status, length, header_count, content_length, framing,
 *   location_same_host; has_header('n'), header('n').
 * - check scope (`when`, identify, decide): the check's signals, built-in host facts, in_range.
 * - everywhere: version_lt(a, b), version_ge(a, b), present(x).
 */
import { compareVersions } from '../classify/versions.js';
import type { CompiledArg, Evaluator, Scope, Value } from './expr.js';
import type { ResponseView } from './response.js';

/** Host facts readable from check expressions. */
export type Builtin =
  | 'version'
  | 'branch'
  | 'build_date'
  | 'product'
  | 'product_confidence'
  | 'fixed'
  | 'fixed_build'
  | 'eol'
  | 'unassessed';

export const ALL_BUILTINS: readonly Builtin[] = [
  'version',
  'branch',
  'build_date',
  'product',
  'product_confidence',
  'fixed',
  'fixed_build',
  'eol',
  'unassessed',
];
/** Facts a fingerprint check's `when` may read (live, from its own signals so far). */
export const FINGERPRINT_BUILTINS: ReadonlySet<Builtin> = new Set(['version', 'branch', 'build_date', 'product', 'product_confidence']);
export const CVE_BUILTINS: ReadonlySet<Builtin> = new Set(ALL_BUILTINS);
/** Facts a compromise check reads (the host's, after the fingerprints; no fixed-build table). */
export const COMPROMISE_BUILTINS: ReadonlySet<Builtin> = FINGERPRINT_BUILTINS;
export const NO_BUILTINS: ReadonlySet<Builtin> = new Set();

/** Provider of host facts at run time. */
export interface Facts {
  get(name: Builtin): Value;
  inRange(name: string): boolean;
}

/** Environment of check-level expressions: the check's signal slots plus host facts. */
export interface CheckEnv {
  sig: Value[];
  facts: Facts;
}

/** Response variables of `expr` matchers (name → reader); exported for the docs. */
export const RESPONSE_VARIABLES: Record<string, (v: ResponseView) => Value> = {
  status: (v) => v.res.status,
  length: (v) => v.res.body.length,
  header_count: (v) => v.res.headerCount,
  content_length: (v) => v.contentLength,
  framing: (v) => v.res.framing,
  location_same_host: (v) => v.locationSameHost,
};

function arity(name: string, args: unknown[], n: number): string | null {
  return args.length === n ? null : `${name}() takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`;
}

/** Functions available in every scope. Returns undefined when `name` is not one of them. */
function commonCall<E>(name: string, args: CompiledArg<E>[]): Evaluator<E> | string | undefined {
  switch (name) {
    case 'version_lt':
    case 'version_ge': {
      const bad = arity(name, args, 2);
      if (bad) return bad;
      const [a, b] = args.map((x) => x.eval);
      const lt = name === 'version_lt';
      return (env) => {
        const va = a(env);
        const vb = b(env);
        const c = compareVersions(typeof va === 'string' ? va : null, typeof vb === 'string' ? vb : null);
        return c === null ? false : lt ? c < 0 : c >= 0;
      };
    }
    case 'present': {
      const bad = arity(name, args, 1);
      if (bad) return bad;
      const a = args[0].eval;
      return (env) => {
        const v = a(env);
        return v !== null && v !== false && v !== '';
      };
    }
    default:
      return undefined;
  }
}

function literalString<E>(name: string, args: CompiledArg<E>[]): string {
  const bad = arity(name, args, 1);
  if (bad) throw new Error(bad);
  if (typeof args[0].literal !== 'string') throw new Error(`${name}() takes a quoted name, e.g. ${name}('location')`);
  return args[0].literal;
}

/** Scope of `expr` matchers. */
export const responseScope: Scope<ResponseView> = {
  ident(name) {
    const r = RESPONSE_VARIABLES[name];
    if (r) return r;
    return `unknown identifier '${name}' (response variables: ${Object.keys(RESPONSE_VARIABLES).join(', ')})`;
  },
  call(name, args) {
    if (name === 'has_header' || name === 'header') {
      let h: string;
      try {
        h = literalString(name, args).toLowerCase();
      } catch (e) {
        return (e as Error).message;
      }
      if (name === 'has_header') return (v) => v.headerValue(h) !== null;
      return (v) => v.headerValue(h);
    }
    return commonCall(name, args) ?? `unknown function '${name}' (available: has_header, header, version_lt, version_ge, present)`;
  },
};

/** A signal slot declared by a request. */
export interface SignalDecl {
  slot: number;
  /** Index of the declaring request. */
  request: number;
  requestId: string;
}

/** The signal table of one check. */
export interface SignalTable {
  /** `<requestId>.<name>` → slot. */
  qualified: Map<string, SignalDecl>;
  /** `<name>` → every declaration of that name across the check. */
  unqualified: Map<string, SignalDecl[]>;
}

/** Options of a check-level scope. */
export interface CheckScopeOptions {
  signals: SignalTable;
  builtins: ReadonlySet<Builtin>;
  /** Only signals of requests with an index below this are visible (for `when`). */
  before?: number;
  /** Named ranges (cve checks); in_range is unavailable without them. */
  hasRange?: (name: string) => boolean;
  /** Where this expression is, for messages (e.g. `identify`). */
  context: string;
}

/** Build the scope of a check-level expression. */
export function checkScope(o: CheckScopeOptions): Scope<CheckEnv> {
  const visible = (d: SignalDecl): boolean => o.before === undefined || d.request < o.before;
  const slotReader =
    (slot: number): Evaluator<CheckEnv> =>
    (env) =>
      env.sig[slot];
  return {
    ident(name) {
      if ((ALL_BUILTINS as readonly string[]).includes(name)) {
        const b = name as Builtin;
        if (!o.builtins.has(b)) return `'${name}' is not available in ${o.context}`;
        return (env) => env.facts.get(b);
      }
      if (name.includes('.')) {
        const d = o.signals.qualified.get(name);
        if (!d) return `unknown identifier '${name}'`;
        if (!visible(d)) return `'${name}' is a signal of request '${d.requestId}', which has not run yet at this point`;
        return slotReader(d.slot);
      }
      const list = o.signals.unqualified.get(name);
      if (!list || list.length === 0) return `unknown identifier '${name}'`;
      if (list.length > 1) {
        return `ambiguous identifier '${name}' (set by requests ${list.map((d) => d.requestId).join(', ')}): write <request>.${name}`;
      }
      if (!visible(list[0])) return `'${name}' is a signal of request '${list[0].requestId}', which has not run yet at this point`;
      return slotReader(list[0].slot);
    },
    call(name, args) {
      if (name === 'in_range') {
        if (!o.hasRange) return `in_range() is only available in cve checks with versions.ranges`;
        let r: string;
        try {
          r = literalString(name, args);
        } catch (e) {
          return (e as Error).message;
        }
        if (!o.hasRange(r)) return `in_range('${r}'): no range '${r}' in versions.ranges`;
        return (env) => env.facts.inRange(r);
      }
      if (name === 'has_header' || name === 'header') return `${name}() is only available in expr matchers`;
      return commonCall(name, args) ?? `unknown function '${name}' (available: in_range, version_lt, version_ge, present)`;
    },
  };
}
