/**
 * Incremental HTTP/1.1 response parser (RFC 9112 framing), pure: no sockets, no timers.
 * `feed(chunk)` returns 'more' | 'done' | 'failed'; `end()` signals the peer closed. Built for
 * hostile input: every buffer is bounded (head, chunk-size lines, trailers, body), nothing is
 * decompressed, and no exception escapes — failures are reported in `failure` with a reason
 * from the closed vocabulary (`protocol`, `too_large`, `closed`).
 *
 * Tolerated quirks: missing reason phrase, bare LF line endings, leading empty lines, obs-fold,
 * a bare status line with no header fields (the CTX267679 responder 403), and a head cut short
 * by EOF right after a complete line.
 */
import type { ProbeFailure } from './types.js';

export type FeedResult = 'more' | 'done' | 'failed';
export type Framing = 'content-length' | 'chunked' | 'close' | 'none';

/** Bounds applied by the parser. */
export interface ParserLimits {
  /** Max bytes of one response head (status line + headers + blank line). */
  maxHeaderBytes: number;
  /** Max body bytes; more is `too_large`. */
  maxBodyBytes: number;
  /** Max number of 1xx interim responses skipped before the final one (default 8). */
  maxInterim?: number;
  /** Max length of one chunk-size line including extensions (default 4096). */
  maxChunkLineBytes?: number;
}

const EMPTY = Buffer.alloc(0);

// Parser states (plain numbers: cheapest to compare, no enum transform needed).
const S_HEAD = 0;
const S_BODYLENGTH = 1;
const S_BODYCLOSE = 2;
const S_CHUNKSIZE = 3;
const S_CHUNKDATA = 4;
const S_CHUNKDATAEND = 5;
const S_CHUNKDATALF = 6;
const S_TRAILER = 7;
const S_DONE = 8;
const S_FAILED = 9;

// RFC 9110 tchar lookup for header names.
const TCHAR = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) TCHAR[c] = 1;
for (const c of '"(),/:;<=>?@[\\]{}') TCHAR[c.charCodeAt(0)] = 0;

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

/** Values above this are "huge" for lengths (beyond any cap, still exact in a double). */
const HUGE = 2 ** 50;

export class ResponseParser {
  // ---- results of the current response (valid once headDone / done) ----
  httpVersion = '';
  status = 0;
  reason = '';
  headers: Array<[string, string]> = [];
  framing: Framing = 'none';
  /** Whether the connection may carry another request after this response. */
  keepAlive = true;
  body: Buffer = EMPTY;
  bodyEndedByGrace = false;
  /** True once the final (non-1xx) head is parsed. */
  headDone = false;
  /** Bytes received after the end of the response (the connection must not be reused). */
  extraBytes = 0;
  /** Total bytes fed for this response (including interim responses). */
  bytesSeen = 0;
  failure: ProbeFailure | null = null;

  private readonly maxHeader: number;
  private readonly maxBody: number;
  private readonly maxInterim: number;
  private readonly maxChunkLine: number;

  private state = S_HEAD;
  private isHead = false;
  private interim = 0;
  // head / trailer accumulation
  private parts: Buffer[] = [];
  private partsLen = 0;
  /** End-of-head scanner state: 0 in a line, 1 just after LF, 2 after LF CR. */
  private eoh = 0;
  private skipped = 0;
  // body
  private bodyParts: Buffer[] = [];
  private bodyLen = 0;
  private remaining = 0;

  constructor(limits: ParserLimits) {
    this.maxHeader = limits.maxHeaderBytes;
    this.maxBody = limits.maxBodyBytes;
    this.maxInterim = limits.maxInterim ?? 8;
    this.maxChunkLine = limits.maxChunkLineBytes ?? 4096;
  }

  /** Prepare for the response to a new request (`head`: the request was HEAD). */
  reset(head: boolean): void {
    this.httpVersion = '';
    this.status = 0;
    this.reason = '';
    this.headers = [];
    this.framing = 'none';
    this.keepAlive = true;
    this.body = EMPTY;
    this.bodyEndedByGrace = false;
    this.headDone = false;
    this.extraBytes = 0;
    this.bytesSeen = 0;
    this.failure = null;
    this.state = S_HEAD;
    this.isHead = head;
    this.interim = 0;
    this.parts = [];
    this.partsLen = 0;
    this.eoh = 0;
    this.skipped = 0;
    this.bodyParts = [];
    this.bodyLen = 0;
    this.remaining = 0;
  }

