import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipMtime, gzipMtimeFromBody } from '../../src/checks/gzip.js';
import { compileExtractor, compileMatcher } from '../../src/checks/matchers.js';
import { extractTitle, ResponseView } from '../../src/checks/response.js';
import { ExtractorSchema, MatcherSchema } from '../../src/checks/schema.js';
import type { HttpResponse } from '../../src/net/types.js';
import { bare403, rdxGz, res } from './helpers/fake-session.js';

const view = (r: HttpResponse, target = { ip: '127.0.0.1', port: 443, host: 'gw.example.nl' }): ResponseView => new ResponseView(r, target);
const m = (def: unknown) => compileMatcher(MatcherSchema.parse(def), 0);
const x = (def: unknown) => compileExtractor(ExtractorSchema.parse(def), 0);

const page = res(200, {
  headers: [
    ['Content-Type', 'text/html'],
    ['Set-Cookie', 'NSC_AAAC=abc; path=/'],
    ['Set-Cookie', 'pwcount=0'],
    ['Via', 'NS-CACHE-10.0: 5'],
    ['Location', '/logon/LogonPoint/tmindex.html'],
  ],
  body: '<html><head><TITLE class="_ctxstxt_NetscalerGateway">\n  Citrix&nbsp;Gateway &amp; AAA </TITLE><script src="/vpn/login.js?v=26df0e65fba681faaeb333058a8b28bf"></script><script>var nsversion="12,0,62,10";</script></head></html>',
});

