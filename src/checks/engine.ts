/**
 * The check engine: runs compiled checks against one host over its HostSession.
 *
 * Order: fingerprint checks (their `when` may read live facts such as `version` and
 * `product_confidence` computed from the signals so far), then each cve check whose
 * `requires.product` matches the identified product (otherwise the CVE is `not_applicable` and
 * nothing is sent), then each compromise check whose `requires.product` matches — whatever the
 * CVE states, but not on a host a cve rule showed to be a look-alike (otherwise nothing is sent
 * and the host's `compromised` stays `unknown`). Identical requests (method + path + headers) are sent once per host and
 * their response (or failure) is reused by every check that asks for them.
 *
 * Failures: the session rejects with NetError-like objects carrying `.failure`. A failure of the
 * first request (nothing answered yet) or any `too_large` failure ends the host with
 * `verdict.failure`; other failures are recorded in the evidence, set `<request>.failed`, and the
 * affected checks fall through their rules (usually to `unknown`).
 */
import { combineCompromise, decideCompromise } from '../classify/compromise.js';
import { decide } from '../classify/cve.js';
import { CONFIDENCE_RANK, type Confidence, identify, resolveVersion, type VersionResult } from '../classify/fingerprint.js';
import { branchOf } from '../classify/versions.js';
import type { HostSession, ProbeFailure } from '../net/types.js';
import { type CompromiseState, type CveState, type EvidenceItem, REASON_CODES, type ReasonCode } from '../scan/record.js';
import { boundEvidence, DEFAULT_MAX_EVIDENCE, failureEvidence, responseEvidence } from './evidence.js';
import { truthy, type Value } from './expr.js';
import {
  type CheckProgram,
  type CompromiseRules,
  type CveRules,
  type FingerprintRules,
  programOf,
  type RequestProgram,
} from './program.js';
import { ResponseView } from './response.js';
import type { Builtin, CheckEnv, Facts } from './scope.js';
import type { CheckEngine, CompiledCheck, HostVerdict } from './types.js';

/** Engine options. */
export interface EngineOptions {
  /** Approximate bytes of evidence kept per host (default 8 KiB). */
  maxEvidence?: number;
}

const REASONS: ReadonlySet<string> = new Set(REASON_CODES);

/** Read `err.failure` duck-typed; anything else becomes an `internal` failure. */
export function failureOf(err: unknown): ProbeFailure {
  const f = (err as { failure?: Partial<ProbeFailure> } | null)?.failure;
  if (f && typeof f.reason === 'string' && REASONS.has(f.reason)) {
    return { reason: f.reason as ReasonCode, phase: f.phase ?? 'request', detail: typeof f.detail === 'string' ? f.detail : f.reason };
  }
  return { reason: 'internal', phase: 'request', detail: err instanceof Error ? err.message : String(err) };
}

type Outcome = { view: ResponseView; ev: EvidenceItem } | { failure: ProbeFailure; ev: EvidenceItem };

interface FingerprintOutcome {
  check: CompiledCheck;
  confidence: Confidence;
  product: string | null;
  vetoed: boolean;
  version: VersionResult;
}

/** Live facts for a fingerprint check's `when`: computed from its signals so far. */
class LiveFacts implements Facts {
  constructor(
    private readonly rules: FingerprintRules,
    private readonly product: string,
    private readonly env: () => CheckEnv,
  ) {}
  get(name: Builtin): Value {
    const env = this.env();
    switch (name) {
      case 'version':
        return resolveVersion(this.rules.version, env).version;
      case 'branch':
        return branchOf(resolveVersion(this.rules.version, env).version);
      case 'build_date':
        return resolveVersion(this.rules.version, env).buildDate;
      case 'product_confidence':
        return identify(this.rules.identify, env);
      case 'product': {
        const c = identify(this.rules.identify, env);
        return CONFIDENCE_RANK[c] >= CONFIDENCE_RANK[this.rules.minConfidence] ? this.product : null;
      }
      default:
        return null;
    }
  }
  inRange(): boolean {
    return false;
  }
}

/** Final host facts for cve checks. */
class HostFacts implements Facts {
  readonly values: Record<Builtin, Value>;
  constructor(
    v: HostVerdict,
    private readonly rules: CveRules,
  ) {
    const ans = rules.fixed ? rules.fixed.check(v.version) : { fixed: v.version === null ? null : true, fixedBuild: null };
    this.values = {
      version: v.version,
      branch: branchOf(v.version),
      build_date: v.build_date,
      product: v.product,
      product_confidence: v.product_confidence,
      fixed: ans.fixed,
      fixed_build: ans.fixedBuild,
      eol: ans.eol === true,
      unassessed: ans.unassessed === true,
    };
  }
  get(name: Builtin): Value {
    return this.values[name];
  }
  inRange(name: string): boolean {
    return this.rules.ranges ? this.rules.ranges.contains(name, this.values.version as string | null) : false;
  }
}

