/**
 * One line of nuclei `-jsonl` output, validated with zod at the edge. Only the documented fields
 * edgewatch uses are read (template-id, info.name/severity/classification.cve-id/metadata, type,
 * host, ip, port, scheme, url, path, matched-at, timestamp, extracted-results, matcher-name,
 * request, response); unknown fields are ignored. Accepts both nuclei v2 (`host` is a URL) and v3
 * (`host` is a name, `port` a string) shapes. `where()` turns a result into the host it is about.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

const str = (max: number) => z.string().max(max);
const cveList = z
  .union([z.array(z.string().max(64)).max(64), z.string().max(2048), z.null()])
  .optional()
  .transform((v) => (v == null ? [] : Array.isArray(v) ? v : v.split(/[\s,]+/)));

export const NucleiResultSchema = z.object({
  'template-id': str(200).min(1),
  info: z
    .object({
      name: str(500).optional(),
      severity: str(32).optional(),
      description: str(4000).optional(),
      classification: z.object({ 'cve-id': cveList }).nullish(),
      metadata: z.object({ vendor: str(100).optional(), product: str(100).optional() }).nullish(),
    })
    .nullish(),
  type: str(32).optional(),
  host: str(2048).optional(),
  ip: str(64).optional(),
  port: z.union([z.number().int(), str(8)]).optional(),
  scheme: str(16).optional(),
  url: str(8192).optional(),
  path: str(8192).optional(),
  'matched-at': str(8192).optional(),
  timestamp: str(64).optional(),
  'extracted-results': z.array(z.string().max(4096)).max(256).nullish(),
  'matcher-name': str(200).optional(),
  request: z.string().optional(),
  response: z.string().optional(),
});

export type NucleiResultLine = z.infer<typeof NucleiResultSchema>;

export interface Where {
  ip: string;
  port: number;
  /** Host name when the result names one (not an IP literal), else null. */
  host: string | null;
  scheme: 'http' | 'https';
  /** Request path from matched-at, when it is a URL. */
  path: string | null;
}

function parseUrl(v: string | undefined): URL | null {
  if (!v || !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) return null;
  try {
    return new URL(v);
  } catch {
    return null;
  }
}

function unbracket(h: string): string {
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

const HOSTNAME_RE = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/** The host a result is about, or a reason why it names none. */
export function where(r: NucleiResultLine): Where | { problem: string } {
  const urls = [parseUrl(r['matched-at']), parseUrl(r.url), parseUrl(r.host)].filter((u): u is URL => u !== null);
  const u = urls[0] ?? null;
  // nuclei v3: host is a bare name or address (maybe host:port); v2: a URL.
  let bare = r.host && !parseUrl(r.host) ? r.host : null;
  let barePort: number | null = null;
  if (bare) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(bare);
    if (m) {
      bare = m[1];
      barePort = Number(m[2]);
    }
    bare = unbracket(bare);
  }
  // The host name (virtual host) is the first name that is not an address: host, matched-at, url.
  const names = [bare, ...urls.map((x) => unbracket(x.hostname))].filter((x): x is string => !!x);
  const name = names.find((x) => !isIP(x)) ?? names[0] ?? null;
  const ip = r.ip && isIP(r.ip) ? r.ip : (names.find((x) => isIP(x) !== 0) ?? null);
  if (!ip) {
    return { problem: r.ip ? `ip ${JSON.stringify(r.ip)} is not an IP address` : 'no IP address (neither `ip` nor an address in host / matched-at)' };
  }
  const schemeRaw = (r.scheme ?? u?.protocol.replace(/:$/, '') ?? '').toLowerCase();
  const portField = r.port === undefined || r.port === '' ? null : Number(r.port);
  if (portField !== null && (!Number.isInteger(portField) || portField < 1 || portField > 65535)) {
    return { problem: `port ${JSON.stringify(r.port)} is not 1–65535` };
  }
  const urlPort = u?.port ? Number(u.port) : null;
  const scheme: 'http' | 'https' =
    schemeRaw === 'http' || schemeRaw === 'https' ? schemeRaw : (portField ?? urlPort ?? barePort) === 80 ? 'http' : 'https';
  const port = portField ?? urlPort ?? barePort ?? (scheme === 'http' ? 80 : 443);
  const host = name && !isIP(name) ? (HOSTNAME_RE.test(name) ? name.toLowerCase() : null) : null;
  const path = rawPath(r['matched-at']) ?? (r.path?.startsWith('/') ? r.path : null);
  return { ip, port, host, scheme, path };
}

/**
 * The path of a URL exactly as written (`https://h/vpn/../vpns/x` → `/vpn/../vpns/x`): WHATWG URL
 * parsing would remove the `..` segments that path-traversal findings are about.
 */
export function rawPath(url: string | undefined): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s]*([/?][^#\s]*)?/i.exec(url ?? '');
  if (!m) return null;
  const p = m[1] ?? '/';
  return p.startsWith('/') ? p : `/${p}`;
}

/** Upper-case CVE ids named by a result: classification.cve-id and a CVE-shaped template id. */
export function cvesOf(r: NucleiResultLine): string[] {
  const out = new Set<string>();
  for (const c of [...(r.info?.classification?.['cve-id'] ?? []), r['template-id']]) {
    const u = c.trim().toUpperCase();
    if (/^CVE-\d{4}-\d{4,7}$/.test(u)) out.add(u);
  }
  return [...out];
}

/** Status code from a raw response (`HTTP/1.1 200 OK…`), or null. */
export function statusOf(response: string | undefined): number | null {
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(response ?? '');
  return m ? Number(m[1]) : null;
}

/** First line of a raw request (`GET /x HTTP/1.1`), bounded; or null. */
export function requestLineOf(request: string | undefined): string | null {
  if (!request) return null;
  const first = request.split(/\r?\n/, 1)[0];
  return first ? first.slice(0, 512) : null;
}
