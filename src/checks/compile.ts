/**
 * Semantic compilation of a schema-valid check definition into a CheckProgram: signal slots,
 * regexes, expressions (resolved against the check's signals and the built-in facts), version
 * tables, fixed-build tables and decide rules. Every problem is reported with its YAML path;
 * compilation goes on after a problem so one run reports as many as it can.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CompromiseRule } from '../classify/compromise.js';
import { compileWhy } from '../classify/cve.js';
import type { IdentifyRules, VersionSource } from '../classify/fingerprint.js';
import { FixedTable, RangeSet } from '../classify/fixed.js';
import { loadVersionTable } from '../classify/tables.js';
import { compileExpr, type Evaluator, type Value } from './expr.js';
import { compileExtractor, compileMatcher, compileRegex, DefError } from './matchers.js';
import { CheckProgram, type RequestProgram, requestKey } from './program.js';
import type { CheckDef, CompromiseCheckDef, CveCheckDef, FingerprintCheckDef } from './schema.js';
import {
  ALL_BUILTINS,
  type Builtin,
  type CheckEnv,
  COMPROMISE_BUILTINS,
  CVE_BUILTINS,
  checkScope,
  FINGERPRINT_BUILTINS,
  NO_BUILTINS,
  type SignalDecl,
  type SignalTable,
} from './scope.js';
import type { CompiledCheck } from './types.js';

type Path = Array<string | number>;

/** Where compile problems go. */
export interface CompileContext {
  file: string;
  /** Directory holding version tables (`<name>.csv`). */
  dataDir: string;
  issue(path: Path, message: string): void;
}

const IMPLICIT = ['failed', 'status'];

function buildSignals(def: CheckDef, ctx: CompileContext): { table: SignalTable; initial: Value[]; slots: Map<string, number> } {
  const qualified = new Map<string, SignalDecl>();
  const unqualified = new Map<string, SignalDecl[]>();
  const initial: Value[] = [];
  const slots = new Map<string, number>();
  const ids = new Set<string>();
  def.requests.forEach((r, ri) => {
    if (ids.has(r.id)) ctx.issue(['requests', ri, 'id'], `duplicate request id '${r.id}'`);
    ids.add(r.id);
    const add = (name: string, init: Value, path: Path | null): void => {
      const q = `${r.id}.${name}`;
      if (qualified.has(q)) {
        if (path) ctx.issue(path, `duplicate signal '${name}' in request '${r.id}'`);
        return;
      }
      const decl = { slot: initial.length, request: ri, requestId: r.id };
      initial.push(init);
      qualified.set(q, decl);
      slots.set(q, decl.slot);
      if (path) unqualified.set(name, [...(unqualified.get(name) ?? []), decl]);
    };
    const named = (name: string, path: Path): boolean => {
      if ((ALL_BUILTINS as readonly string[]).includes(name) || IMPLICIT.includes(name) || ['true', 'false', 'null'].includes(name)) {
        ctx.issue(path, `'${name}' is a reserved name`);
        return false;
      }
      return true;
    };
    add('failed', false, null);
    add('status', null, null);
    (r.matchers ?? []).forEach((m, mi) => {
      if (named(m.name, ['requests', ri, 'matchers', mi, 'name'])) add(m.name, false, ['requests', ri, 'matchers', mi, 'name']);
    });
    (r.extractors ?? []).forEach((e, ei) => {
      if (named(e.name, ['requests', ri, 'extractors', ei, 'name'])) add(e.name, null, ['requests', ri, 'extractors', ei, 'name']);
    });
  });
  return { table: { qualified, unqualified }, initial, slots };
}

function expr(ctx: CompileContext, path: Path, src: string, scope: ReturnType<typeof checkScope>): Evaluator<CheckEnv> | null {
  try {
    return compileExpr(src, scope);
  } catch (e) {
    ctx.issue(path, (e as Error).message);
    return null;
  }
}