/** Host facts for compromise checks (as identified; no fixed-build table). */
class CompromiseFacts implements Facts {
  readonly values: Record<Builtin, Value>;
  constructor(v: HostVerdict) {
    this.values = {
      version: v.version,
      branch: branchOf(v.version),
      build_date: v.build_date,
      product: v.product,
      product_confidence: v.product_confidence,
      fixed: null,
      fixed_build: null,
      eol: null,
      unassessed: null,
    };
  }
  get(name: Builtin): Value {
    return this.values[name];
  }
  inRange(): boolean {
    return false;
  }
}

/** State of one host run. */
class HostRun {
  readonly cache = new Map<string, Outcome>();
  /** Requests sent ahead (pipelined); null when the session dropped one because an earlier failed. */
  private readonly pending = new Map<string, Promise<Outcome | null>>();
  readonly evidence: EvidenceItem[] = [];
  answered = false;
  /** Requests issued so far (the first one's failure ends the host). */
  private issued = 0;
  fatal: { reason: ReasonCode; detail: string } | null = null;

  constructor(
    private readonly session: HostSession,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /**
   * Send ahead the requests of `checks` that have no `when` (they are sent whatever the answers
   * before them), so the session pipelines them on one connection in one write. They are
   * speculative: if an earlier request fails they are dropped and sent again only if still wanted.
   */
  prefetch(checks: ReadonlyArray<{ check: CompiledCheck; prog: CheckProgram }>): void {
    if (this.fatal) return;
    for (const { check, prog } of checks) {
      for (const req of prog.requests) {
        if (req.when !== null || this.cache.has(req.key) || this.pending.has(req.key)) continue;
        const sent = this.send(check, req, this.issued > 0);
        sent.catch(() => {}); // awaited where used; an abort must not surface as unhandled
        this.pending.set(req.key, sent);
      }
    }
  }

  private async send(check: CompiledCheck, req: RequestProgram, speculative = false): Promise<Outcome | null> {
    this.signal?.throwIfAborted();
    const first = this.issued++ === 0;
    let out: Outcome;
    try {
      const res = await this.session.request(req.spec, speculative ? { speculative: true } : undefined);
      this.answered = true;
      out = { view: new ResponseView(res, this.session.target), ev: responseEvidence(check.id, req.id, res) };
    } catch (err) {
      this.signal?.throwIfAborted();
      if (speculative && (err as { code?: string } | null)?.code === 'EW_NET_DROPPED') {
        this.pending.delete(req.key);
        return null;
      }
      const failure = failureOf(err);
      out = { failure, ev: failureEvidence(check.id, req.id, `${req.spec.method} ${req.spec.path} HTTP/1.1`, failure) };
      if (failure.reason === 'too_large' || (first && !this.answered)) {
        this.fatal = { reason: failure.reason, detail: failure.detail };
      }
    }
    this.evidence.push(out.ev);
    this.cache.set(req.key, out);
    this.pending.delete(req.key);
    return out;
  }

  /**
   * Wait for requests sent ahead that no check consumed (their evidence belongs to this host).
   * Nothing is sent ahead after this, so one pass settles them all; entries are then forgotten
   * whatever became of them (an abort rejects without clearing its own).
   */
  async settle(): Promise<void> {
    if (this.pending.size === 0) return;
    await Promise.allSettled([...this.pending.values()]);
    this.pending.clear();
  }

  /** The outcome of a request: cached, sent ahead, or sent now. */
  private async outcome(check: CompiledCheck, req: RequestProgram): Promise<Outcome | null> {
    const hit = this.cache.get(req.key);
    if (hit) return hit;
    const ahead = this.pending.get(req.key);
    if (ahead) {
      const out = await ahead;
      if (out) return out;
    }
    if (this.fatal) return null;
    return this.cache.get(req.key) ?? this.send(check, req);
  }

  /** Run a check's requests in order, filling its signal slots. */
  async runRequests(check: CompiledCheck, prog: CheckProgram, env: CheckEnv): Promise<void> {
    for (const req of prog.requests) {
      if (this.fatal) return;
      if (req.when && !truthy(req.when(env))) continue;
      const out = await this.outcome(check, req);
      if (out === null) return;
      if ('failure' in out) {
        env.sig[req.failedSlot] = true;
        continue;
      }
      const view = out.view;
      env.sig[req.statusSlot] = view.res.status;
      let matched: string[] | undefined;
      for (const m of req.matchers) {
        const hit = m.test(view);
        env.sig[m.slot] = hit;
        if (hit) {
          matched ??= [];
          matched.push(m.name);
        }
      }
      let extracted: Record<string, string> | undefined;
      for (const x of req.extractors) {
        const v = x.extract(view);
        env.sig[x.slot] = v;
        if (v !== null) {
          extracted ??= {};
          extracted[x.name] = v;
        }
      }
      if (matched) {
        const prev = out.ev.matched;
        out.ev.matched = prev ? [...prev, ...matched.filter((m) => !prev.includes(m))] : matched;
      }
      if (extracted) out.ev.extracted = out.ev.extracted ? { ...out.ev.extracted, ...extracted } : extracted;
    }
  }
}

function emptyVerdict(): HostVerdict {
  return {
    answered: false,
    failure: null,
    product: null,
    product_confidence: 'none',
    version: null,
    version_source: null,
    build_date: null,
    cve: {},
    why: {},
    compromised: 'unknown',
    indicators: [],
    compromise_why: {},
    evidence: [],
  };
}

class Engine implements CheckEngine {
  readonly checks: readonly CompiledCheck[];
  private readonly fingerprints: Array<{ check: CompiledCheck; prog: CheckProgram; rules: FingerprintRules }>;
  private readonly cves: Array<{ check: CompiledCheck; prog: CheckProgram; rules: CveRules }>;
  private readonly compromises: Array<{ check: CompiledCheck; prog: CheckProgram; rules: CompromiseRules }>;
  private readonly maxEvidence: number;
  /**
   * Per product, the checks whose unconditional requests are sent ahead once a host is identified
   * as it: the compromise checks first, the CVE checks last (a CVE probe may meet a responder that
   * closes the connection, the CTX267679 bare 403).
   */
  private readonly aheadByProduct = new Map<string, Array<{ check: CompiledCheck; prog: CheckProgram }>>();

