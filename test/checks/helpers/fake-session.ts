/**
 * In-memory HostSession test double for engine unit tests: answers canned HttpResponse objects
 * per `METHOD path`, rejects with NetError-shaped objects (`.failure`) where told, and records
 * every request it was asked to send. Like the real session it answers in the order asked, and a
 * `speculative` request is dropped (EW_NET_DROPPED, not recorded as sent) when a request asked
 * before it fails. End-to-end runs against real sockets live in test/e2e.
 */
import { gzipSync } from 'node:zlib';
import type {
  HostSession,
  HttpRequestSpec,
  HttpResponse,
  ProbeFailure,
  RequestOptions,
  SessionStats,
  SessionTarget,
} from '../../../src/net/types.js';

export interface ResOptions {
  headers?: Array<[string, string]>;
  body?: string | Buffer;
  reason?: string;
  framing?: HttpResponse['framing'];
  /** Do not add Content-Length automatically. */
  noLength?: boolean;
}

/** Build an HttpResponse as the real session would hand it over. */
export function res(status: number, o: ResOptions = {}): HttpResponse {
  const body = typeof o.body === 'string' ? Buffer.from(o.body, 'latin1') : (o.body ?? Buffer.alloc(0));
  const headers: Array<[string, string]> = (o.headers ?? []).map(([k, v]) => [k.toLowerCase(), v]);
  if (!o.noLength && !headers.some(([k]) => k === 'content-length')) headers.push(['content-length', String(body.length)]);
  return {
    httpVersion: 'HTTP/1.1',
    status,
    reason: o.reason ?? (status === 200 ? 'OK' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Status'),
    headers,
    headerCount: headers.length,
    body,
    framing: o.framing ?? (headers.length === 0 ? 'close' : 'content-length'),
    bodyEndedByGrace: false,
    requestLine: '',
    elapsedMs: 1,
  };
}

/** The CTX267679 responder answer: `HTTP/1.1 403 Forbidden\r\n\r\n`, no headers, no body. */
export function bare403(): HttpResponse {
  return res(403, { noLength: true, framing: 'close' });
}

/** A HEAD answer: same head as GET, empty body. */
export function headOf(r: HttpResponse): HttpResponse {
  return { ...r, body: Buffer.alloc(0) };
}

export class FailureError extends Error {
  readonly failure: ProbeFailure;
  readonly code: string;
  constructor(f: ProbeFailure, code?: string) {
    super(f.detail);
    this.failure = f;
    this.code = code ?? `EW_NET_${f.reason.toUpperCase()}`;
  }
}

export type Answer = HttpResponse | ProbeFailure | ((req: HttpRequestSpec) => HttpResponse | ProbeFailure);

function isFailure(a: HttpResponse | ProbeFailure): a is ProbeFailure {
  return (a as ProbeFailure).phase !== undefined && (a as HttpResponse).status === undefined;
}

/** A scripted host. Routes are `METHOD path` (HEAD falls back to the GET route without body). */
export class FakeSession implements HostSession {
  readonly target: SessionTarget;
  readonly sent: string[] = [];
  readonly specs: HttpRequestSpec[] = [];
  readonly stats: SessionStats = { connections: 1, requests: 0, bytesRead: 0, bytesWritten: 0 };
  private readonly routes: Map<string, Answer>;
  private readonly fallback: Answer;

  constructor(routes: Record<string, Answer>, o: { fallback?: Answer; target?: SessionTarget } = {}) {
    this.routes = new Map(Object.entries(routes));
    this.fallback =
      o.fallback ?? (() => res(404, { headers: [['Content-Type', 'text/html']], body: '<html><body>Not Found</body></html>' }));
    this.target = o.target ?? { ip: '127.0.0.1', port: 443 };
  }

  /** Requests are answered one after another, in the order asked. */
  private turn: Promise<unknown> = Promise.resolve();
  /** Failures so far: a speculative request asked before one of them is dropped. */
  private failures = 0;

  request(req: HttpRequestSpec, opts?: RequestOptions): Promise<HttpResponse> {
    const seenFailures = this.failures;
    const p = this.turn.then(() => {
      if (opts?.speculative && this.failures !== seenFailures) {
        throw new FailureError({ reason: 'internal', phase: 'request', detail: 'dropped' }, 'EW_NET_DROPPED');
      }
      try {
        return this.answer(req);
      } catch (e) {
        this.failures++;
        throw e;
      }
    });
    this.turn = p.catch(() => {});
    return p;
  }

  private answer(req: HttpRequestSpec): HttpResponse {
    const line = `${req.method} ${req.path}`;
    this.sent.push(line);
    this.specs.push(req);
    this.stats.requests++;
    let a = this.routes.get(line);
    let head = false;
    if (a === undefined && req.method === 'HEAD') {
      a = this.routes.get(`GET ${req.path}`);
      head = a !== undefined;
    }
    a ??= this.fallback;
    const out = typeof a === 'function' ? a(req) : a;
    if (isFailure(out)) throw new FailureError(out);
    const r = head ? headOf(out) : out;
    return { ...r, requestLine: `${line} HTTP/1.1` };
  }

  tls() {
    return null;
  }

  close(): void {}
}

/** A real gzip member with FNAME set and MTIME patched to `stamp` (like rdx_en.json.gz). */
export function rdxGz(stamp: number, fname = 'rdx_en.json', content = '{"lang":"en","strings":{}}'): Buffer {
  const plain = gzipSync(Buffer.from(content));
  const name = Buffer.from(`${fname}\0`, 'latin1');
  const head = Buffer.from(plain.subarray(0, 10));
  head[3] = 0x08; // FNAME
  head.writeUInt32LE(stamp, 4);
  return Buffer.concat([head, name, plain.subarray(10)]);
}
