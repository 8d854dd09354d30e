/**
 * The organisation matcher: built once from organisations and overrides, then pure and fast.
 *
 * Rules, first hit wins: manual override (address or CIDR, longest prefix) → CIDR (longest prefix)
 * → domain (a host name equals a listed domain or lies under it; the most specific domain wins;
 * wildcard certificate names match their base domain) → ASN → none (grouped by AS and abuse
 * contact). Every result says why, naming the import `file:line`.
 *
 * Ties are deterministic: when several organisations list the same CIDR, domain or ASN, the first
 * key in code-unit order wins and the explanation names the others. Among several host names, the
 * most specific domain wins; then the name source in the order target, sni, cert_cn, cert_san, ptr;
 * then input order.
 */
import { tryParseRange } from '../../scope/cidr.js';
import { formatIPv4, formatIPv6, mappedIPv4, parseIPv4, parseIPv6 } from '../../scope/ip.js';
import type { Attribution, AttributionRule, HostName, MatchInput, OrgMatcher } from '../types.js';
import { mostSpecificDomain, normalizeName } from './domains.js';
import type { Organisation, OrgOverride } from './model.js';
import { type Block, PrefixIndex4, PrefixIndex6 } from './prefix-index.js';

/** Notification group of an unattributed host: `AS<asn>|<abuse contact or ->` (`AS?` when unknown). */
export function groupKey(asn: number | null | undefined, abuse: string | null | undefined): string {
  const a = typeof asn === 'number' && Number.isInteger(asn) && asn >= 0 ? `AS${asn}` : 'AS?';
  const clean = typeof abuse === 'string' ? abuse.toLowerCase().replace(/[^\x21-\x7e]|\|/g, '').slice(0, 254) : '';
  const c = clean === '' ? '-' : clean;
  return `${a}|${c}`;
}

interface OrgRef {
  key: string;
  name: string;
  sector: string | null;
  source: string;
}

interface Listed {
  /** Display text of what is listed (CIDR, domain, `AS…`). */
  what: string;
  /** Organisation ids listing it, in key order (the first wins). */
  orgs: number[];
  /** The explanation after "what matched", built on first use (the hot path then only concatenates). */
  suffix?: string;
  /** A less specific CIDR/domain that also covers this one (its explanation notes it), when any. */
  parent?: Listed;
}

interface OverrideEntry {
  target: string;
  org_key: string;
  note: string | null;
  created_at: string;
}

type Parsed = { v4: number; v6: null; text: string } | { v4: -1; v6: bigint; text: string } | null;

