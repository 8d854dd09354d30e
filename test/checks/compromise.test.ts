/**
 * Outside-view compromise checks (X1–X3 of ISSUE3) through runHost with the shipped pack and the
 * in-memory session: what is sent, `compromised`, the indicators that fired, and independence
 * from the CVE verdict. The personas are written from the agreed indicator list, not from the
 * check files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckEngine, createEngine, loadChecks } from '../../src/checks/index.js';
import type { HttpResponse } from '../../src/net/types.js';
import { verdictRecord } from '../../src/scan/build-record.js';
import { type Answer, res } from './helpers/fake-session.js';
import { catchAllHoneypot, citrixHost, nginxHost, smbLookAlike } from './helpers/hosts.js';

const CVE = 'CVE-2019-19781';
const X1 = ['/vpn/themes/imgs/tiny.php', '/vpn/themes/imgs/debug.php', '/vpn/themes/imgs/conn.php'];
const X2 = [
  '/logon/LogonPoint/uiareas/config.php',
  '/logon/LogonPoint/uiareas/info.php',
  '/logon/LogonPoint/uiareas/log.php',
  '/logon/LogonPoint/uiareas/prod.php',
];
const X3 = ['/epa/scripts/win/config.php', '/epa/scripts/win/info.php', '/epa/scripts/win/prod.php'];
const ALL = [...X1, ...X2, ...X3];
const INDICATOR_LINES = ALL.map((p) => `GET ${p}`);
const isIndicator = (line: string) => INDICATOR_LINES.includes(line);

/** The appliance's own 404 (normal headers, Content-Length). */
const clean404 = (): HttpResponse =>
  res(404, { headers: [['Content-Type', 'text/html; charset=iso-8859-1']], body: '<html><body>Not Found</body></html>' });
/** The 2023 v2 shell: empty 404, no Content-Length, connection closed. */
const emptyNoLength404 = (): HttpResponse => res(404, { headers: [['Content-Type', 'text/html']], noLength: true, framing: 'close' });

let engine: CheckEngine;
beforeAll(async () => {
  engine = createEngine(await loadChecks());
});

function host(extra: Record<string, Answer> = {}, stamp = 1574967982, smb: 'vulnerable' | 'responder' | 'notfound' = 'vulnerable') {
  return citrixHost({ stamp, smb, extra });
}

describe('compromise checks: clean appliance', () => {
  it('all ten indicators answer the ordinary 404: compromised false, no indicator, one evidence item each', async () => {
    const s = host();
    const v = await engine.runHost(s);
    expect(v.cve[CVE]).toBe('vulnerable');
    expect(v.compromised).toBe('false');
    expect(v.indicators).toEqual([]);
    expect(s.sent.filter(isIndicator)).toEqual(INDICATOR_LINES);
    // the fingerprint's requests first, then the ten indicator GETs, sent ahead of the CVE probes
    expect(s.sent.slice(2, 12)).toEqual(INDICATOR_LINES);
    expect(s.sent[12]).toBe('HEAD /vpn/../vpns/cfg/smb.conf');
    expect(Object.keys(v.compromise_why).sort()).toEqual([
      'citrix-webshell-2020-themes',
      'citrix-webshell-2023-v1-uiareas',
      'citrix-webshell-2023-v2-epa',
    ]);
    expect(v.compromise_why['citrix-webshell-2023-v1-uiareas']).toMatch(/no externally visible .*not proof of a clean box/);
    const ev = v.evidence.filter((e) => e.check.startsWith('citrix-webshell-'));
    expect(ev).toHaveLength(10);
    expect(ev[0]).toMatchObject({
      check: 'citrix-webshell-2020-themes',
      id: 'tiny',
      request: 'GET /vpn/themes/imgs/tiny.php HTTP/1.1',
      status: 404,
    });
    expect(ev[0].matched).toEqual(['clean']);
  });
});

