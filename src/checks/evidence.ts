/**
 * Evidence items (src/scan/record.ts EvidenceItem): one per request sent, bounded in size.
 * Headers are a fixed selection with bounded values (cookie values never kept, only names);
 * the body is represented by its length, a SHA-256 prefix and a short escaped excerpt (a hex
 * prefix for binary bodies). `boundEvidence` trims a host's items to a total budget.
 */
import { createHash } from 'node:crypto';
import type { HttpResponse, ProbeFailure } from '../net/types.js';
import type { EvidenceItem } from '../scan/record.js';

const KEPT_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'location', 'server', 'via', 'transfer-encoding']);
const MAX_HEADER_VALUE = 200;
const MAX_EXCERPT = 256;
const HEX_PREFIX_BYTES = 32;
const MAX_REQUEST_LINE = 512;
/** Default total evidence budget per host (approximate serialized bytes). */
export const DEFAULT_MAX_EVIDENCE = 8 * 1024;

const NEEDS_ESCAPE = /[^\x20-\x5b\x5d-\x7e]/;
const ESCAPE_ALL = /[^\x20-\x5b\x5d-\x7e]/g;

function escapeChar(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c === 0x5c) return '\\\\';
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  if (c === 0x09) return '\\t';
  return `\\x${(c & 0xff).toString(16).padStart(2, '0')}`;
}

/** Escape backslash, control and non-ASCII characters of a latin1 string; cut at `max` output chars. */
export function escapeText(s: string, max: number): string {
  const head = s.length > max ? s.slice(0, max) : s;
  if (!NEEDS_ESCAPE.test(head)) return head;
  const out = head.replace(ESCAPE_ALL, escapeChar);
  if (out.length <= max) return out;
  // rare path: cut at a whole escape sequence, never inside one
  let res = '';
  for (const ch of head) {
    const e = NEEDS_ESCAPE.test(ch) ? escapeChar(ch) : ch;
    if (res.length + e.length > max) break;
    res += e;
  }
  return res;
}

function isBinary(body: Buffer): boolean {
  const n = Math.min(body.length, MAX_EXCERPT);
  if (n >= 2 && body[0] === 0x1f && body[1] === 0x8b) return true;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = body[i];
    if (c === 0) return true;
    if (c < 0x09 || (c > 0x0d && c < 0x20)) odd++;
  }
  return odd * 10 > n;
}

/** Evidence for an answered request. */
export function responseEvidence(check: string, id: string, res: HttpResponse): EvidenceItem {
  const headers: Record<string, string> = {};
  let cookies = '';
  for (const [k, v] of res.headers) {
    if (k === 'set-cookie') {
      const eq = v.indexOf('=');
      const name = escapeText(eq >= 0 ? v.slice(0, eq) : v, 64);
      cookies = cookies === '' ? name : `${cookies}, ${name}`;
    } else if (KEPT_HEADERS.has(k) && headers[k] === undefined) {
      headers[k] = escapeText(v, MAX_HEADER_VALUE);
    }
  }
  if (cookies !== '') headers['set-cookie'] = cookies.slice(0, MAX_HEADER_VALUE);
  const item: EvidenceItem = {
    check,
    id,
    request: escapeText(res.requestLine, MAX_REQUEST_LINE),
    status: res.status,
    headers,
    length: res.body.length,
  };
  if (res.body.length > 0) {
    item.body_sha256 = createHash('sha256').update(res.body).digest('hex').slice(0, 16);
    item.excerpt = isBinary(res.body)
      ? `hex:${res.body.subarray(0, HEX_PREFIX_BYTES).toString('hex')}`
      : escapeText(res.body.toString('latin1', 0, MAX_EXCERPT), MAX_EXCERPT);
  }
  return item;
}

/** Evidence for a request that got no response. */
export function failureEvidence(check: string, id: string, requestLine: string, f: ProbeFailure): EvidenceItem {
  return { check, id, request: escapeText(requestLine, MAX_REQUEST_LINE), status: null, error: f.reason };
}

function sizeOf(e: EvidenceItem): number {
  let n = 48 + e.check.length + e.id.length + e.request.length + (e.excerpt?.length ?? 0) + (e.body_sha256 ? 32 : 0);
  if (e.headers) for (const k in e.headers) n += k.length + e.headers[k].length + 6;
  if (e.matched) for (const m of e.matched) n += m.length + 3;
  if (e.extracted) for (const k in e.extracted) n += k.length + e.extracted[k].length + 6;
  if (e.error) n += e.error.length + 10;
  return n;
}

/**
 * Trim evidence to about `max` bytes: first drop excerpts from the last items backwards, then
 * header selections; items themselves (one per request sent) are always kept.
 */
export function boundEvidence(items: EvidenceItem[], max: number): void {
  let total = 0;
  for (const e of items) total += sizeOf(e);
  for (const field of ['excerpt', 'headers'] as const) {
    for (let i = items.length - 1; i >= 0 && total > max; i--) {
      const e = items[i];
      if (e[field] === undefined) continue;
      const before = sizeOf(e);
      delete e[field];
      total -= before - sizeOf(e);
    }
  }
}