describe('matchers', () => {
  it('status', () => {
    expect(m({ name: 's', type: 'status', status: [200, 302] }).test(view(page))).toBe(true);
    expect(m({ name: 's', type: 'status', status: [404] }).test(view(page))).toBe(false);
    expect(m({ name: 's', type: 'status', status: [404], negative: true }).test(view(page))).toBe(true);
  });

  it('word: and/or, case-insensitive option, parts', () => {
    expect(m({ name: 'w', type: 'word', words: ['login.js', 'nothere'] }).test(view(page))).toBe(true);
    expect(m({ name: 'w', type: 'word', words: ['login.js', 'nothere'], condition: 'and' }).test(view(page))).toBe(false);
    expect(m({ name: 'w', type: 'word', words: ['LOGIN.JS'] }).test(view(page))).toBe(false);
    expect(m({ name: 'w', type: 'word', words: ['LOGIN.JS'], case_insensitive: true }).test(view(page))).toBe(true);
    expect(m({ name: 'w', type: 'word', part: 'header', words: ['via: NS-CACHE'] }).test(view(page))).toBe(true);
    expect(m({ name: 'w', type: 'word', part: 'status_line', words: ['HTTP/1.1 200 OK'] }).test(view(page))).toBe(true);
    expect(m({ name: 'w', type: 'word', part: 'location', words: ['/logon/LogonPoint/'] }).test(view(page))).toBe(true);
    expect(m({ name: 'w', type: 'word', part: 'all', words: ['200 OK', 'pwcount', 'nsversion'], condition: 'and' }).test(view(page))).toBe(
      true,
    );
  });

  it('regex: (?i) becomes the i flag; title part is entity-decoded and collapsed', () => {
    expect(m({ name: 'r', type: 'regex', part: 'title', regex: ['^Citrix Gateway & AAA$'] }).test(view(page))).toBe(true);
    expect(m({ name: 'r', type: 'regex', part: 'title', regex: ['citrix gateway'] }).test(view(page))).toBe(false);
    expect(m({ name: 'r', type: 'regex', part: 'title', regex: ['(?i)citrix gateway'] }).test(view(page))).toBe(true);
    expect(m({ name: 'r', type: 'regex', regex: ['<title[^>]*class="_ctxstxt_Netscaler'] }).test(view(page))).toBe(false);
    expect(m({ name: 'r', type: 'regex', regex: ['(?i)<title[^>]*class="_ctxstxt_Netscaler'] }).test(view(page))).toBe(true);
    expect(m({ name: 'r', type: 'regex', regex: ['login', 'QQQ'], condition: 'and' }).test(view(page))).toBe(false);
  });

  it('binary: hex prefix of the raw body', () => {
    const gz = res(200, { body: rdxGz(1574967982) });
    expect(m({ name: 'b', type: 'binary', binary: ['1f8b0808'] }).test(view(gz))).toBe(true);
    expect(m({ name: 'b', type: 'binary', binary: ['1f8b0800'] }).test(view(gz))).toBe(false);
    expect(m({ name: 'b', type: 'binary', binary: ['1f8b0808'] }).test(view(page))).toBe(false);
  });

  it('size: exact, min, max of body length', () => {
    const r = res(200, { body: 'x'.repeat(83) });
    expect(m({ name: 'z', type: 'size', exact: 83 }).test(view(r))).toBe(true);
    expect(m({ name: 'z', type: 'size', min: 84 }).test(view(r))).toBe(false);
    expect(m({ name: 'z', type: 'size', min: 10, max: 83 }).test(view(r))).toBe(true);
    expect(() => MatcherSchema.parse({ name: 'z', type: 'size' })).toThrow(/exact, min or max/);
  });

  it('header: regex on every value of the named header', () => {
    expect(m({ name: 'h', type: 'header', header: 'Set-Cookie', regex: ['^pwcount='] }).test(view(page))).toBe(true);
    expect(m({ name: 'h', type: 'header', header: 'set-cookie', regex: ['^NSC_TMAS='] }).test(view(page))).toBe(false);
    expect(m({ name: 'h', type: 'header', header: 'server', regex: ['.'] }).test(view(page))).toBe(false);
  });

  it('expr: response variables and functions', () => {
    const b = view(bare403());
    expect(m({ name: 'e', type: 'expr', expr: 'status == 403 && header_count == 0 && length == 0' }).test(b)).toBe(true);
    expect(
      m({ name: 'e', type: 'expr', expr: 'status == 403 && header_count == 0 && length == 0' }).test(view(res(403, { body: 'Forbidden' }))),
    ).toBe(false);
    expect(m({ name: 'e', type: 'expr', expr: "content_length == null && framing == 'close'" }).test(b)).toBe(true);
    expect(m({ name: 'e', type: 'expr', expr: "has_header('VIA') && header('via') == 'NS-CACHE-10.0: 5'" }).test(view(page))).toBe(true);
    expect(m({ name: 'e', type: 'expr', expr: 'location_same_host' }).test(view(page))).toBe(true);
    expect(() => m({ name: 'e', type: 'expr', expr: 'nope == 1' })).toThrow(/unknown identifier 'nope'/);
    expect(() => m({ name: 'e', type: 'expr', expr: 'header(status)' })).toThrow(/quoted name/);
  });

  it('location_same_host: relative, same host/ip, other host, other port, userinfo', () => {
    const loc = (l: string) => view(res(302, { headers: [['Location', l]] })).locationSameHost;
    expect(loc('/logon/LogonPoint/')).toBe(true);
    expect(loc('https://gw.example.nl/logon/LogonPoint/')).toBe(true);
    expect(loc('https://GW.example.nl:443/x')).toBe(true);
    expect(loc('https://127.0.0.1/x')).toBe(true);
    expect(loc('https://evil.example/logon/LogonPoint/')).toBe(false);
    expect(loc('//evil.example/x')).toBe(false);
    expect(loc('https://gw.example.nl:8443/x')).toBe(false);
    expect(loc('https://gw.example.nl@evil.example/x')).toBe(false);
  });

  it('invalid regexes are reported with the sub-path', () => {
    try {
      m({ name: 'r', type: 'regex', regex: ['ok', '(unclosed'] });
      throw new Error('no error');
    } catch (e) {
      expect((e as { subPath: unknown }).subPath).toEqual(['regex', 1]);
      expect((e as Error).message).toMatch(/^invalid regular expression/);
    }
  });
});

