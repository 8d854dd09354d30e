/**
 * Tiny raw clients for the lab tests (node:net / node:tls, written here on purpose: the lab is
 * checked with its own clients, never with the scanner's src/net).
 */
import net from 'node:net';
import tls from 'node:tls';

export interface Exchange {
  data: Buffer;
  /** The peer closed (FIN or reset) before the wait ended. */
  closed: boolean;
  /** Socket error code (ECONNREFUSED, ECONNRESET, TLS errors...), or null. */
  error: string | null;
  /** TLS connection was established. */
  secure: boolean;
}

export interface ExchangeOptions {
  ip: string;
  port: number;
  /** false = plain TCP; true = TLS with defaults + rejectUnauthorized false; object = TLS options. */
  tls?: boolean | tls.ConnectionOptions;
  send?: string | Buffer;
  /** Give up after this many ms (default 3000). */
  waitMs?: number;
  /** Stop once this returns true for the bytes so far. */
  until?: (data: Buffer) => boolean;
  /** Stop reading after this many bytes (destroy). */
  maxBytes?: number;
}

export function exchange(o: ExchangeOptions): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let error: string | null = null;
    let secure = false;
    let done = false;
    const sock: net.Socket = o.tls
      ? tls.connect({ host: o.ip, port: o.port, rejectUnauthorized: false, ...(typeof o.tls === 'object' ? o.tls : {}) })
      : net.connect({ host: o.ip, port: o.port });
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed, error, secure });
    };
    const timer = setTimeout(() => finish(false), o.waitMs ?? 3000);
    sock.on(o.tls ? 'secureConnect' : 'connect', () => {
      secure = Boolean(o.tls);
      if (o.send !== undefined) sock.write(o.send);
    });
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (o.maxBytes !== undefined && size >= o.maxBytes) return finish(false);
      if (o.until?.(Buffer.concat(chunks))) finish(false);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => finish(true));
  });
}

export interface ParsedResponse {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  headerCount: number;
  body: Buffer;
  /** Bytes after this response (pipelined next response). */
  rest: Buffer;
}

/** Parse one HTTP response (Content-Length, chunked, or close-delimited). */
export function parseResponse(buf: Buffer, head = false): ParsedResponse | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const statusLine = lines[0] ?? '';
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    if (c <= 0) continue;
    const name = l.slice(0, c).toLowerCase();
    const value = l.slice(c + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}\n${value}`;
  }
  const status = Number(statusLine.split(' ')[1]);
  let rest = buf.subarray(end + 4);
  let body: Buffer;
  if (head) body = Buffer.alloc(0);
  else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length < n) return null;
    body = rest.subarray(0, n);
    rest = rest.subarray(n);
  } else if ((headers['transfer-encoding'] ?? '').includes('chunked')) {
    const parts: Buffer[] = [];
    let p = 0;
    for (;;) {
      const eol = rest.indexOf('\r\n', p);
      if (eol < 0) return null;
      const n = Number.parseInt(rest.toString('latin1', p, eol), 16);
      if (n === 0) {
        p = eol + 4;
        break;
      }
      if (rest.length < eol + 2 + n + 2) return null;
      parts.push(rest.subarray(eol + 2, eol + 2 + n));
      p = eol + 2 + n + 2;
    }
    body = Buffer.concat(parts);
    rest = rest.subarray(p);
  } else {
    body = rest;
    rest = Buffer.alloc(0);
  }
  return { statusLine, status, headers, headerCount: lines.length - 1, body, rest };
}

/** One request with `Connection: close`; resolves with the parsed response. */
export async function request(
  ip: string,
  port: number,
  scheme: 'http' | 'https',
  path: string,
  opts: { method?: string; tls?: tls.ConnectionOptions; keepAlive?: boolean } = {},
): Promise<ParsedResponse & { closed: boolean }> {
  const method = opts.method ?? 'GET';
  const conn = opts.keepAlive ? '' : 'Connection: close\r\n';
  const x = await exchange({
    ip,
    port,
    tls: scheme === 'https' ? (opts.tls ?? true) : false,
    send: `${method} ${path} HTTP/1.1\r\nHost: ${ip}\r\nUser-Agent: lab-test\r\nAccept-Encoding: identity\r\n${conn}\r\n`,
    waitMs: 3000,
    until: opts.keepAlive ? (d) => parseResponse(d, method === 'HEAD') !== null : undefined,
  });
  const r = parseResponse(x.data, method === 'HEAD');
  if (!r) throw new Error(`no complete response from ${ip}:${port} ${path} (${x.error ?? 'no error'}, ${x.data.length} bytes)`);
  return { ...r, closed: x.closed };
}
