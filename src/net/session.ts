/**
 * HostSession: all requests to one host over one keep-alive connection, reconnecting
 * transparently when the server will not reuse it (close-delimited body, `Connection: close`,
 * HTTP/1.0 without keep-alive, unsolicited bytes, socket closed or failed). Requests are written
 * as raw bytes: the path goes on the wire exactly as given (DOMAIN §2.4 — never URL/fetch).
 *
 * Limits: connect, TLS-handshake, first-byte and idle timeouts; a per-host time budget that
 * starts with the first request (not at creation, so queued sessions do not age) and spans all
 * connections and the caller's pauses between requests (once spent, every call fails fast with
 * the same failure); a per-host byte budget; header/body caps from the parser. After
 * `too_large` (any cap) or an abort the session is spent.
 *
 * Timers: one timer per session at a time. Reads only record the time of the last byte; the
 * timer re-arms itself when it fires early, so the hot path does no timer work.
 *
 * Requests are answered in order, one exchange at a time. Requests made while another is in
 * flight are pipelined (RFC 9112 §9.3.2): their bytes go out with the current request in one
 * write, and their responses are read in order from the same connection. Only GET and HEAD
 * exist, both idempotent, so requests lost to a close are simply written again on the next
 * connection. A server that closes instead of keeping alive, or that leaves a pipelined request
 * unanswered, turns pipelining off for the rest of the session. A `speculative` request is
 * dropped (EW_NET_DROPPED) when a request before it fails, so a caller can queue requests it will
 * only need if the host keeps answering without multiplying timeouts on dead hosts.
 * The mangled `Cneonction`/`nnCoection` headers NetScalers emit are not `Connection` headers,
 * so they do not stop keep-alive; only an actual close does.
 */
import { isIP, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TlsFacts } from '../scan/record.js';
import { abortedFailure, onAbort } from './abort.js';
import { type DialHandle, extractTlsFacts, startDial } from './dialer.js';
import { classifySocketError, NetError } from './errors.js';
import { ResponseParser } from './http1.js';
import type {
  HostSession,
  HttpRequestSpec,
  HttpResponse,
  ProbeFailure,
  ProbeOptions,
  RequestOptions,
  SessionStats,
  SessionTarget,
} from './types.js';

const MODE_FIRST_BYTE = 0;
const MODE_IDLE = 1;
const MODE_GRACE = 2;

