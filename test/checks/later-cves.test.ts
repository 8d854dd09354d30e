/**
 * Issue 7 through runHost with the shipped pack and in-memory sessions: one fingerprint per host
 * shared by all checks, version-decided NetScaler CVEs that add no request (the management-interface
 * pair adds one shared `GET /`), a second vendor (Pulse Secure) end to end, and a look-alike disproved
 * by CVE-2019-19781 making every NetScaler CVE not_applicable. The hosts are written from the facts
 * (DOMAIN §3.6, Tenable 124766), not from the check files.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckEngine, type CompiledCheck, createEngine, loadChecks } from '../../src/checks/index.js';
import { FakeSession, res } from './helpers/fake-session.js';
import { citrixHost, smbLookAlike } from './helpers/hosts.js';

const LATER_GATEWAY = ['CVE-2022-27510', 'CVE-2022-27518', 'CVE-2023-3519', 'CVE-2023-4966', 'CVE-2023-6549', 'CVE-2025-5777', 'CVE-2025-6543', 'CVE-2025-7775'];
const LATER_MGMT = ['CVE-2023-6548', 'CVE-2025-5349'];

let checks: CompiledCheck[];
let all: CheckEngine;
let alone: CheckEngine;
beforeAll(async () => {
  checks = await loadChecks();
  all = createEngine(checks);
  alone = createEngine(checks.filter((c) => c.id === 'netscaler-fingerprint' || c.id === 'CVE-2019-19781'));
});

/** 13.1-48.47 (stamp 1685777750, 2023-06-03): below every 2023+ fix of the 13.1 line. */
const STAMP_13_1_48_47 = 1685777750;
/** 13.1-37.159 (FIPS, 2023-07-07): fixed for CVE-2023-3519 only. */
const STAMP_13_1_37_159 = 1688746627;
/** 13.0-92.31 (2024-07-04): last 13.0; EOL for the 2025 CVEs. */
const STAMP_13_0_92_31 = 1720089675;

function pulseHost(version: string | null, o: { lookalike?: boolean } = {}): FakeSession {
  const welcome = res(200, {
    headers: [
      ['Set-Cookie', 'DSSignInURL=/; path=/; secure'],
      ['Content-Type', 'text/html'],
    ],
    body: '<html><head><title>Pulse Connect Secure</title><link rel="stylesheet" href="/dana-na/css/ds_1.css"></head><body>Sign In</body></html>',
  });
  if (o.lookalike) return new FakeSession({}, { fallback: res(200, { body: '<html><head><title>Pulse Connect Secure</title></head><body>/dana-na/css/x</body></html>' }) });
  const routes: Record<string, ReturnType<typeof res>> = { 'GET /dana-na/auth/url_default/welcome.cgi': welcome };
  if (version) {
    routes['GET /dana-na/nc/nc_gina_ver.txt'] = res(200, {
      body: `<html><body><OBJECT classid="clsid:1" id="NCGina"><PARAM NAME="ProductVersion" VALUE="${version}"></OBJECT></body></html>`,
    });
  }
  return new FakeSession(routes);
}

