/**
 * The DOMAIN §2.5 classification table end to end through runHost with the shipped checks and
 * an in-memory HostSession: what is sent, what is concluded, and the evidence kept.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckEngine, type CompiledCheck, createEngine, loadChecks } from '../../src/checks/index.js';
import type { HttpResponse } from '../../src/net/types.js';
import { bare403, FakeSession, headOf, res } from './helpers/fake-session.js';
import { catchAllHoneypot, citrixHost, nginxHost, smbConf, smbLookAlike } from './helpers/hosts.js';

const CVE = 'CVE-2019-19781';
const TRAVERSAL = /\/vpn\/\.\.\/vpns\//;
let checks: CompiledCheck[];
let engine: CheckEngine;

beforeAll(async () => {
  checks = await loadChecks();
  engine = createEngine(checks);
});

describe('runHost: DOMAIN §2.5 classification table', () => {
  it('13.0-47.22 serving smb.conf is vulnerable with version from the rdx stamp', async () => {
    const s = citrixHost({ stamp: 1574967982, vhash: 'fedb4ba86b5edcbc86081f2893dc9fdf', smb: 'vulnerable' });
    const v = await engine.runHost(s);
    expect(v.failure).toBeNull();
    expect(v.answered).toBe(true);
    expect(v.product).toBe('citrix-adc');
    expect(v.product_confidence).toBe('certain');
    expect(v.version).toBe('13.0-47.22');
    expect(v.version_source).toBe('rdx_stamp');
    expect(v.build_date).toBe('2019-11-28T19:06:22Z');
    expect(v.cve[CVE]).toBe('vulnerable');
    expect(v.why[CVE]).toMatch(/smb\.conf readable/);
    // Unconditional requests go out ahead (pipelined): the indicators before the CVE probe,
    // which may meet a responder that closes the connection; conditional ones follow.
    expect(s.sent).toEqual([
      'GET /vpn/index.html',
      'GET /vpn/js/rdx/core/lang/rdx_en.json.gz',
      // outside-view compromise indicators (X1, X2, X3), on every citrix-adc host
      'GET /vpn/themes/imgs/tiny.php',
      'GET /vpn/themes/imgs/debug.php',
      'GET /vpn/themes/imgs/conn.php',
      'GET /logon/LogonPoint/uiareas/config.php',
      'GET /logon/LogonPoint/uiareas/info.php',
      'GET /logon/LogonPoint/uiareas/log.php',
      'GET /logon/LogonPoint/uiareas/prod.php',
      'GET /epa/scripts/win/config.php',
      'GET /epa/scripts/win/info.php',
      'GET /epa/scripts/win/prod.php',
      'HEAD /vpn/../vpns/cfg/smb.conf',
      'GET /vpn/../vpns/cfg/smb.conf',
      'GET /vpn/../vpns/cfg/edgewatch-absent-7c1e.conf',
    ]);
    expect(v.compromised).toBe('false');
    expect(s.specs[1].headers).toEqual({ 'Accept-Encoding': 'identity' });
    const p1 = v.evidence.find((e) => e.check === CVE && e.id === 'p1');
    expect(p1?.matched).toEqual(['ok', 'smb_markers']);
    expect(p1?.request).toBe('GET /vpn/../vpns/cfg/smb.conf HTTP/1.1');
    expect(p1?.excerpt).toContain('[global]\\n');
    const rdx = v.evidence.find((e) => e.id === 'rdx');
    expect(rdx?.extracted).toEqual({ rdx_stamp: '1574967982' });
    expect(rdx?.excerpt).toMatch(/^hex:1f8b0808ae1ae05d/);
  });

  it('13.0-47.22 behind the responder (bare 403) is mitigated, and P1 is not sent', async () => {
    const s = citrixHost({ stamp: 1574967982, smb: 'responder' });
    const v = await engine.runHost(s);
    expect(v.version).toBe('13.0-47.22');
    expect(v.cve[CVE]).toBe('mitigated');
    expect(v.why[CVE]).toMatch(/below the first fixed build 13\.0-47\.24/);
    expect(s.sent.filter((l) => TRAVERSAL.test(l))).toEqual(['HEAD /vpn/../vpns/cfg/smb.conf']);
    const p2 = v.evidence.find((e) => e.id === 'p2');
    expect(p2).toMatchObject({ status: 403, length: 0, matched: ['bare_403'] });
  });

  it('12.1-50.28 (vhash only) with a bare 403 is vulnerable: responder ineffective on that build', async () => {
    const s = citrixHost({ stamp: null, vhash: '26df0e65fba681faaeb333058a8b28bf', smb: 'responder' });
    const v = await engine.runHost(s);
    expect(v.version).toBe('12.1-50.28');
    expect(v.version_source).toBe('vhash');
    expect(v.build_date).toBe('2018-11-28T08:56:26Z');
    expect(v.product_confidence).toBe('certain');
    expect(v.cve[CVE]).toBe('vulnerable');
    expect(v.why[CVE]).toMatch(/12\.1-50\.28.*responder does not stop/);
  });

  it('12.1-50.31 with a bare 403 stays mitigated (the exception in the range)', async () => {
    const v = await engine.runHost(citrixHost({ stamp: 1547833294, smb: 'responder' }));
    expect(v.version).toBe('12.1-50.31');
    expect(v.cve[CVE]).toBe('mitigated');
  });

  it('13.0-47.24 is patched whether it answers a 403 with a body or the responder 403', async () => {
    for (const smb of ['patched403', 'responder'] as const) {
      const s = citrixHost({ stamp: 1579525745, smb });
      const v = await engine.runHost(s);
      expect(v.version).toBe('13.0-47.24');
      expect(v.cve[CVE]).toBe('patched');
      expect(v.why[CVE]).toMatch(/at or above the first fixed build 13\.0-47\.24/);
      expect(s.sent.filter((l) => TRAVERSAL.test(l))).toEqual(['HEAD /vpn/../vpns/cfg/smb.conf']);
    }
  });

  it('a build of an unaffected branch (13.1) is patched; a later 13.0 build too', async () => {
    const v = await engine.runHost(citrixHost({ stamp: 1631259090, smb: 'notfound' }));
    expect(v.version).toBe('13.1-4.43');
    expect(v.cve[CVE]).toBe('patched');
    expect(v.why[CVE]).toMatch(/branch 13\.1 is not affected/);
    const w = await engine.runHost(citrixHost({ stamp: 1590994121, smb: 'notfound' }));
    expect(w.version).toBe('13.0-58.30');
    expect(w.cve[CVE]).toBe('patched');
  });

  it('unknown stamp + bare 403 → mitigated, build date from the stamp, pluginlist and epa tried', async () => {
    const s = citrixHost({ stamp: 1577000000, smb: 'responder' });
    const v = await engine.runHost(s);
    expect(v.product).toBe('citrix-adc');
    expect(v.product_confidence).toBe('certain');
    expect(v.version).toBeNull();
    expect(v.build_date).toBe('2019-12-22T07:33:20Z');
    expect(v.cve[CVE]).toBe('mitigated');
    expect(v.why[CVE]).toMatch(/build is unknown/);
    expect(s.sent).toContain('GET /vpn/pluginlist.xml');
    expect(s.sent).toContain('GET /epa/epa.html');
  });

  it('unknown stamp + 404 on the traversal → unknown (P4 sent for evidence)', async () => {
    const s = citrixHost({ stamp: 1577000000, smb: 'notfound' });
    const v = await engine.runHost(s);
    expect(v.cve[CVE]).toBe('unknown');
    expect(s.sent).toContain('GET /vpn/../vpns/');
    expect(s.sent).not.toContain('GET /vpn/../vpns/cfg/smb.conf');
  });

  it('an old 12.0 build without rdx is versioned from pluginlist.xml (vulnerable) or epa.html (mitigated)', async () => {
    const a = citrixHost({ stamp: null, pluginVersion: '12.0.62.10', smb: 'vulnerable' });
    const va = await engine.runHost(a);
    expect(va.version).toBe('12.0-62.10');
    expect(va.version_source).toBe('pluginlist');
    expect(va.cve[CVE]).toBe('vulnerable');
    expect(a.sent).not.toContain('GET /epa/epa.html');

    const b = citrixHost({ stamp: null, nsversion: '12,0,62,10', smb: 'responder' });
    const vb = await engine.runHost(b);
    expect(vb.version).toBe('12.0-62.10');
    expect(vb.version_source).toBe('epa');
    expect(vb.cve[CVE]).toBe('mitigated');

    const c = citrixHost({ stamp: null, nsversion: '12,0,63,13', smb: 'patched403' });
    expect((await engine.runHost(c)).cve[CVE]).toBe('patched');
  });

  it('a catch-all honeypot is not the product: product null, not_applicable, no traversal sent', async () => {
    const s = catchAllHoneypot();
    const v = await engine.runHost(s);
    expect(v.product).toBeNull();
    expect(v.product_confidence).toBe('none');
    expect(v.version).toBeNull();
    expect(v.cve[CVE]).toBe('not_applicable');
    expect(v.why[CVE]).toMatch(/veto/);
    expect(s.sent.some((l) => TRAVERSAL.test(l))).toBe(false);
    expect(s.sent).toContain('GET /vpn/js/edgewatch-probe-absent.js');
  });

  it('a look-alike serving smb.conf for any .conf name is not_applicable', async () => {
    const s = smbLookAlike();
    const v = await engine.runHost(s);
    // The look-alike copied the pages (even the GUI bundle) but not the behaviour: not the product.
    expect(v.product).toBeNull();
    expect(v.version).toBeNull();
    expect(v.cve[CVE]).toBe('not_applicable');
    expect(v.why[CVE]).toMatch(/honeypot or look-alike/);
    expect(s.sent).toContain('GET /vpn/../vpns/cfg/edgewatch-absent-7c1e.conf');
  });

  it('nginx: not_applicable after three requests (two NetScaler, one Pulse), no traversal', async () => {
    const s = nginxHost();
    const v = await engine.runHost(s);
    expect(v.product).toBeNull();
    expect(v.product_confidence).toBe('none');
    expect(v.cve[CVE]).toBe('not_applicable');
    expect(v.cve['CVE-2019-11510']).toBe('not_applicable');
    expect(v.cve['CVE-2023-3519']).toBe('not_applicable');
    expect(s.sent).toEqual([
      'GET /vpn/index.html',
      'GET /vpn/js/rdx/core/lang/rdx_en.json.gz',
      'GET /dana-na/auth/url_default/welcome.cgi',
    ]);
  });

  it('a title-only phishing clone stays weak: product null, CVE not_applicable', async () => {
    const s = new FakeSession({ 'GET /vpn/index.html': res(200, { body: '<html><head><title>Citrix Gateway</title></head></html>' }) });
    const v = await engine.runHost(s);
    expect(v.product_confidence).toBe('weak');
    expect(v.product).toBeNull();
    expect(v.cve[CVE]).toBe('not_applicable');
    expect(s.sent.some((l) => TRAVERSAL.test(l))).toBe(false);
  });

  it('a Gateway redirecting to /logon/LogonPoint/ on the same host gets the LogonPoint page fetched', async () => {
    const lp =
      '<html><head><title class="_ctxstxt_NetscalerAAA">NetScaler AAA</title></head><body><span class="_ctxstxt_CitrixCopyright"></span></body></html>';
    const s = new FakeSession({
      'GET /vpn/index.html': res(302, { headers: [['Location', 'https://127.0.0.1/logon/LogonPoint/tmindex.html']] }),
      'GET /logon/LogonPoint/index.html': res(200, { body: lp }),
      'HEAD /vpn/../vpns/cfg/smb.conf': bare403(),
    });
    const v = await engine.runHost(s);
    // index and rdx_en.json.gz go out together; the LogonPoint page once the redirect is read
    expect(s.sent.slice(0, 3)).toEqual([
      'GET /vpn/index.html',
      'GET /vpn/js/rdx/core/lang/rdx_en.json.gz',
      'GET /logon/LogonPoint/index.html',
    ]);
    expect(v.product_confidence).toBe('certain');
    expect(v.cve[CVE]).toBe('mitigated');

    const other = new FakeSession({
      'GET /vpn/index.html': res(302, { headers: [['Location', 'https://evil.example/logon/LogonPoint/index.html']] }),
    });
    await engine.runHost(other);
    expect(other.sent).not.toContain('GET /logon/LogonPoint/index.html');
  });
});

describe('runHost: failures', () => {
  it('a failure of the first request ends the host with its reason', async () => {
    const s = new FakeSession({}, { fallback: { reason: 'tls_handshake', phase: 'tls', detail: 'no shared cipher' } });
    const v = await engine.runHost(s);
    expect(v.answered).toBe(false);
    expect(v.failure).toEqual({ reason: 'tls_handshake', detail: 'no shared cipher' });
    expect(s.sent).toHaveLength(1);
    expect(v.evidence).toEqual([
      { check: 'netscaler-fingerprint', id: 'index', request: 'GET /vpn/index.html HTTP/1.1', status: null, error: 'tls_handshake' },
    ]);
    expect(v.cve).toEqual({});
  });

  it('too_large anywhere stops talking to the host', async () => {
    const s = citrixHost({
      stamp: 1574967982,
      smb: 'vulnerable',
      extra: { 'GET /vpn/js/rdx/core/lang/rdx_en.json.gz': { reason: 'too_large', phase: 'response', detail: 'body over 262144 bytes' } },
    });
    const v = await engine.runHost(s);
    expect(v.answered).toBe(true);
    expect(v.failure).toEqual({ reason: 'too_large', detail: 'body over 262144 bytes' });
    expect(s.sent).toHaveLength(2);
  });

  it('a later failure is evidence; the CVE check falls through to unknown', async () => {
    const s = citrixHost({
      stamp: 1577000000,
      smb: 'notfound',
      extra: { 'HEAD /vpn/../vpns/cfg/smb.conf': { reason: 'reset', phase: 'response', detail: 'ECONNRESET' } },
    });
    const v = await engine.runHost(s);
    expect(v.failure).toBeNull();
    expect(v.cve[CVE]).toBe('unknown');
    expect(v.evidence.find((e) => e.id === 'p2')).toMatchObject({ status: null, error: 'reset' });
    // P1 is still tried after a failed P2 (status null is neither 403 nor 404)
    expect(s.sent).toContain('GET /vpn/../vpns/cfg/smb.conf');
  });

  it('P2 200/83 with a failing GET is vulnerable', async () => {
    const s = citrixHost({
      stamp: 1574967982,
      smb: 'vulnerable',
      extra: {
        'HEAD /vpn/../vpns/cfg/smb.conf': headOf(smbConf() as HttpResponse),
        'GET /vpn/../vpns/cfg/smb.conf': { reason: 'timeout', phase: 'response', detail: 'idle' },
      },
    });
    const v = await engine.runHost(s);
    expect(v.cve[CVE]).toBe('vulnerable');
    expect(v.why[CVE]).toMatch(/Content-Length 83/);
  });

  it('a session error without .failure becomes reason internal', async () => {
    const s = new FakeSession(
      {},
      {
        fallback: () => {
          throw new TypeError('boom');
        },
      },
    );
    const v = await engine.runHost(s);
    expect(v.failure).toEqual({ reason: 'internal', detail: 'boom' });
  });

  it('an aborted signal stops the run', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(engine.runHost(citrixHost({ stamp: 1, smb: 'vulnerable' }), ac.signal)).rejects.toThrow('stop');
  });
});

describe('runHost: evidence', () => {
  it('keeps selected headers only, cookie names without values, bounded values', async () => {
    const long = 'x'.repeat(1000);
    const s = new FakeSession({
      'GET /vpn/index.html': res(200, {
        headers: [
          ['Server', long],
          ['Set-Cookie', 'NSC_AAAC=secret-token; path=/'],
          ['Set-Cookie', 'NSC_TEMP=other'],
          ['X-Secret', 'nope'],
        ],
        body: '<title class="_ctxstxt_NetscalerGateway">Citrix Gateway</title>\u0001\r\n',
      }),
    });
    const v = await engine.runHost(s);
    const ev = v.evidence[0];
    expect(ev.headers?.['set-cookie']).toBe('NSC_AAAC, NSC_TEMP');
    expect(ev.headers?.server).toHaveLength(200);
    expect(ev.headers?.['x-secret']).toBeUndefined();
    expect(JSON.stringify(v.evidence)).not.toContain('secret-token');
    expect(ev.body_sha256).toMatch(/^[0-9a-f]{16}$/);
    expect(ev.excerpt).toMatch(/\\x01\\r\\n$/);
  });

  it('total evidence stays within the budget and keeps one item per request sent', async () => {
    // 15 requests (5 fingerprint/CVE-2019-19781 + 10 compromise indicators; the later CVEs are
    // decided from the build and add none): items are never dropped, so the budget has to leave
    // room for the bare items themselves.
    const small = createEngine(checks, { maxEvidence: 3800 });
    const s = citrixHost({ stamp: 1574967982, smb: 'vulnerable' });
    const v = await small.runHost(s);
    expect(v.evidence).toHaveLength(s.sent.length);
    expect(s.sent).toHaveLength(15);
    expect(JSON.stringify(v.evidence).length).toBeLessThan(4800);
    expect(v.evidence.every((e) => e.request && e.check)).toBe(true);
    // trimmed from the end: the last items lost their excerpts, the first (the index page) kept its
    expect(v.evidence[v.evidence.length - 1].excerpt).toBeUndefined();
    expect(v.evidence[0].excerpt).toContain('<title');
  });
});
