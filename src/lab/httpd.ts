/**
 * The lab's raw HTTP/1.1 server over any duplex socket (plain TCP or TLS): bounded request
 * parsing, keep-alive with `Connection: close` honoured, pipelined requests answered in order
 * (and written together), and response writing in three framings (Content-Length, HTTP/1.0
 * close-delimited, chunked).
 * Also writes bare bytes (the CTX267679 responder 403), lazily streamed huge bodies that are never
 * buffered, and slow drips. Deliberately independent of src/net.
 */
import type { Socket } from 'node:net';
import { type ParsedTarget, parseTarget } from './uri.js';

/** One parsed request. */
export interface LabRequest {
  method: string;
  /** Request target exactly as sent. */
  target: string;
  url: ParsedTarget;
  /** 10 for HTTP/1.0, 11 for HTTP/1.1. */
  version: 10 | 11;
  head: boolean;
}

/** A normal response. `headers` are preformatted `Name: value\r\n` lines (no Date, framing or Connection). */
export interface HttpReply {
  kind: 'response';
  status: number;
  reason: string;
  headers: string;
  body: Buffer;
  /** Close the connection after this response. */
  close?: boolean;
}

/** What a handler answers. */
export type Reply =
  | HttpReply
  /** Bytes written as they are, then the connection is closed (responder 403, garbage). */
  | { kind: 'raw'; bytes: Buffer }
  /** A head announcing `length` bytes, then `chunk` repeated lazily with backpressure. */
  | { kind: 'stream'; status: number; reason: string; headers: string; length: number; chunk: Buffer }
  /** `bytes` sent one byte a second, cycling, until the client gives up. */
  | { kind: 'drip'; bytes: Buffer };

export type Framing = 'normal' | 'http10' | 'chunked';
/** How keep-alive is announced: Apache (`Keep-Alive` + `Connection: Keep-Alive`), nginx, or IIS (nothing). */
export type ConnStyle = 'apache' | 'nginx' | 'iis';

export interface ServeOptions {
  framing: Framing;
  style: ConnStyle;
  handler: (req: LabRequest) => Reply;
  drip: DripPump;
}

const MAX_HEAD = 16 * 1024;
const MAX_REQUEST_BODY = 64 * 1024;
const MAX_REQUESTS = 100;
const IDLE_MS = 15_000;
const CRLFCRLF = Buffer.from('\r\n\r\n');

let dateSec = -1;
let dateStr = '';
/** RFC 7231 date, recomputed at most once a second. */
export function httpDate(): string {
  const s = Math.floor(Date.now() / 1000);
  if (s !== dateSec) {
    dateSec = s;
    dateStr = new Date(s * 1000).toUTCString();
  }
  return dateStr;
}

/** Sends queued byte strings one byte a second to many sockets from a single timer. */
export class DripPump {
  private readonly items = new Set<{ sock: Socket; bytes: Buffer; pos: number; until: number }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly maxMs = 600_000) {}

  add(sock: Socket, bytes: Buffer): void {
    sock.setTimeout(0);
    const item = { sock, bytes, pos: 0, until: Date.now() + this.maxMs };
    this.items.add(item);
    sock.once('close', () => this.items.delete(item));
    this.tick(item);
    if (!this.timer) this.timer = setInterval(() => this.onTimer(), 1000);
  }

  private tick(it: { sock: Socket; bytes: Buffer; pos: number }): void {
    const i = it.pos % it.bytes.length;
    it.sock.write(it.bytes.subarray(i, i + 1));
    it.pos++;
  }

  private onTimer(): void {
    const now = Date.now();
    for (const it of this.items) {
      if (it.sock.destroyed || now > it.until) {
        it.sock.destroy();
        this.items.delete(it);
      } else this.tick(it);
    }
    if (this.items.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const it of this.items) it.sock.destroy();
    this.items.clear();
  }
}

const BAD_REQUEST_BODY = Buffer.from(
  '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>400 Bad Request</title>\n</head><body>\n<h1>Bad Request</h1>\n<p>Your browser sent a request that this server could not understand.<br />\n</p>\n</body></html>\n',
);

