import { describe, expect, it } from 'vitest';
import { EdgewatchError } from '../../src/errors.js';
import { classifySocketError, NetError } from '../../src/net/errors.js';

function sysErr(code: string, message: string, syscall?: string): Error {
  return Object.assign(new Error(message), { code, syscall });
}

describe('classifySocketError', () => {
  it('maps Node/OpenSSL errors onto the closed vocabulary', () => {
    const cases: Array<[Error, 'connect' | 'tls' | 'response', string]> = [
      [sysErr('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1', 'connect'), 'connect', 'refused'],
      [sysErr('ETIMEDOUT', 'connect ETIMEDOUT', 'connect'), 'connect', 'timeout'],
      [sysErr('EHOSTUNREACH', 'connect EHOSTUNREACH', 'connect'), 'connect', 'host_unreachable'],
      [sysErr('ENETUNREACH', 'connect ENETUNREACH', 'connect'), 'connect', 'host_unreachable'],
      [sysErr('EADDRNOTAVAIL', 'connect EADDRNOTAVAIL', 'connect'), 'connect', 'host_unreachable'],
      [sysErr('ECONNRESET', 'read ECONNRESET', 'read'), 'response', 'reset'],
      [sysErr('ECONNRESET', 'read ECONNRESET', 'read'), 'tls', 'reset'],
      [sysErr('EPIPE', 'write EPIPE', 'write'), 'response', 'reset'],
      [sysErr('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established'), 'tls', 'tls_handshake'],
      [sysErr('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'sslv3 alert handshake failure'), 'tls', 'tls_handshake'],
      [sysErr('ERR_SSL_WRONG_VERSION_NUMBER', 'wrong version number'), 'tls', 'tls_handshake'],
      [sysErr('EPROTO', 'unsupported protocol'), 'tls', 'tls_handshake'],
      [sysErr('ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC', 'bad record mac'), 'response', 'protocol'],
      [sysErr('ERR_STREAM_DESTROYED', 'Cannot call write after a stream was destroyed'), 'response', 'closed'],
      [new Error('something else'), 'response', 'internal'],
    ];
    for (const [err, phase, reason] of cases) {
      const f = classifySocketError(err, phase);
      expect(f.reason, `${(err as { code?: string }).code} in ${phase}`).toBe(reason);
      expect(f.detail).toContain(err.message);
    }
    expect(classifySocketError(sysErr('ENOTFOUND', 'getaddrinfo ENOTFOUND x'), 'connect')).toMatchObject({ reason: 'dns', phase: 'dns' });
    expect(classifySocketError('weird', 'request')).toMatchObject({ reason: 'internal', detail: 'weird' });
  });

  it('NetError carries the failure and an EW_NET_<REASON> code', () => {
    const e = new NetError({ reason: 'tls_handshake', phase: 'tls', detail: 'alert' });
    expect(e).toBeInstanceOf(EdgewatchError);
    expect(e.code).toBe('EW_NET_TLS_HANDSHAKE');
    expect(e.message).toBe('tls_handshake (tls): alert');
    expect(classifySocketError(e, 'response')).toBe(e.failure);
  });
});