describe('later NetScaler CVEs are decided from the one fingerprint', () => {
  it('a 13.1-48.47 Gateway: vulnerable to every 2023+ Gateway CVE, patched for 2022; the mgmt pair unknown; no extra request', async () => {
    const s = citrixHost({ stamp: STAMP_13_1_48_47, smb: 'notfound' });
    const v = await all.runHost(s);
    expect(v.version).toBe('13.1-48.47');
    for (const id of ['CVE-2023-3519', 'CVE-2023-4966', 'CVE-2023-6549', 'CVE-2025-5777', 'CVE-2025-6543', 'CVE-2025-7775']) {
      expect(v.cve[id], id).toBe('vulnerable');
      expect(v.why[id]).toMatch(/below the first fixed build 13\.1-\d+\.\d+ and a Gateway\/AAA login page answers/);
    }
    expect(v.cve['CVE-2022-27510']).toBe('patched');
    expect(v.cve['CVE-2022-27518']).toBe('patched');
    expect(v.why['CVE-2022-27518']).toMatch(/not affected/);
    for (const id of LATER_MGMT) expect(v.cve[id], id).toBe('unknown');
    expect(v.cve['CVE-2019-11510']).toBe('not_applicable');
    expect(v.why['CVE-2019-11510']).toMatch(/the host is a citrix-adc/);
    const base = citrixHost({ stamp: STAMP_13_1_48_47, smb: 'notfound' });
    await alone.runHost(base);
    // everything the CVE checks add over CVE-2019-19781 alone, before the compromise indicators
    const extra = s.sent.filter((l) => !base.sent.includes(l) && !/\.php$/.test(l));
    expect(extra).toEqual([]);
    expect(s.sent.filter((l) => !/\.php$/.test(l))).toEqual(base.sent.filter((l) => !/\.php$/.test(l)));
    expect(s.sent.filter((l) => l.startsWith('GET /dana-na/'))).toEqual([]);
  });

  it('FIPS 13.1-37.159 is fixed for CVE-2023-3519 (37.159) but not for CVE-2023-4966 (37.164)', async () => {
    const v = await all.runHost(citrixHost({ stamp: STAMP_13_1_37_159, smb: 'notfound' }));
    expect(v.version).toBe('13.1-37.159');
    expect(v.cve['CVE-2023-3519']).toBe('patched');
    expect(v.cve['CVE-2023-4966']).toBe('vulnerable');
    expect(v.why['CVE-2023-4966']).toContain('13.1-37.164');
  });

  it('13.0-92.31: patched for the 2023 CVEs, EOL-vulnerable for 2025', async () => {
    const v = await all.runHost(citrixHost({ stamp: STAMP_13_0_92_31, smb: 'notfound' }));
    expect(v.version).toBe('13.0-92.31');
    for (const id of ['CVE-2023-3519', 'CVE-2023-4966', 'CVE-2023-6549']) expect(v.cve[id], id).toBe('patched');
    for (const id of ['CVE-2025-5777', 'CVE-2025-6543', 'CVE-2025-7775']) {
      expect(v.cve[id], id).toBe('vulnerable');
      expect(v.why[id]).toMatch(/end of life/);
    }
  });

  it('the management GUI on / makes the mgmt pair vulnerable; without a Gateway page the Gateway CVEs are unknown', async () => {
    const mgmt = res(200, { body: '<html><head><title>Citrix Login</title></head><body><form action="/login/do_login"></form></body></html>' });
    const s = citrixHost({ stamp: STAMP_13_1_48_47, smb: 'notfound', extra: { 'GET /': mgmt, 'GET /vpn/index.html': res(404, { body: 'nf' }) } });
    const v = await all.runHost(s);
    expect(v.product).toBe('citrix-adc');
    for (const id of LATER_MGMT) expect(v.cve[id], id).toBe('vulnerable');
    for (const id of LATER_GATEWAY.filter((x) => !x.startsWith('CVE-2022'))) {
      expect(v.cve[id], id).toBe('unknown');
      expect(v.why[id]).toMatch(/no Gateway\/AAA login page/);
    }
  });

  it('a look-alike disproved by CVE-2019-19781 is not_applicable for every NetScaler CVE', async () => {
    const v = await all.runHost(smbLookAlike());
    expect(v.product).toBeNull();
    for (const id of ['CVE-2019-19781', ...LATER_GATEWAY, ...LATER_MGMT]) expect(v.cve[id], id).toBe('not_applicable');
    expect(v.why['CVE-2023-3519']).toMatch(/look-alike/);
  });
});

describe('Pulse Secure / Ivanti Connect Secure end to end', () => {
  it('ProductVersion below 9.0R3.4: vulnerable, versioned from nc_gina_ver.txt, no NetScaler CVE request', async () => {
    const s = pulseHost('9.0.3.64015');
    const v = await all.runHost(s);
    expect(v.product).toBe('pulse-connect-secure');
    expect(v.product_confidence).toBe('certain');
    expect(v.version).toBe('9.0.3.64015');
    expect(v.version_source).toBe('nc_gina_ver');
    expect(v.cve['CVE-2019-11510']).toBe('vulnerable');
    expect(v.why['CVE-2019-11510']).toContain('9.0.3.64053');
    expect(v.cve['CVE-2019-19781']).toBe('not_applicable');
    expect(v.compromised).toBe('unknown');
    expect(s.sent).toEqual([
      'GET /vpn/index.html',
      'GET /vpn/js/rdx/core/lang/rdx_en.json.gz',
      'GET /dana-na/auth/url_default/welcome.cgi',
      'GET /dana-na/nc/nc_gina_ver.txt',
      'GET /dana-na/auth/edgewatch-absent-5d2b.cgi',
    ]);
  });

  it('fixed, unaffected release, version file removed, look-alike', async () => {
    expect((await all.runHost(pulseHost('8.3.7.65025'))).cve['CVE-2019-11510']).toBe('patched');
    const r81 = await all.runHost(pulseHost('8.1.14.59737'));
    expect(r81.cve['CVE-2019-11510']).toBe('patched');
    expect(r81.why['CVE-2019-11510']).toMatch(/not affected/);
    const none = await all.runHost(pulseHost(null));
    expect(none.product).toBe('pulse-connect-secure');
    expect(none.version).toBeNull();
    expect(none.cve['CVE-2019-11510']).toBe('unknown');
    const fake = await all.runHost(pulseHost('9.0.3.64015', { lookalike: true }));
    expect(fake.product).toBeNull();
    expect(fake.cve['CVE-2019-11510']).toBe('not_applicable');
  });
});