function badRequest(): HttpReply {
  return {
    kind: 'response',
    status: 400,
    reason: 'Bad Request',
    headers: 'Content-Type: text/html; charset=iso-8859-1\r\n',
    body: BAD_REQUEST_BODY,
    close: true,
  };
}

function encodeChunked(body: Buffer): Buffer {
  if (body.length === 0) return Buffer.from('0\r\n\r\n');
  // Two chunks when possible, so clients really have to de-chunk.
  const cut = body.length > 1 ? Math.ceil(body.length / 2) : body.length;
  const parts: Buffer[] = [];
  for (const p of [body.subarray(0, cut), body.subarray(cut)]) {
    if (p.length === 0) continue;
    parts.push(Buffer.from(`${p.length.toString(16)}\r\n`), p, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

function connHeaders(style: ConnStyle, close: boolean, left: number): string {
  if (close) return 'Connection: close\r\n';
  if (style === 'apache') return `Keep-Alive: timeout=15, max=${left}\r\nConnection: Keep-Alive\r\n`;
  if (style === 'nginx') return 'Connection: keep-alive\r\n';
  return '';
}

/** Write one response; returns true when the connection must be closed afterwards. */
function writeResponse(sock: Socket, r: HttpReply, req: LabRequest, o: ServeOptions, keepAlive: boolean, left: number): boolean {
  const close = !keepAlive || r.close === true || o.framing === 'http10';
  let framing = '';
  let body = req.head ? null : r.body;
  if (o.framing === 'normal') framing = `Content-Length: ${r.body.length}\r\n`;
  else if (o.framing === 'chunked') {
    framing = 'Transfer-Encoding: chunked\r\n';
    if (body) body = encodeChunked(body);
  }
  const proto = o.framing === 'http10' ? 'HTTP/1.0' : 'HTTP/1.1';
  const head = `${proto} ${r.status} ${r.reason}\r\nDate: ${httpDate()}\r\n${r.headers}${framing}${connHeaders(o.style, close, left)}\r\n`;
  const buf = body?.length ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
  if (close) sock.end(buf);
  else sock.write(buf);
  return close;
}

/** Per-turn budget of a lazily streamed body: caps the lab's CPU per oversized connection (~50 MB/s). */
const STREAM_TURN_BYTES = 256 * 1024;

function streamBody(sock: Socket, head: string, total: number, chunk: Buffer): void {
  sock.write(Buffer.from(head, 'latin1'));
  let sent = 0;
  const pump = (): void => {
    let turn = 0;
    while (sent < total && !sock.destroyed) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      turn += n;
      if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        sock.once('drain', pump);
        return;
      }
      if (turn >= STREAM_TURN_BYTES) {
        setTimeout(pump, 5);
        return;
      }
    }
    if (sent >= total) sock.end();
  };
  pump();
}

/** Serve HTTP on an established (plain or TLS) socket until it closes. */
export function serveHttp(sock: Socket, o: ServeOptions): void {
  let pending: Buffer | null = null;
  let skip = 0;
  let served = 0;
  let done = false;
  sock.setTimeout(IDLE_MS);
  sock.on('timeout', () => sock.destroy());
  sock.on('error', () => sock.destroy());

  const finish = (): void => {
    done = true;
    pending = null;
  };

  const onData = (data: Buffer): void => {
    if (done) return;
    // Answers to requests that arrived together (pipelined) leave together, as Apache's output
    // filter does: one TLS record and one write instead of one per answer.
    sock.cork();
    try {
      serveChunk(data);
    } finally {
      sock.uncork();
    }
  };

  const serveChunk = (data: Buffer): void => {
    let buf: Buffer = pending ? Buffer.concat([pending, data]) : data;
    pending = null;
    while (!done) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length);
        skip -= n;
        buf = buf.subarray(n);
        if (skip > 0) return;
      }
      if (buf.length === 0) return;
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0) {
        if (buf.length > MAX_HEAD) {
          writeResponse(sock, badRequest(), dummyReq, o, false, 0);
          finish();
          return;
        }
        pending = Buffer.from(buf);
        return;
      }
      const headText = buf.toString('latin1', 0, end);
      buf = buf.subarray(end + 4);
      const req = parseHead(headText);
      if (!req) {
        writeResponse(sock, badRequest(), dummyReq, o, false, 0);
        finish();
        return;
      }
      if (req.bodyLength > MAX_REQUEST_BODY || req.chunkedBody) {
        writeResponse(sock, badRequest(), req.req, o, false, 0);
        finish();
        return;
      }
      skip = req.bodyLength;
      served++;
      const keepAlive = req.keepAlive && served < MAX_REQUESTS;
      let reply: Reply;
      try {
        reply = req.req.url.resolved === null ? badRequest() : o.handler(req.req);
      } catch {
        reply = {
          kind: 'response',
          status: 500,
          reason: 'Internal Server Error',
          headers: 'Content-Type: text/plain\r\n',
          body: Buffer.from('lab handler error\n'),
          close: true,
        };
      }
      if (reply.kind === 'response') {
        if (writeResponse(sock, reply, req.req, o, keepAlive, MAX_REQUESTS - served)) finish();
      } else if (reply.kind === 'raw') {
        sock.end(reply.bytes);
        finish();
      } else if (reply.kind === 'stream') {
        const headStr = `HTTP/1.1 ${reply.status} ${reply.reason}\r\nDate: ${httpDate()}\r\n${reply.headers}Content-Length: ${reply.length}\r\nConnection: close\r\n\r\n`;
        finish();
        if (req.req.head) sock.end(Buffer.from(headStr, 'latin1'));
        else streamBody(sock, headStr, reply.length, reply.chunk);
      } else {
        finish();
        o.drip.add(sock, reply.bytes);
      }
    }
  };
  sock.on('data', onData);
}

