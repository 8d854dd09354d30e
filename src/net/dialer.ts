/**
 * Dialer: TCP connect to an IP literal (names are never resolved here) and TLS on top with the
 * legacy settings old NetScalers need (TLS 1.0, `ALL:@SECLEVEL=0`, legacy renegotiation, no
 * certificate checks — DOMAIN §1.4). One SecureContext is built once per process and shared.
 * Also extracts the TlsFacts of the scan record from a connected TLSSocket.
 *
 * Blind spots: SSLv3/SSLv2-only peers fail (OpenSSL 3 has no SSLv3); DH groups below 512 bits
 * are refused by OpenSSL itself.
 */
import { constants as cryptoConstants } from 'node:crypto';
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { createSecureContext, type SecureContext, type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { TlsFacts } from '../scan/record.js';
import { abortError, onAbort } from './abort.js';
import { classifySocketError, NetError } from './errors.js';

/** Parameters of one dial. Deadlines are `performance.now()` milliseconds. */
export interface DialParams {
  /** IPv4/IPv6 literal; anything else is refused (EW_NET_BAD_TARGET). */
  ip: string;
  port: number;
  tls: boolean;
  /** SNI name; ignored when it is an IP literal. */
  servername?: string;
  connectTimeoutMs: number;
  tlsTimeoutMs: number;
  /** Absolute deadline (host budget); a dial never runs past it. */
  deadline?: number;
  /** TLS session to resume (from an earlier connection to the same host). */
  session?: Buffer;
  /** Detail text used when the deadline (not a phase timeout) fires. */
  deadlineDetail?: string;
  /** Called with each TLS session/ticket the server hands out (for resumption). */
  onSession?: (session: Buffer) => void;
}

/** A dial in progress; `cancel()` destroys the socket and rejects with `reason`. */
export interface DialHandle {
  promise: Promise<Socket | TLSSocket>;
  cancel(reason: NetError): void;
}

let legacyContext: SecureContext | null = null;

/** The shared client context: legacy protocol versions, every cipher, legacy renegotiation. */
export function legacySecureContext(): SecureContext {
  if (!legacyContext) {
    legacyContext = createSecureContext({
      minVersion: 'TLSv1',
      ciphers: 'ALL:@SECLEVEL=0',
      secureOptions: cryptoConstants.SSL_OP_LEGACY_SERVER_CONNECT,
    });
  }
  return legacyContext;
}

// We never check identities (rejectUnauthorized: false); skip Node's hostname check work too.
const noIdentityCheck = (): undefined => undefined;

/**
 * Connect (and handshake when `p.tls`). Resolves with a connected socket in flowing-ready state
 * (no data listener attached yet); rejects with a NetError whose phase is `connect` or `tls`.
 */
export function dial(p: DialParams, signal?: AbortSignal): Promise<Socket | TLSSocket> {
  return startDial(p, signal).promise;
}

const noop = (): void => {};

/** Like `dial`, with a handle to cancel it (used by sessions on close/abort). */
export function startDial(p: DialParams, signal?: AbortSignal): DialHandle {
  if (isIP(p.ip) === 0) {
    const err = new NetError(
      { reason: 'internal', phase: 'connect', detail: `not an IP literal: ${JSON.stringify(p.ip)}` },
      { code: 'EW_NET_BAD_TARGET' },
    );
    return { promise: Promise.reject(err), cancel: noop };
  }
  if (signal?.aborted) return { promise: Promise.reject(abortError('connect')), cancel: noop };
  let cancel: (reason: NetError) => void = noop;
  const promise = new Promise<Socket | TLSSocket>((resolve, reject) => {
    const sni = p.tls && p.servername && isIP(p.servername) === 0 ? p.servername : undefined;
    // TCP first; TLS state (SSL object, buffers) is only created once the port answered. Most
    // targets of a census are refused or silent, and building TLS for them was a third of the
    // cost of such a target.
    const raw = netConnect({ host: p.ip, port: p.port });
    let sock: Socket | TLSSocket = raw;
    raw.setNoDelay(true);
    let phase: 'connect' | 'tls' = 'connect';
    let timer: NodeJS.Timeout | null = null;
    let settled = false;
    let unsub: (() => void) | null = null;

    const finish = (err: NetError | null): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      timer = null;
      unsub?.();
      // The error listener stays (a no-op once settled): an error emitted before the caller
      // attaches its own must not become an uncaught exception.
      raw.removeListener('connect', onConnect);
      if (sock !== raw) sock.removeListener('secureConnect', onSecure);
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        resolve(sock);
      }
    };
    const arm = (limitMs: number): void => {
      if (timer) clearTimeout(timer);
      const t = performance.now();
      const dl = p.deadline ?? Number.POSITIVE_INFINITY;
      const byDeadline = dl - t < limitMs;
      const delay = Math.min(2 ** 31 - 1, Math.max(0, byDeadline ? dl - t : limitMs));
      timer = setTimeout(() => {
        timer = null;
        // Decide after this loop turn's I/O poll: a connect/handshake that already completed in
        // the kernel is seen first, so the timeout measures the peer, not our event-loop lag.
        setImmediate(() => {
          if (settled || timer) return;
          onDeadline();
        });
      }, delay);
      const onDeadline = (): void => {
        const detail = byDeadline
          ? (p.deadlineDetail ?? 'host time budget spent')
          : phase === 'connect'
            ? `TCP connect timed out after ${limitMs} ms`
            : `TLS handshake timed out after ${limitMs} ms`;
        finish(new NetError({ reason: 'timeout', phase, detail }));
      };
    };
    const onError = (err: Error): void => finish(new NetError(classifySocketError(err, phase), { cause: err }));
    const onSecure = (): void => finish(null);
    const onConnect = (): void => {
      if (!p.tls) {
        finish(null);
        return;
      }
      phase = 'tls';
      const t = tlsConnect({
        socket: raw,
        servername: sni,
        secureContext: legacySecureContext(),
        rejectUnauthorized: false,
        checkServerIdentity: noIdentityCheck,
        minDHSize: 1,
        session: p.session,
      });
      // Errors of the wrapped TCP socket surface on the TLS socket from here on.
      raw.removeListener('error', onError);
      raw.on('error', noop);
      sock = t;
      t.on('error', onError);
      t.once('secureConnect', onSecure);
      if (p.onSession) t.on('session', p.onSession);
      arm(p.tlsTimeoutMs);
    };

    raw.on('error', onError);
    raw.once('connect', onConnect);
    if (signal) unsub = onAbort(signal, () => finish(abortError(phase)));
    cancel = (reason) => finish(reason);
    arm(p.connectTimeoutMs);
  });
  return { promise, cancel: (reason) => cancel(reason) };
}

