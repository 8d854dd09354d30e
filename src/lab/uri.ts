/**
 * Request-target handling the way Apache does it on a NetScaler: split off the query, decode
 * %xx, then remove dot segments (`/vpn/js/%2e./.%2e/%76pns/` → `/vpns/`). A path that climbs above
 * the root or carries a broken escape is a 400. The lab's own code (never shared with src/net).
 */

/** A request target taken apart. */
export interface ParsedTarget {
  /** Path exactly as sent (without query). */
  raw: string;
  /** Percent-decoded path (dot segments kept), or null when an escape is malformed. */
  decoded: string | null;
  /** Decoded path with dot segments removed, or null when invalid (400 on Apache). */
  resolved: string | null;
  /** Path contained dot segments (after decoding), i.e. a traversal attempt. */
  traversal: boolean;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Decode %xx escapes to latin1 characters; null on a malformed escape. */
export function percentDecode(s: string): string | null {
  if (s.indexOf('%') < 0) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 37) {
      out += s[i];
      continue;
    }
    const h = hexVal(s.charCodeAt(i + 1));
    const l = hexVal(s.charCodeAt(i + 2));
    if (h < 0 || l < 0) return null;
    out += String.fromCharCode(h * 16 + l);
    i += 2;
  }
  return out;
}

/** RFC 3986 §5.2.4 for an absolute path; null when `..` would climb above `/`. */
export function removeDotSegments(path: string): string | null {
  if (path.indexOf('.') < 0) return path;
  const segs = path.split('/');
  const out: string[] = [];
  const last = segs.length - 1;
  for (let k = 1; k < segs.length; k++) {
    const s = segs[k] as string;
    if (s === '.') {
      if (k === last) out.push('');
      continue;
    }
    if (s === '..') {
      if (out.length === 0) return null;
      out.pop();
      if (k === last) out.push('');
      continue;
    }
    out.push(s);
  }
  return `/${out.join('/')}`;
}

/** Parse a raw request target (origin-form or absolute-form). */
export function parseTarget(target: string): ParsedTarget {
  let t = target;
  if (t.charCodeAt(0) !== 47) {
    // absolute-form: http://host/path
    const m = t.indexOf('://');
    const slash = m > 0 ? t.indexOf('/', m + 3) : -1;
    t = slash > 0 ? t.slice(slash) : '';
  }
  const q = t.indexOf('?');
  const raw = q >= 0 ? t.slice(0, q) : t;
  if (raw.charCodeAt(0) !== 47) return { raw, decoded: null, resolved: null, traversal: false };
  const decoded = percentDecode(raw);
  if (decoded === null || decoded.indexOf('\0') >= 0) return { raw, decoded: null, resolved: null, traversal: false };
  const resolved = removeDotSegments(decoded);
  return { raw, decoded, resolved, traversal: resolved !== decoded };
}

/** Minimal HTML escaping for reflected text. */
export function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
