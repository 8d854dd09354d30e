/**
 * One bounded JSON GET for the registry clients (RDAP, RIPEstat): a hard deadline (connect, headers
 * and body together), a body-size cap enforced while reading, redirects followed by hand (count
 * limited, loops detected, http(s) only, never from https down to http), an allow-check on every
 * URL before connecting, and every failure folded into a closed `reason` instead of an exception.
 */

export interface FetchLimits {
  /** Absolute deadline, epoch ms. */
  deadline: number;
  /** Largest body read, bytes. */
  maxBytes: number;
  /** Redirects followed at most. */
  maxRedirects: number;
  userAgent: string;
  /** Aborts the request early (resolver closed). */
  signal?: AbortSignal;
  /** Checked for the URL and every redirect target before connecting; false → `refused`. */
  allow?: (url: string) => boolean;
}

export type FetchFailure =
  | 'timeout'
  | 'network'
  | 'status'
  | 'rate_limited'
  | 'too_large'
  | 'bad_json'
  | 'redirect_loop'
  | 'too_many_redirects'
  | 'bad_redirect'
  | 'not_found'
  | 'refused';

export type FetchOutcome =
  | { ok: true; url: string; status: number; json: unknown }
  | { ok: false; url: string; reason: FetchFailure; status?: number; retryAfterMs?: number };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array | 'too_large'> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    return 'too_large';
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return 'too_large';
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function retryAfterMs(v: string | null): number | undefined {
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** GET `url` and decode JSON within the limits. Never throws. */
export async function fetchJson(url: string, limits: FetchLimits): Promise<FetchOutcome> {
  const ctl = new AbortController();
  const remaining = limits.deadline - Date.now();
  if (remaining <= 0) return { ok: false, url, reason: 'timeout' };
  const timer = setTimeout(() => ctl.abort(), remaining);
  const onAbort = () => ctl.abort();
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  const seen = new Set<string>();
  let current = url;
  try {
    for (let hop = 0; ; hop++) {
      seen.add(current);
      if (limits.allow && !limits.allow(current)) return { ok: false, url: current, reason: 'refused' };
      let res: Response;
      try {
        res = await fetch(current, {
          redirect: 'manual',
          signal: ctl.signal,
          headers: { accept: 'application/rdap+json, application/json;q=0.9', 'user-agent': limits.userAgent },
        });
      } catch {
        return { ok: false, url: current, reason: ctl.signal.aborted ? 'timeout' : 'network' };
      }
      if (REDIRECTS.has(res.status)) {
        await res.body?.cancel().catch(() => undefined);
        const loc = res.headers.get('location');
        let next: URL;
        try {
          next = new URL(loc ?? '', current);
        } catch {
          return { ok: false, url: current, reason: 'bad_redirect', status: res.status };
        }
        const from = new URL(current).protocol;
        if (!loc || (next.protocol !== 'https:' && next.protocol !== 'http:') || (from === 'https:' && next.protocol === 'http:')) {
          return { ok: false, url: current, reason: 'bad_redirect', status: res.status };
        }
        if (seen.has(next.href)) return { ok: false, url: current, reason: 'redirect_loop', status: res.status };
        if (hop >= limits.maxRedirects) return { ok: false, url: current, reason: 'too_many_redirects', status: res.status };
        current = next.href;
        continue;
      }
      if (res.status === 404) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, url: current, reason: 'not_found', status: 404 };
      }
      if (res.status === 429 || res.status === 503) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, url: current, reason: 'rate_limited', status: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
      }
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, url: current, reason: 'status', status: res.status };
      }
      let body: Uint8Array | 'too_large';
      try {
        body = await readCapped(res, limits.maxBytes);
      } catch {
        return { ok: false, url: current, reason: ctl.signal.aborted ? 'timeout' : 'network', status: res.status };
      }
      if (body === 'too_large') return { ok: false, url: current, reason: 'too_large', status: res.status };
      try {
        return { ok: true, url: current, status: res.status, json: JSON.parse(new TextDecoder('utf-8', { fatal: false }).decode(body)) };
      } catch {
        return { ok: false, url: current, reason: 'bad_json', status: res.status };
      }
    }
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onAbort);
  }
}