/** `C=US, ST=California, O=Citrix ANG, CN=default LUJFBF` from Node's parsed name object. */
export function oneLineName(name: unknown): string | null {
  if (!name || typeof name !== 'object') return null;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(name as Record<string, unknown>)) {
    if (Array.isArray(v)) for (const x of v) parts.push(`${k}=${String(x)}`);
    else if (v !== undefined) parts.push(`${k}=${String(v)}`);
  }
  return parts.length ? parts.join(', ') : null;
}

/** DNS names from Node's `subjectaltname` string (`DNS:a, DNS:"b,c", IP Address:1.2.3.4`). */
export function parseSans(s: string | undefined): string[] {
  if (!s) return [];
  const out: string[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && (s[i] === ' ' || s[i] === ',')) i++;
    const colon = s.indexOf(':', i);
    if (colon < 0) break;
    const kind = s.slice(i, colon);
    let j = colon + 1;
    let val = '';
    let quoted = false;
    if (s[j] === '"') {
      // JSON-style quoted value: Node quotes values containing separators or control characters
      // and escapes them as JSON (\r, \n, \uXXXX), so JSON.parse restores the exact name.
      const start = j;
      j++;
      while (j < n && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      j++;
      quoted = true;
      try {
        val = JSON.parse(s.slice(start, Math.min(j, n))) as string;
      } catch {
        val = s.slice(start + 1, Math.min(j, n) - 1);
      }
    } else {
      const comma = s.indexOf(',', j);
      const end = comma < 0 ? n : comma;
      val = s.slice(j, end);
      j = end;
    }
    if (kind === 'DNS') out.push(quoted ? val : val.trim());
    i = j;
  }
  return out;
}

function firstValue(v: unknown): string | null {
  if (Array.isArray(v)) return v.length ? String(v[0]) : null;
  return typeof v === 'string' ? v : null;
}

/** TlsFacts of a connected TLS socket (one call per host: getPeerCertificate is not free). */
export function extractTlsFacts(sock: TLSSocket): TlsFacts {
  const cipher = sock.getCipher();
  const facts: TlsFacts = {
    version: sock.getProtocol() ?? null,
    cipher: cipher?.name ?? null,
    subject_cn: null,
    subject: null,
    issuer: null,
    sans: [],
    serial: null,
    not_after: null,
    key_bits: null,
    self_signed: false,
    sha256: null,
  };
  let cert: ReturnType<TLSSocket['getPeerCertificate']> | undefined;
  try {
    cert = sock.getPeerCertificate(false);
  } catch {
    return facts;
  }
  // An empty object means no certificate (anonymous cipher).
  if (!cert || (cert.subject === undefined && cert.fingerprint256 === undefined)) return facts;
  facts.subject_cn = firstValue((cert.subject as unknown as Record<string, unknown> | undefined)?.CN);
  facts.subject = oneLineName(cert.subject);
  facts.issuer = oneLineName(cert.issuer);
  facts.sans = parseSans(cert.subjectaltname);
  facts.serial = cert.serialNumber ? cert.serialNumber.toUpperCase() : null;
  if (cert.valid_to) {
    const d = new Date(cert.valid_to);
    facts.not_after = Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  const bits = (cert as { bits?: unknown }).bits;
  facts.key_bits = typeof bits === 'number' ? bits : null;
  facts.self_signed = facts.subject !== null && facts.subject === facts.issuer;
  facts.sha256 = cert.fingerprint256 ? cert.fingerprint256.replaceAll(':', '').toLowerCase() : null;
  return facts;
}