describe('compromise checks: implants', () => {
  it('X1: 200 on a theme shell name → true with that indicator', async () => {
    const v = await engine.runHost(host({ 'GET /vpn/themes/imgs/debug.php': res(200, { body: '<?php ?>' }) }));
    expect(v.compromised).toBe('true');
    expect(v.indicators).toEqual([
      {
        check: 'citrix-webshell-2020-themes',
        id: 'debug',
        request: 'GET /vpn/themes/imgs/debug.php HTTP/1.1',
        status: 200,
        why: expect.stringMatching(/debug\.php answered 200/),
      },
    ]);
    expect(v.compromise_why['citrix-webshell-2020-themes']).toMatch(/answered 200/);
    expect(v.compromise_why['citrix-webshell-2023-v1-uiareas']).toMatch(/no externally visible/);
  });

  it('X2: 201 on a uiareas name → true', async () => {
    const v = await engine.runHost(host({ 'GET /logon/LogonPoint/uiareas/log.php': res(201, { reason: 'Created' }) }));
    expect(v.compromised).toBe('true');
    expect(v.indicators).toEqual([
      expect.objectContaining({
        check: 'citrix-webshell-2023-v1-uiareas',
        id: 'log',
        status: 201,
        request: 'GET /logon/LogonPoint/uiareas/log.php HTTP/1.1',
      }),
    ]);
    expect(v.indicators[0].why).toMatch(/201/);
  });

  it('X3: empty 404 without Content-Length → true; the appliance 404 with Content-Length next to it is not', async () => {
    const v = await engine.runHost(host({ 'GET /epa/scripts/win/prod.php': emptyNoLength404() }));
    expect(v.compromised).toBe('true');
    expect(v.indicators).toEqual([expect.objectContaining({ check: 'citrix-webshell-2023-v2-epa', id: 'prod', status: 404 })]);
    expect(v.indicators[0].why).toMatch(/without Content-Length/);
  });

  it('several implants: every fired indicator is listed, in check and request order', async () => {
    const v = await engine.runHost(
      host({
        'GET /logon/LogonPoint/uiareas/prod.php': res(201),
        'GET /logon/LogonPoint/uiareas/config.php': res(201),
        'GET /vpn/themes/imgs/tiny.php': res(200, { body: 'x' }),
      }),
    );
    expect(v.compromised).toBe('true');
    expect(v.indicators.map((i) => `${i.check}/${i.id}`)).toEqual([
      'citrix-webshell-2020-themes/tiny',
      'citrix-webshell-2023-v1-uiareas/config',
      'citrix-webshell-2023-v1-uiareas/prod',
    ]);
  });

  it('an implant wins over a failed or inconclusive request elsewhere', async () => {
    const v = await engine.runHost(
      host({
        'GET /logon/LogonPoint/uiareas/info.php': res(201),
        'GET /vpn/themes/imgs/conn.php': { reason: 'reset', phase: 'response', detail: 'ECONNRESET' },
        'GET /epa/scripts/win/info.php': res(403, { body: 'blocked by WAF' }),
      }),
    );
    expect(v.compromised).toBe('true');
    expect(v.indicators).toHaveLength(1);
  });
});

describe('compromise checks: unknown', () => {
  it('a failed indicator request → unknown, with the failure in the evidence', async () => {
    const v = await engine.runHost(host({ 'GET /epa/scripts/win/info.php': { reason: 'timeout', phase: 'response', detail: 'idle' } }));
    expect(v.failure).toBeNull();
    expect(v.compromised).toBe('unknown');
    expect(v.indicators).toEqual([]);
    expect(v.compromise_why['citrix-webshell-2023-v2-epa']).toMatch(/got no answer/);
    expect(v.evidence.find((e) => e.check === 'citrix-webshell-2023-v2-epa' && e.id === 'info')).toMatchObject({
      status: null,
      error: 'timeout',
    });
  });

  it('a WAF-like 403 on the theme paths → unknown (inconclusive), the other checks still false', async () => {
    const waf = res(403, { headers: [['Content-Type', 'text/html']], body: '<html>Request blocked</html>' });
    const v = await engine.runHost(host(Object.fromEntries(X1.map((p) => [`GET ${p}`, waf]))));
    expect(v.compromised).toBe('unknown');
    expect(v.compromise_why['citrix-webshell-2020-themes']).toMatch(/inconclusive/);
    expect(v.compromise_why['citrix-webshell-2023-v2-epa']).toMatch(/no externally visible/);
  });

  it('a bare 404 without any header is inconclusive, not the appliance and not an implant', async () => {
    const v = await engine.runHost(host({ 'GET /epa/scripts/win/config.php': res(404, { noLength: true, framing: 'close' }) }));
    expect(v.compromised).toBe('unknown');
    expect(v.indicators).toEqual([]);
  });

  it('an HTTP/1.0 or chunked appliance 404 (a page, no Content-Length) is still the ordinary 404: false', async () => {
    const page = '<html><head><title>404 Not Found</title></head><body>Not Found</body></html>';
    for (const framing of ['close', 'chunked'] as const) {
      const a = res(404, {
        headers: [['Content-Type', 'text/html'], ...(framing === 'chunked' ? [['Transfer-Encoding', 'chunked'] as [string, string]] : [])],
        body: page,
        noLength: true,
        framing,
      });
      const v = await engine.runHost(host(Object.fromEntries(ALL.map((p) => [`GET ${p}`, a]))));
      expect(v.compromised, framing).toBe('false');
    }
  });

  it('not the product (nginx, catch-all honeypot, smb.conf look-alike): unknown and no indicator read', async () => {
    for (const s of [nginxHost(), catchAllHoneypot(), smbLookAlike()]) {
      const v = await engine.runHost(s);
      expect(v.product).toBeNull();
      expect(v.compromised).toBe('unknown');
      expect(v.indicators).toEqual([]);
      expect(v.compromise_why).toEqual({});
    }
    // Hosts never identified are sent no indicator request. The look-alike passed the fingerprint,
    // so its indicator GETs went out ahead of the CVE probe that disproved it; their answers
    // (200 everywhere would read as implants) are ignored.
    const nginx = nginxHost();
    await engine.runHost(nginx);
    expect(nginx.sent.filter(isIndicator)).toEqual([]);
    const honeypot = catchAllHoneypot();
    await engine.runHost(honeypot);
    expect(honeypot.sent.filter(isIndicator)).toEqual([]);
  });

  it('a host that failed its first request: unknown, nothing else sent', async () => {
    const s = citrixHost({
      stamp: 1574967982,
      smb: 'vulnerable',
      extra: { 'GET /vpn/index.html': { reason: 'reset', phase: 'response', detail: 'x' } },
    });
    const v = await engine.runHost(s);
    expect(v.failure?.reason).toBe('reset');
    expect(v.compromised).toBe('unknown');
    expect(s.sent).toHaveLength(1);
  });
});