  get done(): boolean {
    return this.state === S_DONE;
  }

  /** True while reading a close-delimited body (the only state a grace period can end). */
  get inCloseDelimitedBody(): boolean {
    return this.state === S_BODYCLOSE;
  }

  /** Feed the next bytes from the connection. */
  feed(chunk: Buffer): FeedResult {
    const n = chunk.length;
    this.bytesSeen += n;
    if (this.state === S_DONE) {
      this.extraBytes += n;
      return 'done';
    }
    if (this.state === S_FAILED) return 'failed';
    let off = 0;
    while (off < n) {
      switch (this.state) {
        case S_HEAD: {
          const next = this.feedHead(chunk, off);
          if (next < 0) return this.failure ? 'failed' : 'more';
          off = next;
          break;
        }
        case S_BODYLENGTH: {
          const take = Math.min(this.remaining, n - off);
          this.pushBody(chunk, off, off + take);
          off += take;
          this.remaining -= take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case S_BODYCLOSE: {
          if (this.bodyLen + (n - off) > this.maxBody) {
            return this.fail('too_large', `body exceeds ${this.maxBody} bytes`);
          }
          this.pushBody(chunk, off, n);
          off = n;
          break;
        }
        case S_CHUNKSIZE: {
          const next = this.feedChunkSize(chunk, off);
          if (next < 0) return this.failure ? 'failed' : 'more';
          off = next;
          break;
        }
        case S_CHUNKDATA: {
          const take = Math.min(this.remaining, n - off);
          this.pushBody(chunk, off, off + take);
          off += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = S_CHUNKDATAEND;
          break;
        }
        case S_CHUNKDATAEND: {
          const b = chunk[off++];
          if (b === 13) this.state = S_CHUNKDATALF;
          else if (b === 10) this.state = S_CHUNKSIZE;
          else return this.fail('protocol', 'chunk data not followed by CRLF');
          break;
        }
        case S_CHUNKDATALF: {
          if (chunk[off++] !== 10) return this.fail('protocol', 'chunk data not followed by CRLF');
          this.state = S_CHUNKSIZE;
          break;
        }
        case S_TRAILER: {
          const end = this.scanEoh(chunk, off);
          const upto = end < 0 ? n : end;
          this.partsLen += upto - off;
          if (this.partsLen > this.maxHeader) return this.fail('too_large', `trailer section exceeds ${this.maxHeader} bytes`);
          off = upto;
          if (end >= 0) this.finish();
          break;
        }
        case S_DONE:
          this.extraBytes += n - off;
          return 'done';
        default:
          return 'failed';
      }
      if (this.state === S_FAILED) return 'failed';
    }
    if (this.state === S_DONE) return 'done';
    return 'more';
  }

  /** The peer closed the connection (EOF). */
  end(): FeedResult {
    switch (this.state) {
      case S_DONE:
        return 'done';
      case S_FAILED:
        return 'failed';
      case S_BODYCLOSE:
        this.finish();
        return 'done';
      case S_HEAD:
        return this.endInHead();
      case S_TRAILER:
        // All data arrived; only the trailer section's blank line is missing.
        this.finish();
        return 'done';
      default:
        return this.fail(
          'closed',
          this.framing === 'chunked'
            ? `peer closed inside a chunked body after ${this.bodyLen} bytes`
            : `peer closed after ${this.bodyLen} of ${this.bodyLen + this.remaining} body bytes`,
        );
    }
  }

  /**
   * End a close-delimited body after a silence (the caller's grace period). Returns true when
   * the response is now complete.
   */
  finishByGrace(): boolean {
    if (this.state !== S_BODYCLOSE) return false;
    this.bodyEndedByGrace = true;
    this.finish();
    return true;
  }

  // ------------------------------------------------------------------------------------------

  private fail(reason: 'protocol' | 'too_large' | 'closed', detail: string): 'failed' {
    this.state = S_FAILED;
    this.failure = { reason, phase: 'response', detail };
    this.parts = [];
    this.bodyParts = [];
    return 'failed';
  }

  private finish(): void {
    const p = this.bodyParts;
    this.body = p.length === 0 ? EMPTY : p.length === 1 ? p[0] : Buffer.concat(p, this.bodyLen);
    this.bodyParts = [];
    this.parts = [];
    this.state = S_DONE;
  }

  private pushBody(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.bodyParts.push(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
    this.bodyLen += to - from;
  }

  /**
   * Find the end of a header/trailer section in chunk[off..]: the index just after the blank
   * line, or -1. Carries state across chunks in `this.eoh`.
   */
  private scanEoh(chunk: Buffer, off: number): number {
    const n = chunk.length;
    let st = this.eoh;
    let i = off;
    while (i < n) {
      if (st === 0) {
        const j = chunk.indexOf(10, i);
        if (j < 0) {
          i = n;
          break;
        }
        st = 1;
        i = j + 1;
        continue;
      }
      const b = chunk[i];
      if (b === 10) {
        this.eoh = 0;
        return i + 1;
      }
      if (st === 1 && b === 13) {
        st = 2;
        i++;
        continue;
      }
      st = 0;
    }
    this.eoh = st;
    return -1;
  }

  /** Returns the offset after the head, or -1 when more bytes are needed (or it failed). */
  private feedHead(chunk: Buffer, off: number): number {
    const n = chunk.length;
    if (this.partsLen === 0) {
      // Leading empty lines before a status line are ignored (bounded).
      while (off < n && (chunk[off] === 13 || chunk[off] === 10)) {
        off++;
        if (++this.skipped > this.maxHeader) {
          this.fail('too_large', 'too many empty lines before the status line');
          return -1;
        }
      }
      if (off === n) return -1;
    }
    const end = this.scanEoh(chunk, off);
    if (end < 0) {
      this.partsLen += n - off;
      if (this.partsLen > this.maxHeader) {
        this.fail('too_large', `response head exceeds ${this.maxHeader} bytes`);
        return -1;
      }
      this.parts.push(off === 0 ? chunk : chunk.subarray(off));
      return -1;
    }
    const total = this.partsLen + (end - off);
    if (total > this.maxHeader) {
      this.fail('too_large', `response head exceeds ${this.maxHeader} bytes`);
      return -1;
    }
    const last = chunk.subarray(off, end);
    const head = this.parts.length === 0 ? last : Buffer.concat([...this.parts, last], total);
    this.parts = [];
    this.partsLen = 0;
    if (!this.parseHead(head.toString('latin1'))) return -1;
    return end;
  }

  /** EOF while reading a head: salvage a head cut after a complete line, else fail. */
  private endInHead(): FeedResult {
    if (this.partsLen === 0) {
      return this.fail('closed', this.interim > 0 ? 'peer closed after an interim response' : 'peer closed before any response byte');
    }
    const buf = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partsLen);
    this.parts = [];
    this.partsLen = 0;
    if (buf[buf.length - 1] !== 10) return this.fail('protocol', 'peer closed inside the response head');
    if (!this.parseHead(buf.toString('latin1'))) return 'failed';
    if (this.state === S_HEAD) return this.fail('closed', 'peer closed after an interim response');
    if (this.state === S_BODYLENGTH || this.state === S_CHUNKSIZE) {
      return this.fail('closed', 'peer closed before the body');
    }
    return this.end();
  }

  /**
   * Parse a complete head (status line + fields, lines ending in LF or CRLF). Sets the framing
   * and the next state. Returns false after a failure.
   */
  private parseHead(s: string): boolean {
    let nl = s.indexOf('\n');
    if (nl < 0) nl = s.length;
    const lineEnd = nl > 0 && s.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    // Status line: HTTP/1.x SP 3DIGIT [SP reason]
    if (
      lineEnd < 12 ||
      s.charCodeAt(0) !== 72 || // H
      s.charCodeAt(1) !== 84 ||
      s.charCodeAt(2) !== 84 ||
      s.charCodeAt(3) !== 80 ||
      s.charCodeAt(4) !== 47 || // /
      s.charCodeAt(5) !== 49 || // 1
      s.charCodeAt(6) !== 46 ||
      !isDigit(s.charCodeAt(7)) ||
      s.charCodeAt(8) !== 32
    ) {
      this.fail('protocol', `not an HTTP/1.x status line: ${JSON.stringify(s.slice(0, Math.min(lineEnd, 40)))}`);
      return false;
    }
    const d0 = s.charCodeAt(9) - 48;
    const d1 = s.charCodeAt(10) - 48;
    const d2 = s.charCodeAt(11) - 48;
    if (!(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) || (lineEnd > 12 && s.charCodeAt(12) !== 32)) {
      this.fail('protocol', `bad status code in ${JSON.stringify(s.slice(0, Math.min(lineEnd, 40)))}`);
      return false;
    }
    const status = d0 * 100 + d1 * 10 + d2;
    const minor = s.charCodeAt(7) - 48;
    const reason = lineEnd > 13 ? s.slice(13, lineEnd).trim() : '';

    // Header fields.
    const headers: Array<[string, string]> = [];
    let cl = -1; // -1 none; HUGE when beyond any cap
    let te: string | null = null;
    let connClose = false;
    let connKeepAlive = false;
    let pos = nl + 1;
    const len = s.length;
    while (pos < len) {
      let e = s.indexOf('\n', pos);
      if (e < 0) e = len;
      const le = e > pos && s.charCodeAt(e - 1) === 13 ? e - 1 : e;
      if (le === pos) break; // blank line: end of head
      const c0 = s.charCodeAt(pos);
      if (c0 === 32 || c0 === 9) {
        // obs-fold: continuation of the previous field value
        const prev = headers[headers.length - 1];
        if (!prev) {
          this.fail('protocol', 'header continuation line without a field');
          return false;
        }
        prev[1] = `${prev[1]} ${trimOws(s, pos, le)}`.trim();
        pos = e + 1;
        continue;
      }
      const colon = s.indexOf(':', pos);
      if (colon < 0 || colon >= le) {
        this.fail('protocol', `header line without a colon: ${JSON.stringify(s.slice(pos, Math.min(le, pos + 40)))}`);
        return false;
      }
      let nameEnd = colon;
      while (nameEnd > pos && (s.charCodeAt(nameEnd - 1) === 32 || s.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
      if (nameEnd === pos) {
        this.fail('protocol', 'empty header name');
        return false;
      }
      for (let k = pos; k < nameEnd; k++) {
        const c = s.charCodeAt(k);
        if (c > 255 || TCHAR[c] === 0) {
          this.fail('protocol', `invalid header name: ${JSON.stringify(s.slice(pos, Math.min(nameEnd, pos + 40)))}`);
          return false;
        }
      }
      const name = s.slice(pos, nameEnd).toLowerCase();
      const value = trimOws(s, colon + 1, le);
      if (value.includes('\0')) {
        this.fail('protocol', `NUL in header ${name}`);
        return false;
      }
      headers.push([name, value]);
      if (name === 'content-length') {
        const v = parseContentLength(value);
        if (v === -1) {
          this.fail('protocol', `invalid Content-Length: ${JSON.stringify(value.slice(0, 40))}`);
          return false;
        }
        if (cl !== -1 && cl !== v) {
          this.fail('protocol', 'conflicting Content-Length values');
          return false;
        }
        cl = v;
      } else if (name === 'transfer-encoding') {
        te = te === null ? value : `${te}, ${value}`;
      } else if (name === 'connection') {
        const v = value.toLowerCase();
        if (hasToken(v, 'close')) connClose = true;
        if (hasToken(v, 'keep-alive')) connKeepAlive = true;
      }
      pos = e + 1;
    }

    // 1xx interim responses (except 101) are skipped; the final response follows.
    if (status < 200 && status !== 101) {
      if (++this.interim > this.maxInterim) {
        this.fail('protocol', `more than ${this.maxInterim} interim (1xx) responses`);
        return false;
      }
      this.state = S_HEAD;
      this.eoh = 0;
      this.skipped = 0;
      return true;
    }

    this.httpVersion = `HTTP/1.${minor}`;
    this.status = status;
    this.reason = reason;
    this.headers = headers;
    this.headDone = true;
    this.keepAlive = minor >= 1 ? !connClose : connKeepAlive && !connClose;
    if (status === 101) this.keepAlive = false; // the connection is no longer HTTP

    // Framing (RFC 9112 §6.3).
    if (this.isHead || status < 200 || status === 204 || status === 304) {
      this.framing = 'none';
      this.finish();
      return true;
    }
    if (te !== null) {
      if (minor === 0) this.keepAlive = false; // TE in HTTP/1.0: faulty framing, never reuse
      if (lastToken(te) === 'chunked') {
        this.framing = 'chunked';
        this.state = S_CHUNKSIZE;
        this.partsLen = 0;
        return true;
      }
      this.framing = 'close';
      this.keepAlive = false;
      this.state = S_BODYCLOSE;
      return true;
    }
    if (cl !== -1) {
      this.framing = 'content-length';
      if (cl > this.maxBody) {
        this.fail('too_large', `Content-Length ${cl >= HUGE ? 'huge' : cl} exceeds ${this.maxBody} bytes`);
        return false;
      }
      this.remaining = cl;
      if (cl === 0) this.finish();
      else this.state = S_BODYLENGTH;
      return true;
    }
    this.framing = 'close';
    this.keepAlive = false;
    this.state = S_BODYCLOSE;
    return true;
  }

  /** Chunk-size line: `HEX [BWS] [; ext] CRLF`. Returns offset after it, or -1. */
  private feedChunkSize(chunk: Buffer, off: number): number {
    const n = chunk.length;
    const lf = chunk.indexOf(10, off);
    if (lf < 0) {
      this.partsLen += n - off;
      if (this.partsLen > this.maxChunkLine) {
        this.fail('protocol', `chunk-size line longer than ${this.maxChunkLine} bytes`);
        return -1;
      }
      this.parts.push(chunk.subarray(off));
      return -1;
    }
    let line: Buffer;
    if (this.parts.length === 0) {
      line = chunk.subarray(off, lf);
    } else {
      line = Buffer.concat([...this.parts, chunk.subarray(off, lf)]);
      this.parts = [];
    }
    this.partsLen = 0;
    if (line.length > this.maxChunkLine) {
      this.fail('protocol', `chunk-size line longer than ${this.maxChunkLine} bytes`);
      return -1;
    }
    let i = 0;
    const ll = line.length;
    let size = 0;
    while (i < ll) {
      const h = HEX[line[i]];
      if (h < 0) break;
      if (size < HUGE) size = size * 16 + h;
      i++;
    }
    if (i === 0) {
      this.fail('protocol', 'invalid chunk size');
      return -1;
    }
    while (i < ll && (line[i] === 32 || line[i] === 9)) i++;
    if (i < ll && line[i] !== 59 /* ; */ && !(line[i] === 13 && i === ll - 1)) {
      this.fail('protocol', 'invalid chunk size');
      return -1;
    }
    if (size === 0) {
      this.state = S_TRAILER;
      this.eoh = 1; // the size line's LF was just consumed: an immediate (CR)LF ends the message
      this.partsLen = 0;
      return lf + 1;
    }
    if (size >= HUGE || this.bodyLen + size > this.maxBody) {
      this.fail('too_large', `chunked body exceeds ${this.maxBody} bytes`);
      return -1;
    }
    this.remaining = size;
    this.state = S_CHUNKDATA;
    return lf + 1;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function trimOws(s: string, from: number, to: number): string {
  while (from < to && (s.charCodeAt(from) === 32 || s.charCodeAt(from) === 9)) from++;
  while (to > from && (s.charCodeAt(to - 1) === 32 || s.charCodeAt(to - 1) === 9)) to--;
  return s.slice(from, to);
}

/** Content-Length value (may be a list of identical values). -1 invalid; HUGE when beyond. */
function parseContentLength(v: string): number {
  let result = -1;
  let cur = -1;
  let digits = 0;
  const n = v.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? v.charCodeAt(i) : 44;
    if (c >= 48 && c <= 57) {
      if (cur < 0) cur = 0;
      if (cur < HUGE) cur = cur * 10 + (c - 48);
      digits++;
    } else if (c === 44) {
      if (digits === 0) return -1;
      if (result !== -1 && result !== cur) return -1;
      result = cur;
      cur = -1;
      digits = 0;
      // skip OWS after a comma
      while (i + 1 < n && (v.charCodeAt(i + 1) === 32 || v.charCodeAt(i + 1) === 9)) i++;
    } else if (c === 32 || c === 9) {
      // OWS before a comma
      let j = i;
      while (j < n && (v.charCodeAt(j) === 32 || v.charCodeAt(j) === 9)) j++;
      if (j < n && v.charCodeAt(j) !== 44) return -1;
      i = j - 1;
    } else {
      return -1;
    }
  }
  return Math.min(result, HUGE);
}

function hasToken(list: string, token: string): boolean {
  let i = list.indexOf(token);
  while (i >= 0) {
    const before = i === 0 ? 44 : list.charCodeAt(i - 1);
    const after = i + token.length >= list.length ? 44 : list.charCodeAt(i + token.length);
    if ((before === 44 || before === 32 || before === 9) && (after === 44 || after === 32 || after === 9)) return true;
    i = list.indexOf(token, i + 1);
  }
  return false;
}

function lastToken(list: string): string {
  const i = list.lastIndexOf(',');
  return (i < 0 ? list : list.slice(i + 1)).trim().toLowerCase();
}
