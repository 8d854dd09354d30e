import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dial, extractTlsFacts, parseSans } from '../../src/net/dialer.js';
import { NetError } from '../../src/net/errors.js';
import { createHostSession } from '../../src/net/session.js';
import { type Cert, fastOpts, makeCert, ok, rawServer, removeCert, responder, type TestServer, tlsServer } from './helpers.js';

let citrixCert: Cert;
let plainCert: Cert;
const servers: TestServer[] = [];

beforeAll(() => {
  citrixCert = makeCert('/C=US/ST=California/L=San Jose/O=Citrix ANG/OU=NS Internal/CN=default LUJFBF', [
    'vpn.example.test',
    '*.example.test',
  ]);
  plainCert = makeCert('/CN=test', undefined, 1024);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  removeCert(citrixCert);
  removeCert(plainCert);
});

async function keep<T extends TestServer>(p: Promise<T>): Promise<T> {
  const s = await p;
  servers.push(s);
  return s;
}

async function failureOf(p: Promise<unknown>): Promise<NetError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NetError);
    return e as NetError;
  }
  throw new Error('expected a failure');
}

describe('TLS', () => {
  it('extracts TlsFacts once and keeps one connection for several requests', async () => {
    let sni: string | false | null = 'unset';
    const srv = await keep(
      tlsServer({ key: citrixCert.key, cert: citrixCert.cert }, (sock, s) => {
        sni = (sock as TLSSocket).servername;
        responder(() => ok('tls ok'))(sock, s);
      }),
    );
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port, host: 'vpn.example.test' }, fastOpts({ tls: true }));
    expect(s.tls()).toBeNull();
    for (let i = 0; i < 5; i++) expect((await s.request({ method: 'GET', path: `/${i}` })).body.toString()).toBe('tls ok');
    s.close();
    expect(srv.conns).toBe(1);
    expect(sni).toBe('vpn.example.test');
    const t = s.tls();
    expect(t).not.toBeNull();
    expect(t).toMatchObject({
      version: 'TLSv1.3',
      subject_cn: 'default LUJFBF',
      subject: 'C=US, ST=California, L=San Jose, O=Citrix ANG, OU=NS Internal, CN=default LUJFBF',
      issuer: 'C=US, ST=California, L=San Jose, O=Citrix ANG, OU=NS Internal, CN=default LUJFBF',
      sans: ['vpn.example.test', '*.example.test'],
      serial: '01',
      key_bits: 2048,
      self_signed: true,
      sha256: citrixCert.sha256,
    });
    expect(t?.cipher).toMatch(/^TLS_/);
    expect(Date.parse(t?.not_after ?? '') - Date.now()).toBeGreaterThan(0);
    expect(Date.parse(t?.not_after ?? '') - Date.now()).toBeLessThan(2 * 86_400_000);
  });

  it('sends no SNI for an IP literal (also when the host name is an IP)', async () => {
    const seen: Array<string | false | null> = [];
    const srv = await keep(
      tlsServer({ key: plainCert.key, cert: plainCert.cert }, (sock, s) => {
        seen.push((sock as TLSSocket).servername);
        responder(() => ok('x'))(sock, s);
      }),
    );
    for (const host of [undefined, '127.0.0.1']) {
      const s = createHostSession({ ip: '127.0.0.1', port: srv.port, host }, fastOpts({ tls: true }));
      await s.request({ method: 'GET', path: '/' });
      s.close();
    }
    expect(seen).toEqual([false, false]);
  });

  it('talks to a legacy TLS 1.0-only server with an old cipher', async () => {
    const srv = await keep(
      tlsServer(
        { key: plainCert.key, cert: plainCert.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'AES256-SHA:@SECLEVEL=0' },
        responder(() => ok('legacy')),
      ),
    );
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts({ tls: true }));
    const r = await s.request({ method: 'GET', path: '/vpn/index.html' });
    expect(r.body.toString()).toBe('legacy');
    expect(s.tls()).toMatchObject({ version: 'TLSv1', cipher: 'AES256-SHA', key_bits: 1024, subject: 'CN=test', self_signed: true });
    s.close();
  });

  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`resumes the TLS session when it has to reconnect (${maxVersion})`, async () => {
      const resumed: boolean[] = [];
      const srv = await keep(
        tlsServer({ key: plainCert.key, cert: plainCert.cert, maxVersion }, (sock) => {
          resumed.push((sock as TLSSocket).isSessionReused());
          sock.once('data', () => sock.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
        }),
      );
      const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts({ tls: true }));
      for (let i = 0; i < 3; i++) expect((await s.request({ method: 'GET', path: '/vpn/../vpns/' })).status).toBe(403);
      s.close();
      expect(resumed).toEqual([false, true, true]);
    });
  }

  it('times out a TLS tarpit in phase tls', async () => {
    const srv = await keep(rawServer(() => {}));
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts({ tls: true, tlsTimeoutMs: 300 }));
    const t0 = performance.now();
    const e = await failureOf(s.request({ method: 'GET', path: '/' }));
    expect(e.failure).toMatchObject({ reason: 'timeout', phase: 'tls' });
    expect(performance.now() - t0).toBeLessThan(1000);
    s.close();
  });

  it('reports a TLS alert as tls_handshake', async () => {
    // A raw server that answers any ClientHello with a fatal handshake_failure alert.
    const srv = await keep(rawServer((sock) => sock.once('data', () => sock.end(Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28])))));
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts({ tls: true }));
    const e = await failureOf(s.request({ method: 'GET', path: '/' }));
    expect(e.failure).toMatchObject({ reason: 'tls_handshake', phase: 'tls' });
    expect(e.code).toBe('EW_NET_TLS_HANDSHAKE');
    s.close();
  });

  it('reports a server that hangs up on the ClientHello as tls_handshake, a non-TLS server too', async () => {
    const hangup = await keep(rawServer((sock) => sock.once('data', () => sock.end())));
    const http = await keep(rawServer((sock) => sock.once('data', () => sock.end('HTTP/1.1 400 Bad Request\r\n\r\n'))));
    for (const srv of [hangup, http]) {
      const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts({ tls: true }));
      const e = await failureOf(s.request({ method: 'GET', path: '/' }));
      expect(e.failure).toMatchObject({ reason: 'tls_handshake', phase: 'tls' });
      s.close();
    }
  });

  it('dial() refuses names (never resolves) and honours an aborted signal', async () => {
    await expect(dial({ ip: 'example.com', port: 443, tls: true, connectTimeoutMs: 100, tlsTimeoutMs: 100 })).rejects.toMatchObject({
      code: 'EW_NET_BAD_TARGET',
    });
    const ac = new AbortController();
    ac.abort();
    await expect(dial({ ip: '127.0.0.1', port: 1, tls: false, connectTimeoutMs: 100, tlsTimeoutMs: 100 }, ac.signal)).rejects.toMatchObject(
      {
        code: 'EW_NET_ABORTED',
      },
    );
  });

  it('extractTlsFacts works on a plain dial', async () => {
    const srv = await keep(tlsServer({ key: citrixCert.key, cert: citrixCert.cert }, () => {}));
    const sock = (await dial({ ip: '127.0.0.1', port: srv.port, tls: true, connectTimeoutMs: 1000, tlsTimeoutMs: 1000 })) as TLSSocket;
    expect(extractTlsFacts(sock).subject_cn).toBe('default LUJFBF');
    sock.destroy();
  });

  it('parses quoted SAN values', () => {
    expect(parseSans('DNS:a.test, DNS:"b,c.test", IP Address:1.2.3.4, DNS:d.test')).toEqual(['a.test', 'b,c.test', 'd.test']);
    expect(parseSans(undefined)).toEqual([]);
  });
});
