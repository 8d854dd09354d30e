/**
 * Turning nuclei results into edgewatch observations: results are grouped per host (ip, port,
 * host name) into one ScanRecord each (status ok). A CVE named by a result (classification.cve-id,
 * a CVE-shaped template id, or the CVEs of the edgewatch check with that id) is `vulnerable` — nuclei
 * writes only what matched. A result of an edgewatch compromise check is an indicator
 * (`compromised: true`). Every result, known or not, is kept as an evidence item under its template id.
 */
import type { CompromiseIndicator, CveState, EvidenceItem, ScanRecord } from '../../scan/record.js';
import { cvesOf, type NucleiResultLine, requestLineOf, statusOf, type Where } from './result.js';

/** What the importer knows about an edgewatch check, by template id. */
export interface KnownCheck {
  kind: 'fingerprint' | 'cve' | 'compromise';
  cves: string[];
  product: string;
}

/** Evidence items kept per host (the rest are counted, not stored). */
export const MAX_EVIDENCE_PER_HOST = 64;
/** CVEs and indicators kept per host (the store takes at most 256 CVE entries per record). */
export const MAX_CVES_PER_HOST = 200;
export const MAX_INDICATORS_PER_HOST = 64;
const VERSION_RE = /^\d[0-9A-Za-z._-]{0,63}$/;

interface Group {
  seq: number;
  where: Where;
  product: string | null;
  version: string | null;
  cve: Record<string, CveState>;
  why: Record<string, string>;
  indicators: CompromiseIndicator[];
  evidence: EvidenceItem[];
  latest: number;
}

function printable(s: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping control characters is the point
  return s.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, max);
}

function timeOf(ts: string | undefined): number | null {
  if (!ts) return null;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? null : t;
}

export class HostGroups {
  readonly #groups = new Map<string, Group>();
  /** Results whose template edgewatch does not know and that name no CVE (kept as evidence only). */
  evidenceOnly = 0;
  /** Evidence items dropped past MAX_EVIDENCE_PER_HOST. */
  evidenceDropped = 0;

  constructor(
    readonly known: ReadonlyMap<string, KnownCheck>,
    readonly now: number = Date.now(),
  ) {}

  get size(): number {
    return this.#groups.size;
  }

  has(w: Where): boolean {
    return this.#groups.has(`${w.ip}\u0000${w.port}\u0000${w.host ?? ''}`);
  }

  add(r: NucleiResultLine, w: Where): void {
    const key = `${w.ip}\u0000${w.port}\u0000${w.host ?? ''}`;
    let g = this.#groups.get(key);
    if (!g) {
      g = { seq: this.#groups.size, where: w, product: null, version: null, cve: {}, why: {}, indicators: [], evidence: [], latest: -1 };
      this.#groups.set(key, g);
    }
    const id = r['template-id'];
    const known = this.known.get(id);
    const at = r['matched-at'] ?? r.url ?? `${w.ip}:${w.port}`;
    const cves = new Set(cvesOf(r));
    if (known?.kind === 'cve') for (const c of known.cves) cves.add(c);
    for (const c of cves) {
      if (!(c in g.cve) && Object.keys(g.cve).length >= MAX_CVES_PER_HOST) continue; // still in the evidence
      g.cve[c] = 'vulnerable';
      g.why[c] ??= printable(`nuclei template ${id} matched at ${at}`, 300);
    }
    const status = statusOf(r.response);
    const requestLine = requestLineOf(r.request);
    const matcher = r['matcher-name'] ? printable(r['matcher-name'], 100) : null;
    if (known?.kind === 'compromise') {
      const ind: CompromiseIndicator = {
        check: id,
        id: matcher ?? 'match',
        request: printable(requestLine ?? `GET ${w.path ?? '/'} HTTP/1.1`, 512),
        status,
        why: printable(r.info?.description ?? `nuclei template ${id} matched at ${at}`, 300),
      };
      if (g.indicators.length < MAX_INDICATORS_PER_HOST && !g.indicators.some((i) => i.check === ind.check && i.id === ind.id))
        g.indicators.push(ind);
    }
    if (!known && cves.size === 0) this.evidenceOnly++;
    const product = known?.product ?? r.info?.metadata?.product?.toLowerCase() ?? null;
    if (!g.product && product) g.product = printable(product, 100);
    const extracted = (r['extracted-results'] ?? []).filter((x) => x.length > 0);
    if (known && !g.version && extracted[0] && VERSION_RE.test(extracted[0])) g.version = extracted[0];
    const t = timeOf(r.timestamp);
    if (t !== null && t > g.latest) g.latest = t;
    if (g.evidence.length >= MAX_EVIDENCE_PER_HOST) {
      this.evidenceDropped++;
      return;
    }
    const ev: EvidenceItem = {
      check: printable(id, 200),
      id: matcher ?? 'match',
      request: printable(requestLine ?? `${(r.type ?? 'http').toUpperCase()} ${at}`, 512),
      status,
    };
    ev.matched = [matcher ?? 'match'];
    if (extracted.length > 0) ev.extracted = { 'extracted-results': printable(extracted.join(', '), 200) };
    if (r.response) {
      const body = r.response.split(/\r?\n\r?\n/).slice(1).join('\n\n');
      if (body) ev.excerpt = printable(body, 256);
    }
    g.evidence.push(ev);
  }

  /** One record per host, in order of first appearance (seq 0, 1, …). */
  *records(scanId: string): Generator<ScanRecord> {
    for (const g of this.#groups.values()) {
      const w = g.where;
      yield {
        ip: w.ip,
        port: w.port,
        host: w.host,
        status: 'ok',
        reason: null,
        scheme: w.scheme,
        product: g.product,
        product_confidence: g.product ? 'strong' : 'none',
        version: g.version,
        version_source: g.version ? 'nuclei' : null,
        build_date: null,
        cve: g.cve,
        why: g.why,
        compromised: g.indicators.length > 0 ? 'true' : 'unknown',
        indicators: g.indicators,
        tls: null,
        evidence: g.evidence,
        scanned_at: new Date(g.latest >= 0 ? g.latest : this.now).toISOString(),
        scan_id: scanId,
        seq: g.seq,
      };
    }
  }
}
