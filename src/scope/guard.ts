/**
 * The scope guard: the single place that decides whether an address may be probed. Checked
 * before any socket is opened. Order: exclusions (they win over everything, including scope and
 * allowReserved) → reserved ranges (default list minus `allowReserved`) → scope (an explicit,
 * required allow-list). Built once; `check` is a string parse plus binary searches, no allocation
 * on the allowed path.
 */
import { EdgewatchError } from '../errors.js';
import { type IpRange, parseCidr, parseCidrList } from './cidr.js';
import { readExcludeFile } from './exclude-file.js';
import { RangeTable4, RangeTable6, subtractRanges } from './intervals.js';
import { mappedIPv4, parseIPv4, parseIPv6 } from './ip.js';
import { RESERVED_RANGES } from './reserved.js';

/** How a ScopeGuard is built. */
export interface ScopeOptions {
  /** CIDRs / addresses that may be probed. Required: empty → EW_SCOPE_REQUIRED. */
  scope: string[];
  /** CIDRs / addresses / ranges never probed (opt-out). Entries may hold comma-separated lists. */
  exclude?: string[];
  /** Exclusion files (one entry per line, `#` comments). */
  excludeFiles?: string[];
  /** Refuse the default reserved ranges (private, loopback, multicast, …). Default true. */
  applyReserved?: boolean;
  /** Reserved ranges lifted from the default list (the lab lifts 127.0.0.0/8 and ::1). */
  allowReserved?: string[];
  /** Label for errors about `scope` entries, e.g. `--scope` or `EDGEWATCH_SCOPE`. Default `scope`. */
  scopeSource?: string;
}

/** Why an address is refused. */
export type RefusalReason = 'out_of_scope' | 'excluded' | 'reserved';

/** Result of a scope check. `rule` is the canonical CIDR that decided; `source` where it came from. */
export type ScopeDecision = { allowed: true } | { allowed: false; reason: RefusalReason; rule: string; source?: string };

const ALLOWED: ScopeDecision = Object.freeze({ allowed: true });
const UNRESOLVED = 'unresolved name';
const NOT_IP = 'not an IP address';
const NOT_AN_IP: ScopeDecision = Object.freeze({ allowed: false, reason: 'out_of_scope', rule: NOT_IP });

function listText(ranges: IpRange[], max = 5): string {
  const shown = ranges
    .slice(0, max)
    .map((r) => r.text)
    .join(', ');
  return ranges.length > max ? `${shown} (+${ranges.length - max} more)` : shown;
}

export class ScopeGuard {
  /** Canonical scope entries. */
  readonly scope: readonly string[];
  private readonly scopeText: string;
  /** scope − exclusions − reserved: one lookup answers the common (allowed) case. */
  private readonly allowed4: RangeTable4;
  private readonly scope4: RangeTable4;
  private readonly scope6: RangeTable6;
  private readonly ex4: RangeTable4;
  private readonly ex6: RangeTable6;
  private readonly res4: RangeTable4 | null;
  private readonly res6: RangeTable6 | null;
  private readonly excludeRules: number;
  private readonly liftedText: string;

  constructor(opts: ScopeOptions) {
    const source = opts.scopeSource ?? 'scope';
    const scope = opts.scope.flatMap((s) => parseCidrList(s, source));
    if (scope.length === 0) {
      throw new EdgewatchError(
        'EW_SCOPE_REQUIRED',
        'no scan scope set: nothing will be probed without one. Pass --scope <CIDR,...> or set EDGEWATCH_SCOPE (for the lab: EDGEWATCH_SCOPE=127.0.0.0/8)',
      );
    }
    const exclude = (opts.exclude ?? []).flatMap((s) => parseCidrList(s, 'exclude'));
    for (const f of opts.excludeFiles ?? []) exclude.push(...readExcludeFile(f));
    const lifted = (opts.allowReserved ?? []).flatMap((s) => parseCidrList(s, 'allowReserved'));

    this.scope = scope.map((r) => r.text);
    this.scopeText = listText(scope);
    this.scope4 = new RangeTable4(scope);
    this.scope6 = new RangeTable6(scope);
    this.ex4 = new RangeTable4(exclude);
    this.ex6 = new RangeTable6(exclude);
    this.excludeRules = exclude.length;
    this.liftedText = listText(lifted);
    let reserved: IpRange[] = [];
    if (opts.applyReserved ?? true) {
      const all = RESERVED_RANGES.map((b) => parseCidr(b.cidr, `reserved: ${b.why}`));
      reserved = lifted.length > 0 ? subtractRanges(all, lifted) : all;
      this.res4 = new RangeTable4(reserved);
      this.res6 = new RangeTable6(reserved);
    } else {
      this.res4 = null;
      this.res6 = null;
    }
    this.allowed4 = new RangeTable4(scope, [...exclude, ...reserved]);
  }

