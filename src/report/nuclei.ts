/**
 * Nuclei-compatible JSON Lines output (`scan -j --format nuclei`, `-o x.jsonl --format nuclei`):
 * one line per finding — each CVE check with vulnerable CVEs on a host, and each compromise
 * indicator that fired — in the shape of nuclei's `-jsonl` results (template-id, info{name,
 * severity, classification{cve-id}, metadata{vendor, product}}, type, host, ip, port, scheme, url,
 * matched-at, timestamp, extracted-results, matcher-name, matcher-status). Hosts without a finding
 * write nothing, like nuclei. `edgewatch import nuclei` reads these lines back into the same findings.
 */
import { isIPv6 } from 'node:net';
import type { CompiledCheck } from '../checks/types.js';
import type { ScanRecord } from '../scan/record.js';

/** What the writer needs to know about a check (from the loaded pack). */
export interface NucleiCheckMeta {
  id: string;
  kind: 'fingerprint' | 'cve' | 'compromise';
  name: string;
  severity: string;
  cves: string[];
  vendor: string;
  product: string;
}

/** One nuclei result line (the subset edgewatch writes; nuclei's own field names). */
export interface NucleiResult {
  'template-id': string;
  info: {
    name: string;
    severity: string;
    description?: string;
    classification?: { 'cve-id': string[] };
    metadata?: { vendor?: string; product?: string };
  };
  type: 'http';
  host: string;
  ip: string;
  port: string;
  scheme: string;
  url: string;
  'matched-at': string;
  timestamp: string;
  'extracted-results'?: string[];
  'matcher-name'?: string;
  'matcher-status': true;
}

export function nucleiMetaOf(checks: readonly CompiledCheck[]): NucleiCheckMeta[] {
  return checks.map((c) => ({
    id: c.id,
    kind: c.kind,
    name: c.info.name,
    severity: c.info.severity,
    cves: c.info.cves ?? [],
    vendor: c.info.vendor,
    product: c.info.product,
  }));
}

function baseUrl(r: ScanRecord): string {
  const name = r.host ?? r.ip;
  const h = isIPv6(name) ? `[${name}]` : name;
  const dflt = (r.scheme === 'https' && r.port === 443) || (r.scheme === 'http' && r.port === 80);
  return `${r.scheme}://${h}${dflt ? '' : `:${r.port}`}`;
}

/** The path of a request line as recorded in evidence (`GET /x HTTP/1.1` → `/x`), or null. */
function pathOf(request: string | undefined): string | null {
  const m = /^[A-Z]+ (\/\S*)/.exec(request ?? '');
  if (m) return m[1];
  // Evidence imported from nuclei without a raw request: `HTTP https://host/path`.
  const u = /^[A-Z]+ [a-z][a-z0-9+.-]*:\/\/[^/?#\s]*([/?][^#\s]*)/i.exec(request ?? '');
  return u ? (u[1].startsWith('/') ? u[1] : `/${u[1]}`) : null;
}

/** The nuclei lines of one record (none when it has no finding). */
export function nucleiLines(r: ScanRecord, checks: readonly NucleiCheckMeta[] = []): NucleiResult[] {
  if (r.status !== 'ok') return [];
  const out: NucleiResult[] = [];
  const base = baseUrl(r);
  const common = {
    type: 'http' as const,
    host: r.host ?? r.ip,
    ip: r.ip,
    port: String(r.port),
    scheme: r.scheme,
    url: base,
    timestamp: r.scanned_at,
    ...(r.version ? { 'extracted-results': [r.version] } : {}),
    'matcher-status': true as const,
  };
  const vulnerable = Object.keys(r.cve ?? {}).filter((c) => r.cve[c] === 'vulnerable');
  const covered = new Set<string>();
  for (const c of checks) {
    if (c.kind !== 'cve') continue;
    const cves = c.cves.filter((x) => vulnerable.includes(x) && !covered.has(x));
    if (cves.length === 0) continue;
    for (const x of cves) covered.add(x);
    const ev = r.evidence?.filter((e) => e.check === c.id && (e.matched?.length ?? 0) > 0).at(-1);
    const path = pathOf(ev?.request);
    out.push({
      'template-id': c.id,
      info: {
        name: c.name,
        severity: c.severity,
        ...(r.why?.[cves[0]] ? { description: r.why[cves[0]] } : {}),
        classification: { 'cve-id': cves },
        metadata: { vendor: c.vendor, product: c.product },
      },
      ...common,
      'matched-at': path ? `${base}${path}` : base,
    });
  }
  // CVEs no loaded check decides (e.g. a scan imported from nuclei): the CVE id is the template.
  for (const x of vulnerable) {
    if (covered.has(x)) continue;
    out.push({
      'template-id': x,
      info: {
        name: x,
        severity: 'high',
        classification: { 'cve-id': [x] },
        ...(r.product ? { metadata: { product: r.product } } : {}),
      },
      ...common,
      'matched-at': base,
    });
  }
  if (r.compromised === 'true') {
    for (const ind of r.indicators ?? []) {
      const c = checks.find((k) => k.id === ind.check);
      const path = pathOf(ind.request);
      out.push({
        'template-id': ind.check,
        info: {
          name: c?.name ?? ind.check,
          severity: c?.severity ?? 'critical',
          description: ind.why,
          ...(c ? { metadata: { vendor: c.vendor, product: c.product } } : r.product ? { metadata: { product: r.product } } : {}),
        },
        ...common,
        'matched-at': path ? `${base}${path}` : base,
        'matcher-name': ind.id,
      });
    }
  }
  return out;
}

/** Text of the nuclei lines of several records. */
export function nucleiText(records: readonly ScanRecord[], checks: readonly NucleiCheckMeta[] = []): string {
  let text = '';
  for (const r of records) for (const l of nucleiLines(r, checks)) text += `${JSON.stringify(l)}\n`;
  return text;
}