  constructor(checks: readonly CompiledCheck[], opts: EngineOptions) {
    this.fingerprints = [];
    this.cves = [];
    this.compromises = [];
    for (const check of checks) {
      const prog = programOf(check);
      if (prog.fingerprint) this.fingerprints.push({ check, prog, rules: prog.fingerprint });
      else if (prog.cve) this.cves.push({ check, prog, rules: prog.cve });
      else if (prog.compromise) this.compromises.push({ check, prog, rules: prog.compromise });
    }
    this.checks = [...this.fingerprints.map((f) => f.check), ...this.cves.map((c) => c.check), ...this.compromises.map((c) => c.check)];
    this.maxEvidence = opts.maxEvidence ?? DEFAULT_MAX_EVIDENCE;
    for (const c of [...this.compromises, ...this.cves]) {
      const list = this.aheadByProduct.get(c.rules.requiresProduct) ?? [];
      list.push(c);
      this.aheadByProduct.set(c.rules.requiresProduct, list);
    }
  }

  async runHost(session: HostSession, signal?: AbortSignal): Promise<HostVerdict> {
    const run = new HostRun(session, signal);
    const v = emptyVerdict();
    const outcomes: FingerprintOutcome[] = [];
    let identifiedAs: string | null = null;
    for (const { check, prog, rules } of this.fingerprints) {
      // One fingerprint per host: once a product is identified (at the fingerprint's
      // product_min_confidence), fingerprints of other products (other vendors) send nothing.
      // File order decides which fingerprint asks first.
      if (identifiedAs !== null && check.info.product !== identifiedAs) continue;
      const env: CheckEnv = { sig: prog.initial.slice(), facts: null as unknown as Facts };
      env.facts = new LiveFacts(rules, check.info.product, () => env);
      run.prefetch([{ check, prog }]);
      await run.runRequests(check, prog, env);
      const vetoed = rules.identify.veto !== null && truthy(rules.identify.veto(env));
      const confidence = identify(rules.identify, env);
      const product = CONFIDENCE_RANK[confidence] >= CONFIDENCE_RANK[rules.minConfidence] ? check.info.product : null;
      outcomes.push({ check, confidence, product, vetoed, version: resolveVersion(rules.version, env) });
      if (run.fatal) break;
      if (product !== null) identifiedAs ??= product;
    }
    let best: FingerprintOutcome | null = null;
    for (const o of outcomes) if (!best || CONFIDENCE_RANK[o.confidence] > CONFIDENCE_RANK[best.confidence]) best = o;
    if (best && best.confidence !== 'none') {
      v.product = best.product;
      v.product_confidence = best.confidence;
      v.version = best.version.version;
      v.version_source = best.version.source;
      v.build_date = best.version.buildDate;
    }
    const vetoed = outcomes.some((o) => o.vetoed);
    let disproved: { product: string; by: string; why: string } | null = null;
    if (v.product !== null && !vetoed) {
      // Everything the identified product's checks send unconditionally, in one pipelined write.
      const ahead = this.aheadByProduct.get(v.product);
      if (ahead) run.prefetch(ahead);
    }

    if (!run.fatal) {
      for (const { check, prog, rules } of this.cves) {
        const ids = rules.cves;
        if (disproved && disproved.product === rules.requiresProduct) {
          for (const id of ids) {
            v.cve[id] = 'not_applicable';
            v.why[id] = `not a ${rules.requiresProduct}: ${disproved.by} showed a look-alike (${disproved.why}); nothing sent`;
          }
          continue;
        }
        if (v.product !== rules.requiresProduct) {
          const why = vetoed
            ? `not a ${rules.requiresProduct}: the fingerprint veto fired (catch-all or look-alike server); nothing sent`
            : v.product !== null
              ? `the host is a ${v.product}, not a ${rules.requiresProduct}; nothing sent`
              : `not identified as ${rules.requiresProduct} (confidence ${v.product_confidence}); nothing sent`;
          for (const id of ids) {
            v.cve[id] = 'not_applicable';
            v.why[id] = why;
          }
          continue;
        }
        const facts = new HostFacts(v, rules);
        const env: CheckEnv = { sig: prog.initial.slice(), facts };
        await run.runRequests(check, prog, env);
        if (run.fatal) break;
        const d = decide(rules.decide, env, (name) => facts.values[name as Builtin] ?? null);
        for (const id of ids) {
          v.cve[id] = d.state as CveState;
          v.why[id] = d.why;
        }
        if (d.disprovesProduct && v.product !== null) {
          disproved = { product: v.product, by: check.id, why: d.why };
          // Checks of the same product that already ran decided on a look-alike: not applicable.
          for (const other of this.cves) {
            if (other.check === check || other.rules.requiresProduct !== v.product) continue;
            for (const id of other.rules.cves) {
              if (v.cve[id] === undefined) continue;
              v.cve[id] = 'not_applicable';
              v.why[id] = `not a ${v.product}: ${check.id} showed a look-alike (${d.why})`;
            }
          }
        }
      }
    }
    if (disproved) {
      // A look-alike (e.g. a CVE honeypot): it copied the product's pages but not its behaviour.
      v.product = null;
      v.product_confidence = 'weak';
      v.version = null;
      v.version_source = null;
      v.build_date = null;
    }
    if (!run.fatal && this.compromises.length > 0) await this.runCompromise(run, v);

    await run.settle();
    v.answered = run.answered;
    v.failure = run.fatal;
    boundEvidence(run.evidence, this.maxEvidence);
    v.evidence = run.evidence;
    return v;
  }