  /** Decides whether `ip` (an IPv4 or IPv6 literal) may be probed. Non-IP input is refused. */
  check(ip: string): ScopeDecision {
    const v4 = parseIPv4(ip);
    if (v4 >= 0) return this.check4(v4);
    if (ip.indexOf(':') < 0) return NOT_AN_IP;
    const v6 = parseIPv6(ip);
    if (v6 === null) return NOT_AN_IP;
    const m = mappedIPv4(v6);
    return m >= 0 ? this.check4(m) : this.check6(v6);
  }

  /** Like `check`, for a target; a target without an address (unresolved name) is refused. */
  checkTarget(t: { ip?: string }): ScopeDecision {
    return t.ip === undefined ? { allowed: false, reason: 'out_of_scope', rule: UNRESOLVED } : this.check(t.ip);
  }

  /** Throws EW_SCOPE_REFUSED with the refusal message unless `ip` is allowed. */
  assertAllowed(ip: string, port?: number, host?: string): void {
    const d = this.check(ip);
    if (!d.allowed) {
      throw new EdgewatchError('EW_SCOPE_REFUSED', formatRefusal({ ip, port, host }, d));
    }
  }

  /** One line describing the guard, for logs and `--dry-run`. */
  summary(): string {
    const reserved =
      this.res4 === null ? 'reserved ranges NOT refused' : `reserved ranges refused${this.liftedText ? ` except ${this.liftedText}` : ''}`;
    return `scope ${this.scopeText}; ${this.excludeRules} exclusion rule${this.excludeRules === 1 ? '' : 's'}; ${reserved}`;
  }

  private check4(n: number): ScopeDecision {
    if (this.allowed4.indexOf(n) >= 0) return ALLOWED;
    const ex = this.ex4.find(n);
    if (ex) return { allowed: false, reason: 'excluded', rule: ex.text, source: ex.origin };
    if (this.res4 !== null) {
      const r = this.res4.find(n);
      if (r) return { allowed: false, reason: 'reserved', rule: r.text, source: r.origin };
    }
    if (this.scope4.indexOf(n) < 0) return { allowed: false, reason: 'out_of_scope', rule: this.scopeText };
    return ALLOWED;
  }

  private check6(v: bigint): ScopeDecision {
    const ex = this.ex6.find(v);
    if (ex) return { allowed: false, reason: 'excluded', rule: ex.text, source: ex.origin };
    if (this.res6 !== null) {
      const r = this.res6.find(v);
      if (r) return { allowed: false, reason: 'reserved', rule: r.text, source: r.origin };
    }
    if (this.scope6.find(v) === undefined) return { allowed: false, reason: 'out_of_scope', rule: this.scopeText };
    return ALLOWED;
  }
}

/**
 * The loud refusal line the CLI prints, e.g.
 * `refused 10.1.2.3:443: outside scope 127.0.0.0/8`,
 * `refused 192.0.2.7:443 (vpn.example.nl): excluded by 192.0.2.0/24 (optout.txt:3)`,
 * `refused 10.0.0.1:443: reserved range 10.0.0.0/8 (private-use); lift it with allowReserved only if you own it`.
 */
export function formatRefusal(t: { ip?: string; port?: number; host?: string }, d: Exclude<ScopeDecision, { allowed: true }>): string {
  const ip = t.ip ?? t.host ?? '?';
  const addr = t.port === undefined ? ip : ip.indexOf(':') >= 0 ? `[${ip}]:${t.port}` : `${ip}:${t.port}`;
  const who = t.host && t.ip ? `${addr} (${t.host})` : addr;
  switch (d.reason) {
    case 'out_of_scope':
      if (d.rule === NOT_IP || d.rule === UNRESOLVED) return `refused ${who}: ${d.rule}`;
      return `refused ${who}: outside scope ${d.rule}`;
    case 'excluded':
      return `refused ${who}: excluded by ${d.rule}${d.source ? ` (${d.source})` : ''}`;
    case 'reserved': {
      const why = d.source?.startsWith('reserved: ') ? d.source.slice(10) : 'reserved';
      return `refused ${who}: reserved range ${d.rule} (${why}); lift it with allowReserved only if you own it`;
    }
  }
}
