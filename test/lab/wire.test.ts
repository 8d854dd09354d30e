import { constants as cryptoConstants } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, PERSONA_IDS, startLab, type TruthRecord } from '../../src/lab/index.js';
import { HOSTILE } from '../../src/lab/identity.js';
import { HOSTILE_TITLE } from '../../src/lab/others.js';
import { exchange, parseResponse, request } from './client.js';

const SMB = '[global]\r\n\tencrypt passwords = yes\r\n\tname resolve order = lmhosts wins host bcast\r\n';
const CSV = parse(readFileSync(new URL('../../data/netscaler-versions.csv', import.meta.url), 'utf8'), { columns: true }) as Array<{
  rdx_en_stamp: string;
  version: string;
}>;
const LEGACY_TLS = {
  minVersion: 'TLSv1' as const,
  ciphers: 'ALL:@SECLEVEL=0',
  secureOptions: cryptoConstants.SSL_OP_LEGACY_SERVER_CONNECT,
  rejectUnauthorized: false,
};

let lab: Lab;
let truth: TruthRecord[];
let dir: string;
let S: number; // https port
let H: number; // http port

function host(pred: (t: TruthRecord) => boolean, what: string): TruthRecord {
  const t = truth.find(pred);
  if (!t) throw new Error(`no host: ${what}`);
  return t;
}
const byPersona = (p: string, extra: (t: TruthRecord) => boolean = () => true) => host((t) => t.persona === p && extra(t), p);
const cve = (t: TruthRecord) => t.expect.https?.cve['CVE-2019-19781'];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ew-lab-'));
  lab = await startLab({ size: 256, seed: 1, httpsPort: 0, httpPort: 0, truthFile: join(dir, 'truth.jsonl') });
  truth = lab.truth();
  S = lab.httpsPort;
  H = lab.httpPort;
});

afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lab basics', () => {
  it('listens per address on loopback only, all addresses sharing one port per scheme', () => {
    expect(lab.mode).toBe('per-address');
    expect(S).toBeGreaterThan(0);
    expect(H).toBeGreaterThan(0);
    const bound = lab.boundAddresses();
    expect(bound.length).toBe(lab.listeners);
    expect(bound.every((a) => a.startsWith('127.'))).toBe(true);
  });

  it('writes the truth file as one JSON line per address, equal to truth()', () => {
    const lines = readFileSync(join(dir, 'truth.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(256);
    const first = JSON.parse(lines[0] as string) as TruthRecord;
    expect(first).toEqual(truth[0]);
    expect(Object.keys(first)).toEqual([
      'ip',
      'persona',
      'step',
      'build',
      'branch',
      'mitigation',
      'identity',
      'traits',
      'expect',
      'compromise',
    ]);
    for (const p of PERSONA_IDS)
      expect(
        truth.some((t) => t.persona === p),
        p,
      ).toBe(true);
  });

  it('keeps HTTP/1.1 connections alive and answers pipelined requests in order', async () => {
    const t = byPersona('citrix-vulnerable-13.0');
    const req = (p: string) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const x = await exchange({
      ip: t.ip,
      port: H,
      send: req('/vpn/index.html') + req('/vpn/pluginlist.xml'),
      until: (d) => {
        const a = parseResponse(d);
        return Boolean(a && parseResponse(a.rest));
      },
    });
    const a = parseResponse(x.data);
    const b = a && parseResponse(a.rest);
    expect(a?.status).toBe(200);
    expect(a?.body.toString()).toContain('_ctxstxt_NetscalerGateway');
    expect(b?.body.toString()).toContain('<repository>');
    expect(x.closed).toBe(false);
  });
});

describe('hostile input', () => {
  it('answers 400 and closes on a malformed request line, an oversized head or a path above the root', async () => {
    const t = byPersona('citrix-vulnerable-13.0');
    for (const send of ['GARBAGE\r\n\r\n', `GET /${'a'.repeat(20_000)}`, 'GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n']) {
      const x = await exchange({ ip: t.ip, port: H, send, waitMs: 2000 });
      expect(x.data.toString('latin1')).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(x.closed).toBe(true);
    }
  });
});