  /** Compromise checks on a host identified as their product; fills compromised, indicators, compromise_why. */
  private async runCompromise(run: HostRun, v: HostVerdict): Promise<void> {
    const states: CompromiseState[] = [];
    let facts: CompromiseFacts | null = null;
    for (const { check, prog, rules } of this.compromises) {
      if (v.product !== rules.requiresProduct) continue; // not the product: nothing sent, stays unknown
      facts ??= new CompromiseFacts(v);
      const env: CheckEnv = { sig: prog.initial.slice(), facts };
      await run.runRequests(check, prog, env);
      if (run.fatal) {
        v.compromise_why[check.id] = `the host stopped answering (${run.fatal.reason}) before the indicators were checked`;
        states.push('unknown');
        break;
      }
      const f = facts;
      const d = decideCompromise(rules.decide, env, (name) => f.values[name as Builtin] ?? null);
      states.push(d.state);
      v.compromise_why[check.id] = d.why;
      for (const fired of d.fired) {
        const req = prog.requests[fired.request];
        const out = run.cache.get(req.key);
        v.indicators.push({
          check: check.id,
          id: req.id,
          request: out?.ev.request ?? `${req.spec.method} ${req.spec.path} HTTP/1.1`,
          status: out && 'view' in out ? out.view.res.status : null,
          why: fired.why,
        });
      }
    }
    v.compromised = combineCompromise(states);
  }
}

/** Create an engine over compiled checks (fingerprint checks run first, then cve checks, then compromise checks). */
export function createEngine(checks: readonly CompiledCheck[], opts: EngineOptions = {}): CheckEngine {
  return new Engine(checks, opts);
}
