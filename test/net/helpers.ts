/**
 * Test helpers for src/net: loopback-only raw TCP and TLS servers on port 0, throwaway
 * certificates made with the openssl CLI, and fast probe options.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { DEFAULT_PROBE_OPTIONS, type ProbeOptions } from '../../src/net/types.js';

export interface TestServer {
  port: number;
  /** Connections accepted so far. */
  conns: number;
  /** Raw request heads received (latin1, including the final CRLFCRLF), in order. */
  requests: string[];
  close(): Promise<void>;
}

export type ConnHandler = (sock: Socket, srv: TestServer) => void;

function track(server: Server, onConn: ConnHandler, event: 'connection' | 'secureConnection'): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const srv: TestServer = {
    port: 0,
    conns: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const handle = (sock: Socket): void => {
    srv.conns++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    onConn(sock, srv);
  };
  server.on(event, handle);
  server.on('tlsClientError', () => {});
  server.on('error', () => {});
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      srv.port = (server.address() as AddressInfo).port;
      resolve(srv);
    });
  });
}

/** Plain TCP server on 127.0.0.1:0. */
export function rawServer(onConn: ConnHandler): Promise<TestServer> {
  return track(createServer(), onConn, 'connection');
}

/** TLS server on 127.0.0.1:0 (handler runs after the handshake). */
export function tlsServer(opts: TlsOptions, onConn: ConnHandler): Promise<TestServer> {
  const server = createTlsServer(opts);
  // tls.Server emits 'connection' with raw sockets too; only secure ones reach the handler.
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return track(server, onConn, 'secureConnection').then((srv) => {
    const close = srv.close;
    srv.close = () => {
      for (const s of sockets) s.destroy();
      return close();
    };
    return srv;
  });
}

/** Call `cb` for each complete request head that arrives on `sock`. */
export function onRequest(sock: Socket, srv: TestServer, cb: (head: string) => void): void {
  let buf = '';
  sock.on('data', (c: Buffer) => {
    buf += c.toString('latin1');
    for (;;) {
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) break;
      const head = buf.slice(0, i + 4);
      buf = buf.slice(i + 4);
      srv.requests.push(head);
      cb(head);
    }
  });
}

/** A keep-alive responder: `respond(head)` returns the raw bytes to send for each request. */
export function responder(respond: (head: string, sock: Socket) => string | Buffer | null): ConnHandler {
  return (sock, srv) =>
    onRequest(sock, srv, (head) => {
      const r = respond(head, sock);
      if (r !== null && !sock.destroyed) sock.write(r);
    });
}

export interface Cert {
  key: string;
  cert: string;
  /** `openssl x509 -fingerprint -sha256`, lower-case hex without colons. */
  sha256: string;
  dir: string;
}

/** Self-signed throwaway certificate via the openssl CLI. */
export function makeCert(subj = '/CN=test', sans?: string[], bits = 2048): Cert {
  const dir = mkdtempSync(join(tmpdir(), 'ew-net-'));
  const args = [
    'req',
    '-x509',
    '-newkey',
    `rsa:${bits}`,
    '-nodes',
    '-subj',
    subj,
    '-days',
    '1',
    '-keyout',
    join(dir, 'k.pem'),
    '-out',
    join(dir, 'c.pem'),
    '-set_serial',
    '1',
  ];
  if (sans) args.push('-addext', `subjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}`);
  execFileSync('openssl', args, { stdio: 'ignore' });
  const fp = execFileSync('openssl', ['x509', '-in', join(dir, 'c.pem'), '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  return {
    key: readFileSync(join(dir, 'k.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'c.pem'), 'utf8'),
    sha256: fp.split('=')[1].trim().replace(/:/g, '').toLowerCase(),
    dir,
  };
}

export function removeCert(c: Cert): void {
  rmSync(c.dir, { recursive: true, force: true });
}

/** Probe options with short timeouts for tests. */
export function fastOpts(over: Partial<ProbeOptions> = {}): ProbeOptions {
  return {
    ...DEFAULT_PROBE_OPTIONS,
    tls: false,
    connectTimeoutMs: 1000,
    tlsTimeoutMs: 400,
    firstByteTimeoutMs: 400,
    idleTimeoutMs: 400,
    totalTimeoutMs: 5000,
    closeDelimitedGraceMs: 150,
    ...over,
  };
}

/** A port on 127.0.0.1 that nobody listens on (was free a moment ago). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Mulberry32: small seeded PRNG so fuzz failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ok = (body: string, extra = ''): string =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