const dummyReq: LabRequest = { method: 'GET', target: '/', url: parseTarget('/'), version: 11, head: false };

interface ParsedHead {
  req: LabRequest;
  keepAlive: boolean;
  bodyLength: number;
  chunkedBody: boolean;
}

/** Parse a request head (without the final blank line); null when malformed. */
export function parseHead(text: string): ParsedHead | null {
  const eol = text.indexOf('\r\n');
  const line = eol < 0 ? text : text.slice(0, eol);
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  if (sp1 <= 0 || sp2 <= sp1 + 1) return null;
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const proto = line.slice(sp2 + 1);
  if (target.indexOf(' ') >= 0) return null;
  let version: 10 | 11;
  if (proto === 'HTTP/1.1') version = 11;
  else if (proto === 'HTTP/1.0') version = 10;
  else return null;
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    if (c < 65 || c > 90) return null;
  }
  let keepAlive = version === 11;
  let bodyLength = 0;
  let chunkedBody = false;
  let pos = eol < 0 ? text.length : eol + 2;
  while (pos < text.length) {
    let next = text.indexOf('\r\n', pos);
    if (next < 0) next = text.length;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > next) return null;
    const nameLen = colon - pos;
    if (nameLen === 10 || nameLen === 14 || nameLen === 17) {
      const name = text.slice(pos, colon).toLowerCase();
      const value = text
        .slice(colon + 1, next)
        .trim()
        .toLowerCase();
      if (name === 'connection') {
        if (value.includes('close')) keepAlive = false;
        else if (value.includes('keep-alive')) keepAlive = true;
      } else if (name === 'content-length') {
        if (!/^\d{1,12}$/.test(value)) return null;
        bodyLength = Number(value);
      } else if (name === 'transfer-encoding') {
        chunkedBody = value.includes('chunked');
      }
    }
    pos = next + 2;
  }
  return {
    req: { method, target, url: parseTarget(target), version, head: method === 'HEAD' },
    keepAlive,
    bodyLength,
    chunkedBody,
  };
}
