/**
 * A read-only view of one HttpResponse for matchers and extractors. Every "part" (body text,
 * title, header block, status line, location, all) is computed lazily, once, and bounded:
 * matchers search at most BODY_SCAN_LIMIT bytes of a body.
 */
import type { HttpResponse, SessionTarget } from '../net/types.js';

/** Parts a matcher or extractor can look at. */
export type Part = 'body' | 'title' | 'header' | 'status_line' | 'location' | 'all';

/** Bytes of a body that text matchers search (a prefix; bodies are capped by the session anyway). */
export const BODY_SCAN_LIMIT = 64 * 1024;
/** Bytes of a body searched for `<title>`. */
const TITLE_SCAN_LIMIT = 16 * 1024;
/** Max characters of a title. */
const TITLE_MAX = 256;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** Decode the HTML entities that matter in titles (named basics and numeric). */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8}|#39);/g, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** Text of the first `<title>` element of an HTML text (entity-decoded, whitespace-collapsed, bounded). */
export function extractTitle(html: string): string {
  const lower = html.length > TITLE_SCAN_LIMIT ? html.slice(0, TITLE_SCAN_LIMIT).toLowerCase() : html.toLowerCase();
  let i = lower.indexOf('<title');
  while (i >= 0) {
    const c = lower[i + 6];
    if (c === '>' || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '/') break;
    i = lower.indexOf('<title', i + 6);
  }
  if (i < 0) return '';
  const open = lower.indexOf('>', i);
  if (open < 0) return '';
  let close = lower.indexOf('</title', open);
  if (close < 0) close = Math.min(lower.length, open + 1 + TITLE_MAX * 4);
  const raw = html.slice(open + 1, Math.min(close, open + 1 + TITLE_MAX * 4));
  return decodeEntities(raw).replace(/\s+/g, ' ').trim().slice(0, TITLE_MAX);
}

function sameHost(location: string, target: SessionTarget): boolean {
  if (location.startsWith('/') && !location.startsWith('//')) return true;
  const m = /^(?:https?:)?\/\/([^/?#]*)/i.exec(location);
  if (!m) return !/^[a-z][a-z0-9+.-]*:/i.test(location); // relative without a slash, e.g. `logon/…`
  const authority = m[1].toLowerCase();
  if (authority.includes('@')) return false;
  const hm = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(authority);
  if (!hm) return false;
  const host = hm[1].replace(/^\[|\]$/g, '');
  if (hm[2] !== undefined && Number(hm[2]) !== target.port) return false;
  return host === target.ip.toLowerCase() || (target.host !== undefined && host === target.host.toLowerCase());
}

/** Lazily computed parts of one response. */
export class ResponseView {
  readonly res: HttpResponse;
  readonly target: SessionTarget;
  private _body?: string;
  private _bodyLower?: string;
  private _title?: string;
  private _titleLower?: string;
  private _header?: string;
  private _headerLower?: string;
  private _location?: string;
  private _all?: string;
  private _allLower?: string;
  private _contentLength?: number | null;

  constructor(res: HttpResponse, target: SessionTarget) {
    this.res = res;
    this.target = target;
  }

  /** Body prefix as text (latin1: one char per byte, so binary patterns and ASCII both work). */
  get body(): string {
    if (this._body === undefined) {
      const b = this.res.body;
      this._body = b.length > BODY_SCAN_LIMIT ? b.toString('latin1', 0, BODY_SCAN_LIMIT) : b.toString('latin1');
    }
    return this._body;
  }

  get title(): string {
    if (this._title === undefined) this._title = extractTitle(this.body);
    return this._title;
  }

  /** All header fields as `name: value\n` in wire order. */
  get header(): string {
    if (this._header === undefined) {
      let s = '';
      for (const [k, v] of this.res.headers) s += `${k}: ${v}\n`;
      this._header = s;
    }
    return this._header;
  }

  get statusLine(): string {
    return `${this.res.httpVersion} ${this.res.status} ${this.res.reason}`;
  }

  get location(): string {
    if (this._location === undefined) this._location = this.headerValue('location') ?? '';
    return this._location;
  }

  /** Status line, header block and body prefix. */
  get all(): string {
    if (this._all === undefined) this._all = `${this.statusLine}\n${this.header}\n${this.body}`;
    return this._all;
  }

  /** The text of a part, optionally lower-cased (cached). */
  part(p: Part, lower = false): string {
    switch (p) {
      case 'body':
        if (!lower) return this.body;
        if (this._bodyLower === undefined) this._bodyLower = this.body.toLowerCase();
        return this._bodyLower;
      case 'title':
        if (!lower) return this.title;
        if (this._titleLower === undefined) this._titleLower = this.title.toLowerCase();
        return this._titleLower;
      case 'header':
        if (!lower) return this.header;
        if (this._headerLower === undefined) this._headerLower = this.header.toLowerCase();
        return this._headerLower;
      case 'status_line':
        return lower ? this.statusLine.toLowerCase() : this.statusLine;
      case 'location':
        return lower ? this.location.toLowerCase() : this.location;
      case 'all':
        if (!lower) return this.all;
        if (this._allLower === undefined) this._allLower = this.all.toLowerCase();
        return this._allLower;
    }
  }

  /** First value of a header (name lower-case), or null. */
  headerValue(name: string): string | null {
    for (const [k, v] of this.res.headers) if (k === name) return v;
    return null;
  }

  /** Parsed Content-Length, or null when absent or malformed. */
  get contentLength(): number | null {
    if (this._contentLength === undefined) {
      const v = this.headerValue('content-length');
      this._contentLength = v !== null && /^\d{1,15}$/.test(v) ? Number(v) : null;
    }
    return this._contentLength;
  }

  /** True when the Location header is relative or names the session's own host (and port). */
  get locationSameHost(): boolean {
    const loc = this.location;
    return loc !== '' && sameHost(loc, this.target);
  }
}
