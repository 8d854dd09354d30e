import { describe, expect, it } from 'vitest';
import { validateAndCount } from '../../src/targets/index.js';
import { collect, errorOf, keys } from './helpers.js';

const arg = (value: string) => ({ kind: 'arg' as const, value });

describe('target entries (CLI arguments)', () => {
  it('expands every entry form', async () => {
    const ts = await collect(
      [
        arg('127.0.0.1'),
        arg('127.0.0.2:8443'),
        arg('::1'),
        arg('[::1]:8443'),
        arg('127.0.1.0/31'),
        arg('127.0.2.1-127.0.2.3'),
        arg('gw.example.nl'),
        arg('GW.Example.NL.:8443'),
        arg('127.1.0.5,vpn.example.nl'),
        arg('127.1.0.6,vpn.example.nl,4443'),
        arg('127.1.0.7,vpn.example.nl,tag1,4444'),
        arg(',only-name.example.nl'),
        arg('https://portal.example.nl/vpn/index.html'),
        arg('http://127.0.0.9:8080/x'),
        arg('https://[::1]/'),
        arg('::ffff:127.0.0.3'),
        arg('localhost'),
      ],
      { ports: [443] },
    );
    expect(keys(ts)).toEqual([
      '127.0.0.1:443',
      '127.0.0.2:8443',
      '::1:443',
      '::1:8443',
      '127.0.1.0:443',
      '127.0.1.1:443',
      '127.0.2.1:443',
      '127.0.2.2:443',
      '127.0.2.3:443',
      '|gw.example.nl:443',
      '|gw.example.nl:8443',
      '127.1.0.5|vpn.example.nl:443',
      '127.1.0.6|vpn.example.nl:4443',
      '127.1.0.7|vpn.example.nl:4444',
      '|only-name.example.nl:443',
      '|portal.example.nl:443',
      '127.0.0.9:8080',
      '::1:443',
      '127.0.0.3:443',
      '|localhost:443',
    ]);
    expect(ts.map((t) => t.seq)).toEqual(ts.map((_, i) => i));
  });

  it('entries without a port get every configured port in order; entries with one keep it', async () => {
    const ts = await collect([arg('127.0.0.0/31'), arg('127.0.0.5:9443'), arg('h.example')], { ports: [443, 8443, 4443] });
    expect(keys(ts)).toEqual([
      '127.0.0.0:443',
      '127.0.0.0:8443',
      '127.0.0.0:4443',
      '127.0.0.1:443',
      '127.0.0.1:8443',
      '127.0.0.1:4443',
      '127.0.0.5:9443',
      '|h.example:443',
      '|h.example:8443',
      '|h.example:4443',
    ]);
  });

  it('CIDRs include network and broadcast addresses (like zmap); host bits are masked', async () => {
    const ts = await collect([arg('127.0.0.77/30')]);
    expect(keys(ts)).toEqual(['127.0.0.76:443', '127.0.0.77:443', '127.0.0.78:443', '127.0.0.79:443']);
  });

  it('IPv6 CIDRs expand up to 2^24 addresses and no further', async () => {
    const ts = await collect([arg('2001:db8::/126')]);
    expect(keys(ts)).toEqual(['2001:db8:::443', '2001:db8::1:443', '2001:db8::2:443', '2001:db8::3:443']);
    expect((await validateAndCount([arg('2001:db8::/104')], { ports: [443] })).total).toBe(2 ** 24);
    const err = await errorOf(() => validateAndCount([arg('2001:db8::/103')], { ports: [443] }));
    expect(err).toMatchObject({ code: 'EW_TARGET_PARSE', file: 'argument' });
    expect(err.message).toContain('2^24');
  });

  it('rejects malformed entries with EW_TARGET_PARSE naming the argument', async () => {
    const bad: Array<[string, RegExp]> = [
      ['1.2.3', /not a valid IPv4 address/],
      ['1.2.3.256', /not a valid IPv4 address/],
      ['010.0.0.1', /not a valid IPv4 address/],
      ['0x7f000001', /not a valid IPv4 address/],
      ['127.0.0.1:0', /bad port/],
      ['127.0.0.1:65536', /bad port/],
      ['127.0.0.1:https', /bad port/],
      ['10.0.0.0/33', /prefix/],
      ['1.2.3.9-1.2.3.4', /end before start/],
      ['-bad.example.nl', /starts or ends with "-"/],
      ['bad..example.nl', /empty label/],
      [`${'a'.repeat(64)}.example.nl`, /longer than 63/],
      ['a b', /white space/],
      ['fe80::1%eth0', /zone/],
      ['[::1', /missing "\]"/],
      ['[::1]x', /after "\]"/],
      ['ftp://h.example/', /unsupported URL scheme/],
      ['https://user@h.example/', /user info/],
      ['not-an-ip,h.example', /single IP address/],
      ['127.0.0.1,bad_label-.example', /bad name/],
      ['', /empty target/],
      ['caf\u00e9.example', /not a valid IP address or host name/],
    ];
    for (const [text, why] of bad) {
      const err = await errorOf(() => collect([arg('127.0.0.1'), arg(text)]));
      expect(err.code, text).toBe('EW_TARGET_PARSE');
      expect(err.file, text).toBe('argument');
      expect(err.message, text).toMatch(/^argument: bad target "/);
      expect(err.message, text).toMatch(why);
    }
  });

  it('rejects bad port lists', async () => {
    for (const ports of [[0], [65536], [1.5], [Number.NaN]]) {
      expect((await errorOf(() => collect([arg('127.0.0.1')], { ports }))).code).toBe('EW_TARGET_PORTS');
    }
    expect(keys(await collect([arg('127.0.0.1')], { ports: [] }))).toEqual(['127.0.0.1:443']);
  });
});