function compileRequests(
  def: CheckDef,
  ctx: CompileContext,
  signals: SignalTable,
  slots: Map<string, number>,
  cve: { hasRange?: (n: string) => boolean },
): RequestProgram[] {
  const builtins: ReadonlySet<Builtin> =
    def.kind === 'cve' ? CVE_BUILTINS : def.kind === 'compromise' ? COMPROMISE_BUILTINS : FINGERPRINT_BUILTINS;
  return def.requests.map((r, ri) => {
    const when =
      r.when === undefined
        ? null
        : expr(
            ctx,
            ['requests', ri, 'when'],
            r.when,
            checkScope({ signals, builtins, before: ri, hasRange: cve.hasRange, context: `requests[${ri}].when` }),
          );
    const matchers = (r.matchers ?? []).flatMap((m, mi) => {
      try {
        return [compileMatcher(m, slots.get(`${r.id}.${m.name}`) ?? -1)];
      } catch (e) {
        const sub = e instanceof DefError ? e.subPath : [];
        ctx.issue(['requests', ri, 'matchers', mi, ...sub], (e as Error).message);
        return [];
      }
    });
    const extractors = (r.extractors ?? []).flatMap((x, xi) => {
      try {
        return [compileExtractor(x, slots.get(`${r.id}.${x.name}`) ?? -1)];
      } catch (e) {
        const sub = e instanceof DefError ? e.subPath : [];
        ctx.issue(['requests', ri, 'extractors', xi, ...sub], (e as Error).message);
        return [];
      }
    });
    const spec = { method: r.method, path: r.path, ...(r.headers ? { headers: { ...r.headers } } : {}) };
    return {
      id: r.id,
      spec,
      key: requestKey(spec),
      when,
      matchers,
      extractors,
      failedSlot: slots.get(`${r.id}.failed`) ?? -1,
      statusSlot: slots.get(`${r.id}.status`) ?? -1,
    };
  });
}

function compileFingerprint(def: FingerprintCheckDef, ctx: CompileContext): CheckProgram {
  const { table, initial, slots } = buildSignals(def, ctx);
  const requests = compileRequests(def, ctx, table, slots, {});
  const ruleScope = (context: string) => checkScope({ signals: table, builtins: NO_BUILTINS, context });
  const identify: IdentifyRules<CheckEnv> = { veto: null, certain: null, strong: null, weak: null };
  for (const level of ['veto', 'certain', 'strong', 'weak'] as const) {
    const src = def.identify[level];
    if (src !== undefined) identify[level] = expr(ctx, ['identify', level], src, ruleScope(`identify.${level}`));
  }
  const version: VersionSource<CheckEnv>[] = [];
  (def.version ?? []).forEach((s, si) => {
    const from = expr(ctx, ['version', si, 'from'], s.from, ruleScope(`version[${si}].from`));
    if (!from) return;
    if (s.table !== undefined && s.key !== undefined) {
      const file = join(ctx.dataDir, `${s.table}.csv`);
      if (!existsSync(file)) {
        ctx.issue(['version', si, 'table'], `unknown table '${s.table}' (no ${file})`);
        return;
      }
      try {
        const t = loadVersionTable(s.table, file);
        const col = t.column(s.key);
        if (!col) {
          ctx.issue(['version', si, 'key'], `table '${s.table}' has no column '${s.key}'`);
          return;
        }
        version.push({ source: s.source, from, table: { table: t, key: col, epochKey: col === 'rdx_en_stamp' } });
      } catch (e) {
        ctx.issue(['version', si, 'table'], (e as Error).message);
      }
    } else if (s.pattern !== undefined && s.format !== undefined) {
      try {
        version.push({ source: s.source, from, pattern: { re: compileRegex(s.pattern), format: s.format } });
      } catch (e) {
        ctx.issue(['version', si, 'pattern'], (e as Error).message);
      }
    }
  });
  return new CheckProgram({
    requests,
    initial,
    fingerprint: { identify, version, minConfidence: def.product_min_confidence ?? 'strong' },
  });
}

/** Placeholders a `why` sentence may use. */
export const WHY_PLACEHOLDERS: ReadonlySet<string> = new Set([
  'version',
  'branch',
  'build_date',
  'product',
  'product_confidence',
  'fixed_build',
]);