describe('Citrix Gateway personas', () => {
  it('vulnerable: P1 GET 200 with the 83-byte smb.conf, P2 HEAD same headers no body, P3 encoded, P4 Apache 403', async () => {
    const t = byPersona('citrix-vulnerable-12.1');
    const p1 = await request(t.ip, S, 'https', '/vpn/../vpns/cfg/smb.conf');
    expect(p1.status).toBe(200);
    expect(p1.body.toString('latin1')).toBe(SMB);
    expect(p1.headers['content-length']).toBe('83');
    const p2 = await request(t.ip, S, 'https', '/vpn/../vpns/cfg/smb.conf', { method: 'HEAD', keepAlive: true });
    expect(p2.status).toBe(200);
    expect(p2.headers['content-length']).toBe('83');
    expect(p2.rest.length).toBe(0);
    const p3 = await request(t.ip, H, 'http', '/vpn/js/%2e./.%2e/%76pns/cfg/smb.conf');
    expect(p3.body.toString('latin1')).toBe(SMB);
    const p4 = await request(t.ip, S, 'https', '/vpn/../vpns/');
    expect(p4.status).toBe(403);
    expect(p4.body.toString()).toContain("You don't have permission to access /vpns/");
    const missing = await request(t.ip, S, 'https', '/vpn/../vpns/cfg/nothere.conf');
    expect(missing.status).toBe(404);
  });

  it('classic login page: title class, icon, scripts and vhash where the build has one', async () => {
    const t = byPersona('citrix-vulnerable-13.0'); // every vulnerable 13.0 build has a vhash in the CSV
    const r = await request(t.ip, S, 'https', '/vpn/index.html');
    const html = r.body.toString();
    expect(html).toContain('<title class="_ctxstxt_NetscalerGateway">Citrix Gateway</title>');
    expect(html).toContain('/vpn/images/AccessGateway.ico');
    expect(html).toContain('/vpn/login.js');
    expect(html).toContain('/vpn/js/rdx.js');
    expect(html).toMatch(/\?v=[0-9a-f]{32}/);
    expect(r.headers['set-cookie']).toContain('NSC_');
    const root = await request(t.ip, S, 'https', '/');
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe('/vpn/index.html');
  });

  it('mitigated: any decoded /vpns/ path gets the bare responder 403 and the connection is closed', async () => {
    const t = byPersona('citrix-mitigated');
    for (const path of ['/vpn/../vpns/cfg/smb.conf', '/vpn/js/%2e./.%2e/%76pns/cfg/smb.conf', '/vpn/../vpns/']) {
      const x = await exchange({ ip: t.ip, port: S, tls: true, send: `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, waitMs: 2000 });
      expect(x.data.toString('latin1')).toBe('HTTP/1.1 403 Forbidden\r\n\r\n');
      expect(x.closed).toBe(true);
    }
    const head = await exchange({ ip: t.ip, port: H, send: 'HEAD /vpn/../vpns/cfg/smb.conf HTTP/1.1\r\nHost: x\r\n\r\n', waitMs: 2000 });
    expect(head.data.toString('latin1')).toBe('HTTP/1.1 403 Forbidden\r\n\r\n');
    // Everything else as the build: the login page is still there.
    expect((await request(t.ip, S, 'https', '/vpn/index.html')).status).toBe(200);
  });

  it('ineffective responder on 12.1: same bare 403 on the wire, truth vulnerable', async () => {
    const t = byPersona('citrix-mitigated-ineffective');
    expect(t.mitigation).toBe('responder-ineffective');
    expect(cve(t)).toBe('vulnerable');
    const x = await exchange({ ip: t.ip, port: S, tls: true, send: 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1\r\nHost: x\r\n\r\n' });
    expect(x.data.toString('latin1')).toBe('HTTP/1.1 403 Forbidden\r\n\r\n');
  });

  it('patched: the traversal does not reach /vpns/ and does not look like the responder', async () => {
    for (const t of truth.filter((x) => x.persona.startsWith('citrix-patched') && x.mitigation === 'none').slice(0, 6)) {
      const r = await request(t.ip, S, 'https', '/vpn/../vpns/cfg/smb.conf');
      expect(r.status).not.toBe(200);
      expect(r.headerCount).toBeGreaterThan(0);
      const style = t.traits.find((s) => s.startsWith('patched-'));
      expect(String(r.status)).toBe(style?.slice('patched-'.length));
      expect(r.body.toString()).not.toContain('[global]');
      expect(cve(t)).toBe('patched');
    }
  });

  it('rdx_en.json.gz: real gzip with FNAME rdx_en.json and the CSV stamp of the build', async () => {
    const t = host(
      (x) =>
        x.build !== null &&
        cve(x) !== undefined &&
        !x.traits.includes('double-gzip') &&
        CSV.some((r) => r.version === x.build) &&
        !x.traits.includes('chunked') &&
        !x.traits.includes('http10'),
      'known build',
    );
    const r = await request(t.ip, S, 'https', '/vpn/js/rdx/core/lang/rdx_en.json.gz');
    expect(r.status).toBe(200);
    expect(r.body.subarray(0, 4).toString('hex')).toBe('1f8b0808');
    const stamp = r.body.readUInt32LE(4);
    expect(CSV.some((row) => row.version === t.build && Number(row.rdx_en_stamp) === stamp)).toBe(true);
    expect(r.body.subarray(10, 21).toString('latin1')).toBe('rdx_en.json');
  });

  it('double gzip: Content-Encoding gzip over the real file', async () => {
    const { gunzipSync } = await import('node:zlib');
    const t = host((x) => x.traits.includes('double-gzip') && !x.traits.includes('chunked') && !x.traits.includes('http10'), 'double-gzip');
    const r = await request(t.ip, H, 'http', '/vpn/js/rdx/core/lang/rdx_en.json.gz');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(r.body).subarray(0, 4).toString('hex')).toBe('1f8b0808');
  });

  it('old branch: no rdx file, version leaks through pluginlist.xml and epa.html', async () => {
    const t = byPersona('citrix-vulnerable-12.0');
    const [maj, rest] = (t.build as string).split('-') as [string, string];
    expect((await request(t.ip, S, 'https', '/vpn/js/rdx/core/lang/rdx_en.json.gz')).status).toBe(404);
    const pl = await request(t.ip, S, 'https', '/vpn/pluginlist.xml');
    expect(pl.body.toString()).toContain(`version="${maj}.${rest}"`);
    expect(pl.body.toString()).toContain('/epa/scripts/win/nsepa_setup.exe');
    const epa = await request(t.ip, S, 'https', '/epa/epa.html');
    expect(epa.body.toString()).toContain(`var nsversion="${`${maj}.${rest}`.replaceAll('.', ',')}";`);
    expect(t.expect.https?.version).toBe(t.build);
    expect((await request(t.ip, S, 'https', '/epa/scripts/win/nsepa_setup.exe', { method: 'HEAD', keepAlive: true })).status).toBe(200);
    const t13 = byPersona('citrix-vulnerable-13.0');
    const pl13 = await request(t13.ip, S, 'https', '/vpn/pluginlist.xml');
    expect(pl13.body.toString()).not.toContain((t13.build as string).replace('-', '.'));
  });

  it('RfWebUI: / and /vpn/index.html redirect to LogonPoint, the stamp is still served', async () => {
    const t = byPersona('citrix-rfwebui');
    for (const p of ['/', '/vpn/index.html']) {
      const r = await request(t.ip, S, 'https', p);
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe('/logon/LogonPoint/tmindex.html');
    }
    const lp = await request(t.ip, S, 'https', '/logon/LogonPoint/tmindex.html');
    expect(lp.body.toString()).toContain('_ctxstxt_CitrixCopyright');
    const rdx = await request(t.ip, S, 'https', '/vpn/js/rdx/core/lang/rdx_en.json.gz');
    expect(rdx.status).toBe(200);
    expect(cve(t)).not.toBe('not_applicable');
  });

  it('HTTP/1.0 persona: no Content-Length, closes after each response; chunked persona de-chunks', async () => {
    const a = byPersona('citrix-http10');
    const x = await exchange({ ip: a.ip, port: H, send: 'GET /vpn/index.html HTTP/1.1\r\nHost: x\r\n\r\n' });
    expect(x.closed).toBe(true);
    const r = parseResponse(x.data);
    expect(r?.statusLine).toBe('HTTP/1.0 200 OK');
    expect(r?.headers['content-length']).toBeUndefined();
    expect(r?.body.toString()).toContain('_ctxstxt_NetscalerGateway');
    const c = byPersona('citrix-chunked');
    const rc = await request(c.ip, S, 'https', '/vpn/index.html');
    expect(rc.headers['transfer-encoding']).toBe('chunked');
    expect(rc.body.toString()).toContain('_ctxstxt_NetscalerGateway');
  });

  it('legacy TLS: a default Node client fails, the legacy options succeed', async () => {
    const t = byPersona('citrix-legacy-tls');
    const def = await exchange({ ip: t.ip, port: S, tls: true, send: 'GET / HTTP/1.1\r\n\r\n', waitMs: 2000 });
    expect(def.secure).toBe(false);
    expect(def.error).not.toBeNull();
    const r = await request(t.ip, S, 'https', '/vpn/index.html', { tls: LEGACY_TLS });
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('NetScaler Gateway');
    expect(t.identity?.cn).toMatch(/^default [A-Z]{6}$/);
    expect(['rsa-1024', 'rsa-512']).toContain(t.identity?.key);
  });

  it('presents the certificate recorded in the truth', async () => {
    const tls = await import('node:tls');
    for (const t of [byPersona('citrix-vulnerable-13.0'), byPersona('nginx-default'), byPersona('citrix-patched-later')]) {
      const subject = await new Promise<Record<string, string>>((resolve, reject) => {
        const s = tls.connect({ host: t.ip, port: S, rejectUnauthorized: false }, () => {
          const c = s.getPeerCertificate();
          s.destroy();
          resolve(c.subject as unknown as Record<string, string>);
        });
        s.on('error', reject);
      });
      expect(subject.CN).toBe(t.identity?.cn);
    }
  });
});

describe('non-Citrix personas', () => {
  it('default pages: nginx, IIS, Apache', async () => {
    expect((await request(byPersona('nginx-default').ip, S, 'https', '/')).body.toString()).toContain('Welcome to nginx!');
    expect((await request(byPersona('iis-default').ip, H, 'http', '/')).body.toString()).toContain('IIS Windows Server');
    const ap = byPersona('apache-default');
    expect((await request(ap.ip, S, 'https', '/')).body.toString()).toContain('It works!');
    expect((await request(ap.ip, S, 'https', '/vpn/../vpns/cfg/smb.conf')).status).toBe(404);
    expect(cve(ap)).toBe('not_applicable');
  });

  it('blog article quotes the markers only as escaped text', async () => {
    const body = (await request(byPersona('blog-citrix').ip, S, 'https', '/')).body.toString();
    expect(body).toContain('/vpn/../vpns/cfg/smb.conf');
    expect(body).toContain('&lt;title class=&quot;_ctxstxt_NetscalerGateway&quot;&gt;');
    expect(body).not.toContain('<title class="_ctxstxt');
  });

  it('StoreFront: / redirects to /Citrix/StoreWeb/ titled Citrix Receiver', async () => {
    const t = byPersona('storefront');
    const r = await request(t.ip, S, 'https', '/');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/Citrix/StoreWeb/');
    expect((await request(t.ip, S, 'https', '/Citrix/StoreWeb/')).body.toString()).toContain('<title>Citrix Receiver</title>');
    expect(cve(t)).toBe('not_applicable');
  });

  it('WAF: 403 with headers and an HTML block page for suspicious paths', async () => {
    const t = byPersona('waf');
    for (const p of ['/vpn/../vpns/cfg/smb.conf', '/vpn/js/%2e./.%2e/%76pns/cfg/smb.conf', '/x.conf']) {
      const r = await request(t.ip, S, 'https', p);
      expect(r.status).toBe(403);
      expect(r.headerCount).toBeGreaterThan(2);
      expect(r.body.toString()).toContain('Request blocked');
    }
    expect((await request(t.ip, S, 'https', '/')).status).toBe(200);
  });

  it('catch-all honeypot: the same Citrix-looking 200 page for every path', async () => {
    const t = byPersona('honeypot-catchall');
    const a = await request(t.ip, S, 'https', '/vpn/index.html');
    const b = await request(t.ip, S, 'https', '/no/such/thing-4711');
    const c = await request(t.ip, S, 'https', '/vpn/../vpns/cfg/smb.conf');
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(b.body.equals(a.body)).toBe(true);
    expect(c.body.toString()).not.toContain('[global]');
    expect(t.expect.https?.product).toBeNull();
  });

  it('CVE honeypot: smb.conf look-alike for any /vpns/ path, no 83-byte HEAD, no real gzip', async () => {
    const t = byPersona('honeypot-cve');
    const login = await request(t.ip, S, 'https', '/vpn/index.html');
    expect(login.body.toString()).toMatch(/\?v=[0-9a-f]{32}/);
    const fake = await request(t.ip, S, 'https', '/vpn/../vpns/cfg/does-not-exist.conf');
    expect(fake.status).toBe(200);
    expect(fake.body.toString()).toContain('[global]');
    expect((await request(t.ip, S, 'https', '/vpn/../vpns/')).status).toBe(200);
    const head = await request(t.ip, S, 'https', '/vpn/../vpns/cfg/smb.conf', { method: 'HEAD', keepAlive: true });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).not.toBe('83');
    const gz = await request(t.ip, S, 'https', '/vpn/js/rdx/core/lang/rdx_en.json.gz');
    expect(gz.body.subarray(0, 2).toString('hex')).not.toBe('1f8b');
    expect(cve(t)).toBe('not_applicable');
  });

  it('non-Citrix proxy redirecting to /logon/LogonPoint/', async () => {
    const t = byPersona('redirect-logonpoint');
    const r = await request(t.ip, S, 'https', '/');
    expect(r.status).toBe(302);
    expect(r.headers.location).toBe('/logon/LogonPoint/');
    expect(cve(t)).toBe('not_applicable');
  });
});

describe('hostile personas (issues 5 and 8: host-controlled text)', () => {
  const peer = async (ip: string) => {
    const tls = await import('node:tls');
    return new Promise<{ subject: Record<string, string>; issuer: Record<string, string>; san: string; protocol: string | null }>((resolve, reject) => {
      const s = tls.connect({ host: ip, port: S, rejectUnauthorized: false }, () => {
        const c = s.getPeerCertificate();
        const protocol = s.getProtocol();
        s.destroy();
        resolve({ subject: c.subject as unknown as Record<string, string>, issuer: c.issuer as unknown as Record<string, string>, san: c.subjectaltname ?? '', protocol });
      });
      s.on('error', reject);
    });
  };

  it('citrix-hostile-names: a vulnerable 13.0 Gateway presenting the hostile certificate, names byte for byte', async () => {
    const t = byPersona('citrix-hostile-names');
    expect(t.build).toMatch(/^13\.0-/);
    expect(cve(t)).toBe('vulnerable');
    expect(t.traits).toContain('hostile-cert');
    expect(t.identity).toMatchObject({ org: HOSTILE.org, cn: HOSTILE.cn, sans: [...HOSTILE.sans], self_signed: false });
    expect(t.identity?.subject).toBe(`C=NL, O=${HOSTILE.org}, CN=${HOSTILE.cn}`);
    // the values really are hostile: markup, quotes, RLO, CR/LF, a 300+ character name
    expect(HOSTILE.cn).toContain('\u202e');
    expect(HOSTILE.cn).toContain('\r\nBcc: ');
    expect(HOSTILE.cn).toContain('<script>');
    expect(HOSTILE.longName.length).toBeGreaterThan(300);
    const c = await peer(t.ip);
    expect(c.subject.O).toBe(HOSTILE.org);
    expect(c.subject.CN).toBe(HOSTILE.cn);
    expect(c.issuer.CN).toBe('Edgewatch Lab Issuing CA');
    // Node prints SANs with separators or controls as JSON string literals: decode and compare exactly.
    const sans = [...c.san.matchAll(/DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g)].map((m) => (m[1]?.startsWith('"') ? (JSON.parse(m[1]) as string) : (m[1] ?? '')));
    expect(sans).toEqual([...HOSTILE.sans]);
    const page = await request(t.ip, S, 'https', '/vpn/index.html');
    expect(page.body.toString()).toContain('_ctxstxt_NetscalerGateway');
    expect((await request(t.ip, S, 'https', '/vpn/../vpns/cfg/smb.conf')).body.toString('latin1')).toBe(SMB);
  });

  it('hostile-site: every page carries the hostile title raw (200 on /, the 404 page elsewhere), same certificate', async () => {
    const t = byPersona('hostile-site');
    expect(t.traits).toEqual(['hostile-cert', 'hostile-title']);
    expect(t.expect.https).toMatchObject({ status: 'ok', product: null });
    expect(cve(t)).toBe('not_applicable');
    expect(HOSTILE_TITLE).toContain('<script>alert("t")</script>\u202e"quoted"');
    expect(HOSTILE_TITLE.length).toBeGreaterThan(300);
    const home = await request(t.ip, S, 'https', '/');
    expect(home.status).toBe(200);
    expect(home.body.toString('utf8')).toContain(`<title>${HOSTILE_TITLE}</title>`);
    // within the first 256 bytes, where a scanner's body excerpt looks
    expect(home.body.subarray(0, 256).toString('latin1')).toContain('<title><script>alert("t")</script>\xe2\x80\xae"quoted"');
    const miss = await request(t.ip, H, 'http', '/vpn/index.html');
    expect(miss.status).toBe(404);
    expect(miss.body.toString('utf8')).toContain(`<title>${HOSTILE_TITLE}</title>`);
    expect(miss.body.toString()).not.toContain('_ctxstxt_');
    expect((await peer(t.ip)).subject.CN).toBe(HOSTILE.cn);
  });
});

describe('fault personas', () => {
  it('refused: really refused in per-address mode', async () => {
    const t = byPersona('refused');
    expect(t.expect.https).toMatchObject({ status: 'unreachable', reason: 'refused' });
    const x = await exchange({ ip: t.ip, port: S, send: 'x' });
    expect(x.error).toBe('ECONNREFUSED');
  });

  it('TLS alert: answers the ClientHello with a fatal alert record and closes; http refused', async () => {
    const t = byPersona('tls-alert');
    const hello = Buffer.from('16030100050100000100', 'hex');
    const x = await exchange({ ip: t.ip, port: S, send: hello, waitMs: 2000 });
    expect(x.data.toString('hex')).toBe('15030100020228');
    expect(x.closed).toBe(true);
    const viaTls = await exchange({ ip: t.ip, port: S, tls: true, waitMs: 2000 });
    expect(viaTls.secure).toBe(false);
    expect(viaTls.error).not.toBeNull();
    expect(t.expect.https).toMatchObject({ status: 'error', reason: 'tls_handshake' });
    expect(t.expect.http).toMatchObject({ status: 'unreachable', reason: 'refused' });
    expect((await exchange({ ip: t.ip, port: H })).error).toBe('ECONNREFUSED');
  });

  it('tarpit: accepts, never answers, never completes TLS', async () => {
    const t = byPersona('tarpit');
    const [plain, secure] = await Promise.all([
      exchange({ ip: t.ip, port: H, send: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', waitMs: 1500 }),
      exchange({ ip: t.ip, port: S, tls: true, waitMs: 1500 }),
    ]);
    expect(plain).toMatchObject({ closed: false, error: null });
    expect(plain.data.length).toBe(0);
    expect(secure.secure).toBe(false);
    expect(secure.closed).toBe(false);
    expect(t.expect.https).toMatchObject({ status: 'error', reason: 'timeout' });
  });

  it('slow drip: about one byte a second', async () => {
    const t = byPersona('drip');
    const x = await exchange({ ip: t.ip, port: H, send: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', waitMs: 2600 });
    expect(x.closed).toBe(false);
    expect(x.data.length).toBeGreaterThanOrEqual(2);
    expect(x.data.length).toBeLessThanOrEqual(4);
    expect(x.data.toString('latin1')).toBe('HTTP'.slice(0, x.data.length));
  });

  it('oversized: multi-GB Content-Length streamed lazily (the lab does not buffer it)', async () => {
    const t = byPersona('oversized');
    const rss0 = process.memoryUsage().rss;
    // Read 2 MiB, then stop reading for a second while the socket stays open.
    const net = await import('node:net');
    const got = await new Promise<{ head: string; bytes: number }>((resolve) => {
      const s = net.connect({ host: t.ip, port: H }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      let bytes = 0;
      let head = '';
      s.on('data', (d: Buffer) => {
        if (!head) head = d.toString('latin1', 0, Math.min(d.length, 300));
        bytes += d.length;
        if (bytes > 2 * 1024 * 1024) {
          s.pause();
          setTimeout(() => {
            s.destroy();
            resolve({ head, bytes });
          }, 1000);
          s.removeAllListeners('data');
        }
      });
    });
    expect(got.head).toContain('Content-Length: 5368709120');
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
    expect(t.expect.http).toMatchObject({ status: 'error', reason: 'too_large' });
  });

  it('garbage: random bytes instead of HTTP (after a completed handshake on https)', async () => {
    const t = byPersona('garbage');
    const plain = await exchange({ ip: t.ip, port: H, send: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' });
    expect(plain.data.length).toBeGreaterThan(100);
    expect(plain.data.subarray(0, 5).toString('latin1')).not.toBe('HTTP/');
    expect(plain.closed).toBe(true);
    const sec = await exchange({ ip: t.ip, port: S, tls: true, send: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' });
    expect(sec.secure).toBe(true);
    expect(sec.data.subarray(0, 5).toString('latin1')).not.toBe('HTTP/');
    expect(t.expect.https).toMatchObject({ status: 'error', reason: 'protocol' });
  });
});