/** Path characters we refuse: controls, space, DEL, and anything that is not one byte. */
const BAD_PATH = /[\x00-\x20\x7f\u0100-\uffff]/;
/** Header values may not contain NUL, CR, LF or non-byte characters. */
const BAD_VALUE = /[\x00\r\n\u0100-\uffff]/;
/** Header names must be RFC 9110 tokens. */
const BAD_NAME = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Characters a Host name may not contain. */
const BAD_HOST = /[\s/?#@]/;
/** setTimeout treats larger delays as 1 ms. */
const MAX_DELAY = 2 ** 31 - 1;

const DEFAULT_HEADERS = new Set(['host', 'user-agent', 'accept', 'connection']);

/** At most this many requests are on the wire ahead of the one being read. */
const MAX_AHEAD = 16;

/** A request waiting for its turn. */
interface Waiter {
  wire: string;
  requestLine: string;
  head: boolean;
  speculative: boolean;
  /** The socket its bytes were already written on (pipelined), if any. */
  sentOn: Socket | null;
  resolve(r: HttpResponse): void;
  reject(e: unknown): void;
}

interface Exchange {
  resolve(r: HttpResponse): void;
  reject(e: NetError): void;
  requestLine: string;
  /** The connection had carried an earlier request (a stale keep-alive may be retried). */
  reused: boolean;
  writtenAt: number;
  lastActivity: number;
  silenceMs: number;
  mode: number;
  gotByte: boolean;
  /** Its bytes went out ahead, behind an earlier request on the same connection. */
  pipelined: boolean;
}

/** Create the session for one target. Never throws; a bad target fails every request. */
export function createHostSession(target: SessionTarget, opts: ProbeOptions, signal?: AbortSignal): HostSession {
  return new Session(target, opts, signal);
}

function badRequest(detail: string): NetError {
  return new NetError({ reason: 'internal', phase: 'request', detail }, { code: 'EW_NET_BAD_REQUEST' });
}

class Session implements HostSession {
  readonly target: SessionTarget;
  readonly stats: SessionStats = { connections: 0, requests: 0, bytesRead: 0, bytesWritten: 0 };

  private readonly o: ProbeOptions;
  private readonly signal: AbortSignal | undefined;
  private readonly parser: ResponseParser;
  private readonly defaults: Record<string, string>;
  /** The default header block after the request line, ending with the blank line. */
  private readonly fixedTail: string;

  private sock: Socket | null = null;
  private reusable = false;
  private dialing: DialHandle | null = null;
  private spent: ProbeFailure | null = null;
  private spentCode: string | undefined;
  private deadline = 0;
  private tlsFacts: TlsFacts | null = null;
  private tlsSession: Buffer | undefined;
  private busy = false;
  private readonly waiting: Waiter[] = [];
  /** The request being exchanged (its wire may still wait for the next flush). */
  private active: Waiter | null = null;
  private flushQueued = false;
  /** Requests written on `sock` whose responses are not read yet (excluding the active one). */
  private ahead = 0;
  /** Bytes that arrived after the last complete response, for the next pipelined exchange. */
  private leftover: Buffer | null = null;
  /** Pipelining stays on until the server shows it does not keep connections alive. */
  private pipelineOk = true;
  private unsubAbort: (() => void) | null = null;
  private cur: Exchange | null = null;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private timerDue = 0;
  private lastStale = false;

  constructor(target: SessionTarget, opts: ProbeOptions, signal?: AbortSignal) {
    this.target = target;
    this.o = opts;
    this.signal = signal;
    this.parser = new ResponseParser({ maxHeaderBytes: opts.maxHeaderBytes, maxBodyBytes: opts.maxBodyBytes });
    const defPort = opts.tls ? 443 : 80;
    let name = target.host ?? target.ip;
    if (isIP(name) === 6) name = `[${name}]`;
    const hostHeader = target.port === defPort ? name : `${name}:${target.port}`;
    this.defaults = {
      host: `Host: ${hostHeader}`,
      'user-agent': `User-Agent: ${opts.userAgent}`,
      accept: 'Accept: */*',
      connection: 'Connection: keep-alive',
    };
    this.fixedTail = `\r\n${this.defaults.host}\r\n${this.defaults['user-agent']}\r\n${this.defaults.accept}\r\n${this.defaults.connection}\r\n\r\n`;
    if (isIP(target.ip) === 0) {
      this.spend({ reason: 'internal', phase: 'connect', detail: `not an IP literal: ${JSON.stringify(target.ip)}` }, 'EW_NET_BAD_TARGET');
    } else if (BAD_VALUE.test(hostHeader) || BAD_HOST.test(name) || !(target.port > 0 && target.port < 65536)) {
      this.spend(
        { reason: 'internal', phase: 'connect', detail: `bad host name or port: ${JSON.stringify(hostHeader)}` },
        'EW_NET_BAD_TARGET',
      );
    } else if (BAD_VALUE.test(opts.userAgent)) {
      this.spend({ reason: 'internal', phase: 'request', detail: 'bad User-Agent' }, 'EW_NET_BAD_REQUEST');
    }
  }

  tls(): TlsFacts | null {
    return this.tlsFacts;
  }

  request(req: HttpRequestSpec, opts?: RequestOptions): Promise<HttpResponse> {
    if (this.spent) return Promise.reject(this.spentError());
    let built: { wire: string; requestLine: string };
    try {
      built = this.build(req);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<HttpResponse>((resolve, reject) => {
      const w: Waiter = {
        wire: built.wire,
        requestLine: built.requestLine,
        head: req.method === 'HEAD',
        speculative: opts?.speculative === true,
        sentOn: null,
        resolve,
        reject,
      };
      if (this.busy) {
        this.waiting.push(w);
        this.queueFlush();
      } else {
        this.run(w);
      }
    });
  }

  close(): void {
    if (!this.spent) this.spend({ reason: 'internal', phase: 'request', detail: 'session closed' }, 'EW_NET_SESSION_CLOSED');
  }

  // ------------------------------------------------------------------------------------------

  private run(w: Waiter): void {
    this.busy = true;
    this.active = w;
    this.runInner(w).then(
      (res) => {
        this.active = null;
        w.resolve(res);
        this.next();
      },
      (err) => {
        this.active = null;
        w.reject(err);
        this.dropSpeculative();
        this.next();
      },
    );
  }

  private next(): void {
    this.busy = false;
    const w = this.waiting.shift();
    if (w) this.run(w);
  }

  /** A request failed: queued speculative requests are not wanted any more. */
  private dropSpeculative(): void {
    if (!this.waiting.some((w) => w.speculative)) return;
    const keep: Waiter[] = [];
    for (const w of this.waiting) {
      if (w.speculative) {
        w.reject(
          new NetError({ reason: 'internal', phase: 'request', detail: 'dropped: an earlier request failed' }, { code: 'EW_NET_DROPPED' }),
        );
      } else keep.push(w);
    }
    this.waiting.length = 0;
    this.waiting.push(...keep);
  }

  /** Write, in one go, the active request (if not written yet) and queued ones (pipelining). */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flush);
  }

  /**
   * The only writer of request bytes: the active request once its exchange began (if its bytes
   * are not on this connection yet), then queued requests up to MAX_AHEAD, in one write.
   */
  private readonly flush = (): void => {
    this.flushQueued = false;
    const sock = this.sock;
    const a = this.active;
    if (!sock || !a || this.cur === null || this.spent || sock.destroyed) return;
    let out = '';
    if (a.sentOn !== sock) {
      a.sentOn = sock;
      out = a.wire;
      // The first-byte clock starts when the bytes go out.
      const x = this.cur;
      x.writtenAt = x.lastActivity = performance.now();
    }
    if (this.pipelineOk) {
      for (const w of this.waiting) {
        if (this.ahead >= MAX_AHEAD) break;
        if (w.sentOn === sock) continue;
        w.sentOn = sock;
        this.ahead++;
        out += w.wire;
      }
    }
    if (out.length === 0) return;
    this.stats.bytesWritten += out.length;
    sock.write(out, 'latin1');
  };

  private spentError(): NetError {
    return new NetError(this.spent as ProbeFailure, { code: this.spentCode });
  }

  private async runInner(w: Waiter): Promise<HttpResponse> {
    if (this.spent) throw this.spentError();
    if (this.deadline === 0) {
      this.deadline = performance.now() + this.o.totalTimeoutMs;
      if (this.signal) {
        if (this.signal.aborted) this.spend(abortedFailure('request'), 'EW_NET_ABORTED');
        else this.unsubAbort = onAbort(this.signal, this.onAbortSignal);
      }
      if (this.spent) throw this.spentError();
    } else if (performance.now() >= this.deadline) {
      this.spend({ reason: 'timeout', phase: 'request', detail: `host time budget of ${this.o.totalTimeoutMs} ms spent` });
      throw this.spentError();
    }
    this.stats.requests++;
    for (let attempt = 0; ; attempt++) {
      const reused = this.sock !== null && this.reusable;
      if (!reused) {
        this.dropSocket();
        await this.connect();
      }
      try {
        return await this.exchange(w, reused);
      } catch (e) {
        // A keep-alive connection the server closed while idle, or a pipelined request it left
        // unanswered: retry once on a fresh one.
        if (attempt === 0 && this.lastStale && !this.spent) continue;
        throw e;
      }
    }
  }

  private build(req: HttpRequestSpec): { wire: string; requestLine: string } {
    const m = req.method;
    if (m !== 'GET' && m !== 'HEAD') throw badRequest(`method not allowed: ${JSON.stringify(String(m).slice(0, 20))}`);
    const path = req.path;
    if (typeof path !== 'string' || path.length === 0 || BAD_PATH.test(path)) {
      throw badRequest(`path contains CR, LF, NUL, space or a non-byte character: ${JSON.stringify(String(path).slice(0, 80))}`);
    }
    const requestLine = `${m} ${path} HTTP/1.1`;
    if (!req.headers) return { wire: requestLine + this.fixedTail, requestLine };
    let overrides: Record<string, string> | null = null;
    let extra = '';
    for (const k in req.headers) {
      const v = req.headers[k];
      if (k.length === 0 || BAD_NAME.test(k)) throw badRequest(`bad header name: ${JSON.stringify(k.slice(0, 40))}`);
      if (typeof v !== 'string' || BAD_VALUE.test(v)) throw badRequest(`bad value for header ${k}`);
      const lk = k.toLowerCase();
      if (DEFAULT_HEADERS.has(lk)) {
        if (!overrides) overrides = {};
        overrides[lk] = `${k}: ${v}`;
      } else {
        extra += `${k}: ${v}\r\n`;
      }
    }
    if (!overrides) return { wire: `${requestLine}${this.fixedTail.slice(0, -2)}${extra}\r\n`, requestLine };
    const d = this.defaults;
    const o = overrides;
    const wire = `${requestLine}\r\n${o.host ?? d.host}\r\n${o['user-agent'] ?? d['user-agent']}\r\n${o.accept ?? d.accept}\r\n${
      o.connection ?? d.connection
    }\r\n${extra}\r\n`;
    return { wire, requestLine };
  }

  private async connect(): Promise<void> {
    this.stats.connections++;
    const o = this.o;
    const h = startDial({
      ip: this.target.ip,
      port: this.target.port,
      tls: o.tls,
      servername: this.target.host,
      connectTimeoutMs: o.connectTimeoutMs,
      tlsTimeoutMs: o.tlsTimeoutMs,
      deadline: this.deadline,
      deadlineDetail: `host time budget of ${o.totalTimeoutMs} ms spent`,
      session: this.tlsSession,
    });
    this.dialing = h;
    let sock: Socket;
    try {
      sock = await h.promise;
    } catch (e) {
      const err = e instanceof NetError ? e : new NetError(classifySocketError(e, 'connect'), { cause: e });
      if (!this.spent && err.failure.reason === 'timeout' && performance.now() + 1 >= this.deadline) {
        this.spend(err.failure);
      }
      throw this.spent ? this.spentError() : err;
    } finally {
      this.dialing = null;
    }
    if (this.spent) {
      sock.destroy();
      throw this.spentError();
    }
    this.sock = sock;
    this.reusable = true;
    sock.on('data', (c: Buffer) => this.onData(sock, c));
    sock.on('end', () => this.onEof(sock));
    sock.on('close', () => this.onEof(sock));
    sock.on('error', (e: Error) => this.onSockError(sock, e));
    if (o.tls && !this.tlsFacts) this.tlsFacts = extractTlsFacts(sock as TLSSocket);
  }

  private exchange(w: Waiter, reused: boolean): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const sock = this.sock as Socket;
      const pipelined = w.sentOn === sock;
      if (pipelined) this.ahead--;
      this.parser.reset(w.head);
      const t = performance.now();
      const x: Exchange = {
        resolve,
        reject,
        requestLine: w.requestLine,
        reused,
        pipelined,
        writtenAt: t,
        lastActivity: t,
        silenceMs: this.o.firstByteTimeoutMs,
        mode: MODE_FIRST_BYTE,
        gotByte: false,
      };
      this.cur = x;
      this.lastStale = false;
      this.reusable = false;
      // Written by the flush, together with any requests queued by then (pipelining).
      if (!pipelined) this.queueFlush();
      this.armTimer();
      const rest = this.leftover;
      if (rest !== null) {
        this.leftover = null;
        this.feedCur(sock, x, rest);
      }
    });
  }

  private onData(sock: Socket, chunk: Buffer): void {
    if (sock !== this.sock) return;
    const st = this.stats;
    st.bytesRead += chunk.length;
    const x = this.cur;
    if (st.bytesRead > this.o.maxHostBytes) {
      if (x)
        this.failCur({ reason: 'too_large', phase: 'response', detail: `host byte budget of ${this.o.maxHostBytes} bytes spent` }, true);
      else this.spend({ reason: 'too_large', phase: 'response', detail: `host byte budget of ${this.o.maxHostBytes} bytes spent` });
      return;
    }
    if (!x) {
      if (this.ahead > 0) {
        // The start of a pipelined response, read before its exchange begins.
        this.leftover = this.leftover ? Buffer.concat([this.leftover, chunk]) : chunk;
        return;
      }
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.dropSocket();
      return;
    }
    this.feedCur(sock, x, chunk);
  }

  private feedCur(sock: Socket, x: Exchange, chunk: Buffer): void {
    x.lastActivity = performance.now();
    x.gotByte = true;
    const p = this.parser;
    const r = p.feed(chunk);
    if (r === 'done') {
      if (p.extraBytes > 0 && this.ahead > 0 && sock === this.sock) {
        this.leftover = chunk.subarray(chunk.length - p.extraBytes);
      }
      this.complete(x);
    } else if (r === 'failed') {
      const f = p.failure as ProbeFailure;
      this.failCur(f, f.reason === 'too_large');
    } else if (x.mode !== MODE_GRACE) {
      if (p.inCloseDelimitedBody && this.o.closeDelimitedGraceMs > 0) {
        x.mode = MODE_GRACE;
        x.silenceMs = this.o.closeDelimitedGraceMs;
      } else if (x.mode === MODE_FIRST_BYTE) {
        x.mode = MODE_IDLE;
        x.silenceMs = this.o.idleTimeoutMs;
      } else {
        return;
      }
      if (x.lastActivity + x.silenceMs < this.timerDue) this.armTimer();
    }
  }

  private onEof(sock: Socket): void {
    if (sock !== this.sock) return;
    const x = this.cur;
    if (!x) {
      this.dropSocket();
      return;
    }
    const r = this.parser.end();
    this.reusable = false;
    if (r === 'done') this.complete(x);
    else this.failCur(this.parser.failure as ProbeFailure, false);
  }

  private onSockError(sock: Socket, err: Error): void {
    if (sock !== this.sock) return;
    const x = this.cur;
    if (!x) {
      this.dropSocket();
      return;
    }
    const code = (err as { code?: string }).code;
    if ((code === 'ECONNRESET' || code === 'EPIPE') && this.parser.inCloseDelimitedBody) {
      // Servers that reset right after a close-delimited body: the body is what arrived.
      this.onEof(sock);
      return;
    }
    this.failCur(classifySocketError(err, code === 'EPIPE' && !x.gotByte ? 'request' : 'response'), false);
  }

  private complete(x: Exchange): void {
    const p = this.parser;
    if (p.framing === 'close' && this.ahead > 0) {
      // A body delimited by the close, with requests written behind it: whatever followed could
      // be their responses read as body. Ask again on a fresh connection, without pipelining.
      this.pipelineOk = false;
      this.failCur({ reason: 'closed', phase: 'response', detail: 'close-delimited response with pipelined requests behind it' }, false);
      this.lastStale = true;
      return;
    }
    this.clearTimer();
    this.cur = null;
    const res: HttpResponse = {
      httpVersion: p.httpVersion,
      status: p.status,
      reason: p.reason,
      headers: p.headers,
      headerCount: p.headers.length,
      body: p.body,
      framing: p.framing,
      bodyEndedByGrace: p.bodyEndedByGrace,
      requestLine: x.requestLine,
      elapsedMs: performance.now() - x.writtenAt,
    };
    const extraOk = p.extraBytes === 0 || this.leftover !== null;
    if (p.keepAlive && extraOk && this.sock !== null && !this.sock.readableEnded) this.reusable = true;
    else {
      // A server that closes instead of keeping alive would lose every pipelined request.
      if (!p.keepAlive) this.pipelineOk = false;
      this.dropSocket();
    }
    x.resolve(res);
  }

  private failCur(f: ProbeFailure, spend: boolean): void {
    const x = this.cur;
    this.clearTimer();
    this.cur = null;
    if (x) {
      this.lastStale = x.reused && !x.gotByte && (f.reason === 'closed' || f.reason === 'reset');
      if (x.pipelined && !x.gotByte && f.reason === 'timeout' && !spend) {
        // A pipelined request the server left unanswered: no more pipelining, one retry.
        this.pipelineOk = false;
        this.lastStale = true;
      }
    }
    if (spend) this.spend(f);
    else this.dropSocket();
    x?.reject(new NetError(f));
  }

  private readonly onAbortSignal = (): void => {
    this.spend(abortedFailure(this.cur ? 'response' : 'connect'), 'EW_NET_ABORTED');
  };

  /** Mark the session spent: every later request fails fast with `f`. */
  private spend(f: ProbeFailure, code?: string): void {
    if (this.spent) return;
    this.spent = f;
    this.spentCode = code;
    this.unsubAbort?.();
    this.unsubAbort = null;
    const x = this.cur;
    this.cur = null;
    this.clearTimer();
    this.dropSocket();
    this.dialing?.cancel(this.spentError());
    x?.reject(this.spentError());
  }

  private dropSocket(): void {
    const s = this.sock;
    this.reusable = false;
    this.ahead = 0;
    this.leftover = null;
    if (s) {
      this.sock = null;
      // Keep the TLS session for a reconnect to this host (resumption: no full handshake). Taken
      // here, only when the session goes on, rather than from every ticket of every host.
      if (this.o.tls && !this.spent) this.keepTlsSession(s as TLSSocket);
      s.destroy();
    }
  }

  private keepTlsSession(s: TLSSocket): void {
    try {
      const session = s.getSession();
      if (session) this.tlsSession = session;
    } catch {
      // no session to keep (handshake never finished, or the socket is gone)
    }
  }

  // ---- timer ---------------------------------------------------------------------------------

  private armTimer(): void {
    const x = this.cur as Exchange;
    const due = Math.min(x.lastActivity + x.silenceMs, this.deadline);
    this.clearTimer();
    this.timerDue = due;
    this.timer = setTimeout(this.onTimer, Math.min(MAX_DELAY, Math.max(0, due - performance.now())));
  }

  private clearTimer(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    if (!this.cur) return;
    // Decide after this loop turn's I/O poll: bytes already in the kernel are read first, so a
    // timeout measures the peer, not our own event-loop lag under load.
    this.immediate = setImmediate(this.onTimerChecked);
  };

  private readonly onTimerChecked = (): void => {
    this.immediate = null;
    const x = this.cur;
    if (!x) return;
    const t = performance.now() + 1; // timers have ms granularity; never re-arm for < 1 ms
    if (t >= this.deadline) {
      this.failCur({ reason: 'timeout', phase: 'response', detail: `host time budget of ${this.o.totalTimeoutMs} ms spent` }, true);
      return;
    }
    if (t - x.lastActivity >= x.silenceMs) {
      if (x.mode === MODE_GRACE && this.parser.finishByGrace()) {
        this.complete(x);
        return;
      }
      const detail =
        x.mode === MODE_FIRST_BYTE
          ? `no response byte within ${this.o.firstByteTimeoutMs} ms of the request (first-byte timeout)`
          : `no data for ${this.o.idleTimeoutMs} ms while reading the response (idle timeout)`;
      this.failCur({ reason: 'timeout', phase: 'response', detail }, false);
      return;
    }
    this.armTimer();
  };
}
