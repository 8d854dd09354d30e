/**
 * Contracts of the probe engine (src/net). Everything above net/ talks to a host through a
 * HostSession: one per target, carrying all requests over one keep-alive connection where the
 * server allows it, reconnecting transparently where it does not (close-delimited bodies,
 * `Connection: close`, HTTP/1.0). Paths go on the wire byte for byte as given.
 */
import type { ReasonCode, TlsFacts } from '../scan/record.js';

export interface ProbeOptions {
  /** Use TLS (https) or plain TCP (http). */
  tls: boolean;
  /** TCP connect timeout, ms. */
  connectTimeoutMs: number;
  /** TLS handshake timeout after TCP connect, ms. */
  tlsTimeoutMs: number;
  /** Time from writing a request to the first response byte, ms. */
  firstByteTimeoutMs: number;
  /** Max silence between two reads while a response is incomplete, ms. */
  idleTimeoutMs: number;
  /** Budget for everything done with one host (all connections, all requests), ms. */
  totalTimeoutMs: number;
  /** Max bytes of a response head (status line + headers). */
  maxHeaderBytes: number;
  /** Max body bytes kept per response; a longer body fails the request with `too_large`. */
  maxBodyBytes: number;
  /** Max bytes read from one host over all requests; exceeding it fails with `too_large`. */
  maxHostBytes: number;
  userAgent: string;
  /**
   * For close-delimited bodies (no Content-Length, no chunking): how long to wait for more bytes
   * before accepting what arrived as the complete body, ms. Some appliances send a bare
   * `HTTP/1.1 403 Forbidden\r\n\r\n` and keep the socket open.
   */
  closeDelimitedGraceMs: number;
}

export const DEFAULT_PROBE_OPTIONS: ProbeOptions = {
  tls: true,
  connectTimeoutMs: 3000,
  tlsTimeoutMs: 5000,
  firstByteTimeoutMs: 5000,
  idleTimeoutMs: 5000,
  totalTimeoutMs: 20000,
  maxHeaderBytes: 16 * 1024,
  maxBodyBytes: 256 * 1024,
  maxHostBytes: 1024 * 1024,
  userAgent: 'edgewatch/0.1 (+https://github.com/edgewatch/edgewatch; non-intrusive vulnerability census)',
  closeDelimitedGraceMs: 1000,
};

export interface HttpRequestSpec {
  method: 'GET' | 'HEAD';
  /** Raw request target, sent exactly as written (no normalisation, no re-encoding). */
  path: string;
  /** Extra headers; Host, User-Agent, Accept, Connection are set by the session unless given. */
  headers?: Record<string, string>;
}

export interface HttpResponse {
  /** e.g. `HTTP/1.1`. */
  httpVersion: string;
  status: number;
  reason: string;
  /** Header fields in wire order; names lower-cased, values trimmed. */
  headers: Array<[string, string]>;
  /** Number of header fields (0 for a bare status line, e.g. the CTX267679 responder 403). */
  headerCount: number;
  /** Body as received (de-chunked, never decompressed). Empty for HEAD/204/304. */
  body: Buffer;
  /** How the body length was delimited. */
  framing: 'content-length' | 'chunked' | 'close' | 'none';
  /** True when a close-delimited body was accepted after `closeDelimitedGraceMs` of silence. */
  bodyEndedByGrace: boolean;
  /** Request line as sent, e.g. `GET /vpn/../vpns/ HTTP/1.1`. */
  requestLine: string;
  /** Milliseconds from request write to complete response. */
  elapsedMs: number;
}

/** A failed request or connection. `reason` is from the record's closed vocabulary. */
export interface ProbeFailure {
  reason: ReasonCode;
  /** Where it failed. */
  phase: 'dns' | 'connect' | 'tls' | 'request' | 'response';
  detail: string;
}

export interface SessionTarget {
  ip: string;
  port: number;
  /** SNI and Host header; when absent the Host header is the ip (and port if not default). */
  host?: string;
}

export interface SessionStats {
  connections: number;
  requests: number;
  bytesRead: number;
  bytesWritten: number;
}

/** Per-request options. */
export interface RequestOptions {
  /**
   * Drop this request (reject with code EW_NET_DROPPED, nothing recorded) when a request queued
   * before it on the same session fails: for requests sent ahead that the caller only needs if
   * the host keeps answering.
   */
  speculative?: boolean;
}

export interface HostSession {
  readonly target: SessionTarget;
  /**
   * Send one request and read its complete response. Rejects with a NetError (see errors.ts)
   * carrying a ProbeFailure; after a failure the session can still be used (it reconnects),
   * unless the host budget (time or bytes) is spent, in which case every later call fails fast
   * with the same failure.
   */
  request(req: HttpRequestSpec, opts?: RequestOptions): Promise<HttpResponse>;
  /** TLS facts of the first successful handshake (null for plain HTTP or before connecting). */
  tls(): TlsFacts | null;
  readonly stats: SessionStats;
  close(): void;
}