describe('compromise is independent of the CVE verdict', () => {
  it('patched host (13.0-47.24) with the X2 shell: patched AND compromised true', async () => {
    const s = host({ 'GET /logon/LogonPoint/uiareas/config.php': res(201) }, 1579525745, 'responder');
    const v = await engine.runHost(s);
    expect(v.version).toBe('13.0-47.24');
    expect(v.cve[CVE]).toBe('patched');
    expect(v.compromised).toBe('true');
    expect(v.indicators[0]).toMatchObject({ check: 'citrix-webshell-2023-v1-uiareas', id: 'config', status: 201 });
  });

  it('mitigated and unknown-state hosts are probed too', async () => {
    const m = await engine.runHost(host({ 'GET /epa/scripts/win/config.php': emptyNoLength404() }, 1574967982, 'responder'));
    expect(m.cve[CVE]).toBe('mitigated');
    expect(m.compromised).toBe('true');
    const u = await engine.runHost(host({}, 1577000000, 'notfound'));
    expect(u.cve[CVE]).toBe('unknown');
    expect(u.compromised).toBe('false');
  });

  it('the scan record carries compromised, indicators and compromise_why', async () => {
    const v = await engine.runHost(host({ 'GET /vpn/themes/imgs/tiny.php': res(200, { body: 'x' }) }, 1579525745, 'responder'));
    const rec = verdictRecord({ ip: '127.0.0.1', port: 443, host: null, scheme: 'https' }, v, null);
    expect(rec.cve[CVE]).toBe('patched');
    expect(rec.compromised).toBe('true');
    expect(rec.indicators).toEqual([expect.objectContaining({ check: 'citrix-webshell-2020-themes', id: 'tiny', status: 200 })]);
    expect(Object.keys(rec.compromise_why ?? {})).toHaveLength(3);
    const other = verdictRecord({ ip: '127.0.0.1', port: 443, host: null, scheme: 'https' }, await engine.runHost(nginxHost()), null);
    expect(other.compromised).toBe('unknown');
    expect(other.indicators).toEqual([]);
    expect(other.compromise_why).toBeUndefined();
  });
});

describe('outside-view probes are GET-only to fixed paths', () => {
  it('every request the pack sends to any persona is GET or HEAD, with a fixed path and no body', async () => {
    const personas = [
      host(),
      host({ 'GET /logon/LogonPoint/uiareas/config.php': res(201) }),
      host({}, 1577000000, 'notfound'),
      citrixHost({ stamp: null, nsversion: '12,0,62,10', smb: 'responder' }),
      nginxHost(),
      catchAllHoneypot(),
      smbLookAlike(),
    ];
    const paths = new Set<string>();
    for (const s of personas) {
      await engine.runHost(s);
      for (const spec of s.specs) {
        expect(['GET', 'HEAD']).toContain(spec.method);
        expect(Object.keys(spec).filter((k) => !['method', 'path', 'headers'].includes(k))).toEqual([]);
        paths.add(spec.path);
      }
    }
    for (const p of ALL) expect(paths).toContain(p);
    for (const p of paths) expect(p).not.toMatch(/\?|newbm|\.pl\b/);
  });
});