function compileCve(def: CveCheckDef, ctx: CompileContext): CheckProgram {
  const { table, initial, slots } = buildSignals(def, ctx);
  let fixed: FixedTable | null = null;
  let ranges: RangeSet | null = null;
  if (def.versions) {
    try {
      fixed = new FixedTable(def.versions.fixed);
    } catch (e) {
      ctx.issue(['versions', 'fixed'], (e as Error).message);
    }
    if (def.versions.ranges) {
      try {
        ranges = new RangeSet(def.versions.ranges);
      } catch (e) {
        ctx.issue(['versions', 'ranges'], (e as Error).message);
      }
    }
  }
  const hasRange = (n: string): boolean => def.versions?.ranges?.[n] !== undefined;
  const requests = compileRequests(def, ctx, table, slots, { hasRange });
  const decide = def.decide.flatMap((d, di) => {
    const when = expr(
      ctx,
      ['decide', di, 'when'],
      d.when,
      checkScope({ signals: table, builtins: CVE_BUILTINS, hasRange, context: `decide[${di}].when` }),
    );
    try {
      const why = compileWhy(d.why, WHY_PLACEHOLDERS);
      return when ? [{ when, state: d.state, why, disprovesProduct: d.disproves_product === true }] : [];
    } catch (e) {
      ctx.issue(['decide', di, 'why'], (e as Error).message);
      return [];
    }
  });
  return new CheckProgram({
    requests,
    initial,
    cve: { cves: def.info.cves ?? [def.id], requiresProduct: def.requires.product, fixed, ranges, decide },
  });
}

/** Placeholders a compromise rule's `why` may use (no fixed-build facts). */
export const COMPROMISE_WHY_PLACEHOLDERS: ReadonlySet<string> = new Set([
  'version',
  'branch',
  'build_date',
  'product',
  'product_confidence',
]);

function compileCompromise(def: CompromiseCheckDef, ctx: CompileContext): CheckProgram {
  const { table, initial, slots } = buildSignals(def, ctx);
  const requests = compileRequests(def, ctx, table, slots, {});
  const requestIndex = new Map(def.requests.map((r, ri) => [r.id, ri]));
  const decide = def.decide.flatMap((d, di): CompromiseRule<CheckEnv>[] => {
    const state = d.compromised === true ? 'true' : d.compromised === false ? 'false' : d.compromised;
    let indicator: CompromiseRule<CheckEnv>['indicator'] = null;
    let ok = true;
    if (state === 'true') {
      if (d.indicator === undefined) {
        ctx.issue(['decide', di, 'compromised'], 'a compromised: true rule names its indicator request (indicator: <request id>)');
        ok = false;
      } else {
        const ri = requestIndex.get(d.indicator);
        if (ri === undefined) {
          ctx.issue(['decide', di, 'indicator'], `unknown request '${d.indicator}' (requests: ${[...requestIndex.keys()].join(', ')})`);
          ok = false;
        } else indicator = { request: ri, id: d.indicator };
      }
    } else if (d.indicator !== undefined) {
      ctx.issue(['decide', di, 'indicator'], `only a compromised: true rule names an indicator (this rule says ${state})`);
      ok = false;
    }
    const when = expr(
      ctx,
      ['decide', di, 'when'],
      d.when,
      checkScope({ signals: table, builtins: COMPROMISE_BUILTINS, context: `decide[${di}].when` }),
    );
    let why: CompromiseRule<CheckEnv>['why'] | null = null;
    try {
      why = compileWhy(d.why, COMPROMISE_WHY_PLACEHOLDERS);
    } catch (e) {
      ctx.issue(['decide', di, 'why'], (e as Error).message);
    }
    return when && why && ok ? [{ when, state, why, indicator }] : [];
  });
  return new CheckProgram({ requests, initial, compromise: { requiresProduct: def.requires.product, decide } });
}

/**
 * Compile a schema-valid definition. Problems go to `ctx.issue`; the result is null when there
 * were any (the caller decides whether to throw).
 */
export function compileCheckDef(def: CheckDef, ctx: CompileContext): CompiledCheck | null {
  let problems = 0;
  const counting: CompileContext = {
    ...ctx,
    issue: (p, m) => {
      problems++;
      ctx.issue(p, m);
    },
  };
  const program =
    def.kind === 'fingerprint'
      ? compileFingerprint(def, counting)
      : def.kind === 'cve'
        ? compileCve(def, counting)
        : compileCompromise(def, counting);
  if (problems > 0) return null;
  return {
    id: def.id,
    kind: def.kind,
    info: { ...def.info },
    file: ctx.file,
    compiled: program,
  };
}