describe('extractors', () => {
  it('regex with group (default group 1 when the pattern has one)', () => {
    expect(x({ name: 'v', type: 'regex', regex: ['\\?v=([0-9a-f]{32})'] }).extract(view(page))).toBe('26df0e65fba681faaeb333058a8b28bf');
    expect(x({ name: 'v', type: 'regex', regex: ['\\?v=[0-9a-f]{32}'] }).extract(view(page))).toBe('?v=26df0e65fba681faaeb333058a8b28bf');
    expect(x({ name: 'v', type: 'regex', regex: ['nomatch(x)', 'nsversion="([^"]+)"'], group: 1 }).extract(view(page))).toBe('12,0,62,10');
    expect(() => x({ name: 'v', type: 'regex', regex: ['abc'], group: 2 })).toThrow(/group 2 does not exist/);
  });

  it('regex on pluginlist.xml, either attribute order', () => {
    const xml = res(200, {
      body: '<repository><plugin name="EPA" version="12.1.48.13" path="/epa/scripts/win/nsepa_setup.exe"/><plugin path="/epa/scripts/win/nsepa_setup64.exe" version="12.1.48.14"/></repository>',
    });
    const ex = x({
      name: 'p',
      type: 'regex',
      regex: ['<plugin[^>]+version="([0-9.]+)"[^>]*nsepa_setup', '<plugin[^>]+nsepa_setup[^>]*version="([0-9.]+)"'],
      group: 1,
    });
    expect(ex.extract(view(xml))).toBe('12.1.48.13');
  });

  it('header and kv', () => {
    expect(x({ name: 'h', type: 'header', header: 'Via' }).extract(view(page))).toBe('NS-CACHE-10.0: 5');
    expect(x({ name: 'h', type: 'header', header: 'server' }).extract(view(page))).toBeNull();
    expect(x({ name: 'k', type: 'kv', key: 'nsversion' }).extract(view(page))).toBe('12,0,62,10');
    expect(x({ name: 'k', type: 'kv', key: 'nsversion' }).extract(view(res(200, { body: "var nsversion = '13,0,47,22';" })))).toBe(
      '13,0,47,22',
    );
    expect(x({ name: 'k', type: 'kv', key: 'version' }).extract(view(res(200, { body: 'var nsversion="1";' })))).toBeNull();
  });

  it('values are bounded to 200 characters', () => {
    const big = res(200, { body: `k="${'a'.repeat(150)}" z=${'b'.repeat(500)}` });
    expect(x({ name: 'r', type: 'regex', regex: ['z=(b+)'] }).extract(view(big))).toHaveLength(200);
  });
});

describe('gzip-mtime', () => {
  it('reads the MTIME of a real gzip member with FNAME (rdx_en.json.gz layout)', () => {
    const gz = rdxGz(1574967982);
    expect(gz.subarray(0, 4).toString('hex')).toBe('1f8b0808');
    expect(gzipMtime(gz, 'rdx_en.json')).toBe(1574967982);
    expect(gzipMtime(gz, 'other.json')).toBeNull();
    expect(x({ name: 't', type: 'gzip-mtime', fname: 'rdx_en.json' }).extract(view(res(200, { body: gz })))).toBe('1574967982');
  });

  it('ignores gzip without FNAME and non-gzip bodies', () => {
    const plain = gzipSync(Buffer.from('{}'));
    plain.writeUInt32LE(1574967982, 4);
    expect(gzipMtime(plain, 'rdx_en.json')).toBeNull();
    expect(gzipMtime(Buffer.from('<html>'), 'rdx_en.json')).toBeNull();
    expect(gzipMtime(Buffer.alloc(0), 'rdx_en.json')).toBeNull();
  });

  it('inflates one Content-Encoding: gzip layer (double gzip), and only when declared', () => {
    const outer = gzipSync(rdxGz(1579525745));
    expect(gzipMtimeFromBody(outer, 'gzip', 'rdx_en.json')).toBe(1579525745);
    expect(gzipMtimeFromBody(outer, null, 'rdx_en.json')).toBeNull();
    const r = res(200, { headers: [['Content-Encoding', 'gzip']], body: outer });
    expect(x({ name: 't', type: 'gzip-mtime', fname: 'rdx_en.json' }).extract(view(r))).toBe('1579525745');
    // a corrupt outer layer is no stamp, not a crash
    expect(gzipMtimeFromBody(Buffer.concat([outer.subarray(0, 12), Buffer.alloc(40, 0xff)]), 'gzip', 'rdx_en.json')).toBeNull();
  });
});

describe('title extraction', () => {
  it('first <title>, entities decoded, bounded', () => {
    expect(extractTitle('<head><title>A &lt;b&gt; &#67;&#x69;trix</title><title>second</title>')).toBe('A <b> Citrix');
    expect(extractTitle('<titles>no</titles>')).toBe('');
    expect(extractTitle(`<title>${'x'.repeat(5000)}</title>`)).toHaveLength(256);
    expect(extractTitle('<title>unterminated')).toBe('unterminated');
  });
});