function parseAddress(ip: string): Parsed {
  if (typeof ip !== 'string' || ip.length > 64) return null;
  const v4 = parseIPv4(ip);
  if (v4 >= 0) return { v4, v6: null, text: ip };
  if (ip.indexOf(':') < 0) return null;
  const v6 = parseIPv6(ip.toLowerCase());
  if (v6 === null) return null;
  const m = mappedIPv4(v6);
  if (m >= 0) return { v4: m, v6: null, text: formatIPv4(m) };
  return { v4: -1, v6, text: formatIPv6(v6) };
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const safe = (s: string, max = 200): string => {
  const c = s.replace(CONTROL, ' ');
  return c.length > max ? `${c.slice(0, max)}…` : c;
};

const SOURCE_RANK: Record<HostName['source'], number> = { target: 0, sni: 1, cert_cn: 2, cert_san: 3, ptr: 4 };
const SOURCE_LABEL: Record<HostName['source'], string> = {
  target: 'target name',
  sni: 'SNI name',
  cert_cn: 'certificate CN',
  cert_san: 'certificate SAN',
  ptr: 'reverse DNS (PTR)',
};

function dots(s: string): number {
  let n = 0;
  for (let i = s.indexOf('.'); i >= 0; i = s.indexOf('.', i + 1)) n++;
  return n;
}

interface DomainHit {
  domain: string;
  name: string;
  raw: HostName;
  wildcard: boolean;
  labels: number;
}

class Matcher implements OrgMatcher {
  readonly size: { orgs: number; cidrs: number; domains: number; asns: number };
  readonly #orgs: OrgRef[];
  readonly #byKey = new Map<string, number>();
  readonly #cidrs: Listed[] = [];
  readonly #cidr4: PrefixIndex4;
  readonly #cidr6: PrefixIndex6;
  readonly #overrides: OverrideEntry[] = [];
  readonly #over4: PrefixIndex4;
  readonly #over6: PrefixIndex6;
  readonly #domains = new Map<string, Listed>();
  readonly #asns = new Map<number, Listed>();

  constructor(orgs: readonly Organisation[], overrides: readonly OrgOverride[]) {
    const sorted = [...orgs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.#orgs = sorted.map((o) => ({ key: o.key, name: safe(o.name), sector: o.sector, source: safe(o.source, 300) }));
    sorted.forEach((o, i) => this.#byKey.set(o.key, i));

    const byCidr = new Map<string, { listed: Listed; family: 4 | 6; start: number | bigint; end: number | bigint }>();
    sorted.forEach((o, id) => {
      for (const c of o.cidrs) {
        const r = tryParseRange(c);
        if (typeof r === 'string' || r.text.includes('-')) continue; // not written by the importer
        const e = byCidr.get(r.text);
        if (e === undefined) byCidr.set(r.text, { listed: { what: r.text, orgs: [id] }, family: r.family, start: r.start, end: r.end });
        else if (e.listed.orgs[e.listed.orgs.length - 1] !== id) e.listed.orgs.push(id);
      }
      for (const d of o.domains) {
        const n = normalizeName(d);
        if (n === null) continue;
        const e = this.#domains.get(n.name);
        if (e === undefined) this.#domains.set(n.name, { what: n.name, orgs: [id] });
        else if (e.orgs[e.orgs.length - 1] !== id) e.orgs.push(id);
      }
      for (const a of o.asns) {
        const e = this.#asns.get(a);
        if (e === undefined) this.#asns.set(a, { what: `AS${a}`, orgs: [id] });
        else if (e.orgs[e.orgs.length - 1] !== id) e.orgs.push(id);
      }
    });
    const b4: Block<number>[] = [];
    const b6: Block<bigint>[] = [];
    for (const e of byCidr.values()) {
      const id = this.#cidrs.length;
      this.#cidrs.push(e.listed);
      if (e.family === 4) b4.push({ start: e.start as number, end: e.end as number, id });
      else b6.push({ start: e.start as bigint, end: e.end as bigint, id });
    }
    this.#cidr4 = new PrefixIndex4(b4);
    this.#cidr6 = new PrefixIndex6(b6);
    for (const b of b4) {
      const p = this.#cidr4.parentOf(b.id);
      if (p >= 0) this.#cidrs[b.id].parent = this.#cidrs[p];
    }
    for (const b of b6) {
      const p = this.#cidr6.parentOf(b.id);
      if (p >= 0) this.#cidrs[b.id].parent = this.#cidrs[p];
    }
    const has = (d: string) => this.#domains.has(d);
    for (const l of this.#domains.values()) {
      const dot = l.what.indexOf('.');
      const up = dot < 0 ? null : mostSpecificDomain(l.what.slice(dot + 1), has);
      if (up !== null) l.parent = this.#domains.get(up);
    }

    const o4: Block<number>[] = [];
    const o6: Block<bigint>[] = [];
    const seen = new Set<string>();
    for (const ov of overrides) {
      const r = tryParseRange(ov.target);
      if (typeof r === 'string' || r.text.includes('-') || seen.has(r.text)) continue;
      seen.add(r.text);
      const id = this.#overrides.length;
      const note = ov.note === null ? null : safe(ov.note);
      this.#overrides.push({ target: r.text, org_key: ov.org_key, note, created_at: ov.created_at });
      if (r.family === 4) o4.push({ start: r.start, end: r.end, id });
      else o6.push({ start: r.start, end: r.end, id });
    }
    this.#over4 = new PrefixIndex4(o4);
    this.#over6 = new PrefixIndex6(o6);
    this.size = { orgs: sorted.length, cidrs: this.#cidrs.length, domains: this.#domains.size, asns: this.#asns.size };
  }

  match(input: MatchInput): Attribution {
    const ip = parseAddress(input.ip);
    const shown = ip ? ip.text : safe(String(input.ip), 64);
    if (ip !== null) {
      const o = ip.v6 === null ? this.#over4.lookup(ip.v4) : this.#over6.lookup(ip.v6);
      if (o >= 0) return this.#override(shown, this.#overrides[o], this.#automatic(ip, shown, input));
    }
    return this.#automatic(ip, shown, input);
  }

  #automatic(ip: Parsed, shown: string, input: MatchInput): Attribution {
    if (ip !== null) {
      const c = ip.v6 === null ? this.#cidr4.lookup(ip.v4) : this.#cidr6.lookup(ip.v6);
      if (c >= 0) {
        const l = this.#cidrs[c];
        return this.#hit('cidr', l, `${shown} is inside ${l.what}`);
      }
    }
    const d = this.#bestDomain(input.names);
    if (d !== null) {
      const l = this.#domains.get(d.domain) as Listed;
      const rel = d.name === d.domain ? 'is' : 'is a subdomain of';
      const wild = d.wildcard ? ` (wildcard certificate name *.${d.name}, matched as ${d.name})` : '';
      const what = `${SOURCE_LABEL[d.raw.source] ?? 'host name'} ${d.name}${wild} ${rel} ${d.domain}`;
      return this.#hit('domain', l, what, `${d.domain} (${d.wildcard ? '*.' : ''}${d.name})`);
    }
    if (typeof input.asn === 'number' && input.asn >= 0) {
      const l = this.#asns.get(input.asn);
      if (l !== undefined) return this.#hit('asn', l, `${shown} is announced by ${l.what}`);
    }
    const group = groupKey(input.asn, input.abuse);
    const why =
      ip === null
        ? `"${shown}" is not an IP address; matched by host name and ASN only and nothing matched; grouped as ${group}`
        : `${shown} matched no organisation (no override, CIDR, domain or ASN listed); grouped by AS and abuse contact as ${group}`;
    return { org_key: null, org_name: null, sector: null, rule: 'none', matched: null, why, group };
  }

  #hit(rule: AttributionRule, l: Listed, what: string, matched = l.what): Attribution {
    const win = this.#orgs[l.orgs[0]];
    if (l.suffix === undefined) {
      let suffix = `, listed for ${win.name} [${win.key}] (import ${win.source})`;
      if (l.orgs.length > 1) {
        const others = l.orgs.slice(1, 4).map((i) => `${this.#orgs[i].name} [${this.#orgs[i].key}] (${this.#orgs[i].source})`);
        const more = l.orgs.length > 4 ? ` and ${l.orgs.length - 4} more` : '';
        suffix += `; ${l.what} is also listed for ${others.join(', ')}${more}: the first key in sort order wins`;
      }
      const up = l.parent;
      if (up !== undefined) {
        const owner = this.#orgs[up.orgs[0]];
        const kind = rule === 'domain' ? 'the most specific domain wins' : 'the longest prefix wins';
        suffix += `; the wider ${up.what} is listed for ${owner.key === win.key ? 'the same organisation' : `${owner.name} [${owner.key}]`}: ${kind}`;
      }
      l.suffix = suffix;
    }
    return { org_key: win.key, org_name: win.name, sector: win.sector, rule, matched, why: what + l.suffix, group: null };
  }

  #override(shown: string, ov: OverrideEntry, auto: Attribution): Attribution {
    const id = this.#byKey.get(ov.org_key);
    const org = id === undefined ? null : this.#orgs[id];
    const note = ov.note ? `, note "${ov.note}"` : '';
    const who = org ? `${org.name} [${org.key}]` : `[${ov.org_key}] (no such organisation in the store now: removed by an import?)`;
    let why = `${shown} is assigned to ${who} by the manual override of ${ov.target} (set ${ov.created_at.slice(0, 10)}${note})`;
    if (auto.rule !== 'none' && auto.org_key !== ov.org_key) {
      why += `; without it the ${auto.rule} rule would give ${auto.org_name} [${auto.org_key}]`;
    }
    return {
      org_key: ov.org_key,
      org_name: org?.name ?? null,
      sector: org?.sector ?? null,
      rule: 'override',
      matched: ov.target,
      why,
      group: null,
    };
  }

  #bestDomain(names: readonly HostName[] | undefined): DomainHit | null {
    if (!names || names.length === 0 || this.#domains.size === 0) return null;
    let best: DomainHit | null = null;
    const has = (d: string) => this.#domains.has(d);
    const n = Math.min(names.length, 256);
    for (let i = 0; i < n; i++) {
      const raw = names[i];
      if (!raw || typeof raw.name !== 'string') continue;
      const norm = normalizeName(raw.name);
      if (norm === null) continue;
      const domain = mostSpecificDomain(norm.name, has);
      if (domain === null) continue;
      const hit: DomainHit = { domain, name: norm.name, raw, wildcard: norm.wildcard || raw.wildcard === true, labels: dots(domain) };
      if (
        best === null ||
        hit.labels > best.labels ||
        (hit.labels === best.labels && (SOURCE_RANK[hit.raw.source] ?? 9) < (SOURCE_RANK[best.raw.source] ?? 9))
      )
        best = hit;
    }
    return best;
  }
}

/** Build a matcher from organisations and overrides (pure; no I/O). */
export function buildOrgMatcher(orgs: readonly Organisation[], overrides: readonly OrgOverride[] = []): OrgMatcher {
  return new Matcher(orgs, overrides);
}
