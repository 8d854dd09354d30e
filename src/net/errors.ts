/**
 * Probe-engine errors. Every failure of a connection or request is a NetError carrying a
 * ProbeFailure from the record's closed reason vocabulary; `classifySocketError` is the ONE place
 * that maps Node/OpenSSL errors onto that vocabulary (zgrab2's `TryGetScanStatus` idea).
 * Codes: `EW_NET_<REASON>` (e.g. EW_NET_REFUSED, EW_NET_TIMEOUT) plus EW_NET_BAD_REQUEST,
 * EW_NET_BAD_TARGET, EW_NET_ABORTED, EW_NET_SESSION_CLOSED.
 */
import { EdgewatchError } from '../errors.js';
import type { ReasonCode } from '../scan/record.js';
import type { ProbeFailure } from './types.js';

type Phase = ProbeFailure['phase'];

/** A failed connection or request; `failure` is what goes into the scan record. */
export class NetError extends EdgewatchError {
  readonly failure: ProbeFailure;

  constructor(failure: ProbeFailure, opts: { code?: string; cause?: unknown } = {}) {
    // A probe failure is an outcome of the host, not a bug: no stack trace (capturing one per
    // refused port cost more than the connect itself).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(opts.code ?? `EW_NET_${failure.reason.toUpperCase()}`, `${failure.reason} (${failure.phase}): ${failure.detail}`, {
      cause: opts.cause,
    });
    Error.stackTraceLimit = limit;
    this.name = 'NetError';
    this.failure = failure;
  }
}

export function isNetError(e: unknown): e is NetError {
  return e instanceof NetError;
}

/** Shorthand for building a failure. */
export function failure(reason: ReasonCode, phase: Phase, detail: string): ProbeFailure {
  return { reason, phase, detail };
}

interface ErrLike {
  code?: unknown;
  message?: unknown;
  syscall?: unknown;
  name?: unknown;
}

/**
 * Map a Node/OpenSSL error raised in `phase` to the closed reason vocabulary.
 * Our own timeouts, caps and parse errors are built directly as NetErrors; passing one here
 * returns its failure unchanged.
 */
export function classifySocketError(err: unknown, phase: Phase): ProbeFailure {
  if (err instanceof NetError) return err.failure;
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  const detail = code && !msg.includes(code) ? `${code}: ${msg}` : msg;
  switch (code) {
    // The port is closed: the host answered the SYN with RST.
    case 'ECONNREFUSED':
      return failure('refused', phase, detail);
    // Kernel-level connect timeout (ours fires first normally): nothing answered the SYN.
    case 'ETIMEDOUT':
      return failure('timeout', phase, detail);
    // No route / host down / local address problem: the packet could not be sent.
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return failure('host_unreachable', phase, detail);
    // Name resolution (never done by net/ itself; kept for callers that classify lookups here).
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
      return failure('dns', 'dns', detail);
    // The peer (or a middlebox) aborted the connection.
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      // Node reports a clean FIN during the TLS handshake as ECONNRESET without a syscall
      // ("socket disconnected before secure TLS connection was established"): the peer refused
      // our ClientHello, which is a handshake failure (typical of old TLS stacks).
      if (phase === 'tls' && e.syscall === undefined) return failure('tls_handshake', phase, detail);
      return failure('reset', phase, detail);
    // The socket was already closed under us.
    case 'ERR_SOCKET_CLOSED':
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_STREAM_WRITE_AFTER_END':
      return failure('closed', phase, detail);
    case 'ABORT_ERR':
      return failure('internal', phase, 'aborted');
    default:
      break;
  }
  // TLS alerts (ERR_SSL_SSLV3_ALERT_*, ERR_SSL_TLSV1_ALERT_*), protocol/version/cipher mismatches
  // (ERR_SSL_*, EPROTO) and Node TLS errors: during the handshake they are handshake failures;
  // later they mean the TLS record stream broke, which is a protocol error.
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO' || code.startsWith('ERR_TLS_') || /alert|ssl|tls/i.test(code)) {
    return failure(phase === 'tls' || phase === 'connect' ? 'tls_handshake' : 'protocol', phase, detail);
  }
  return failure('internal', phase, detail);
}
