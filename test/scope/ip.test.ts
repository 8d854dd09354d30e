import { describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../src/errors.js';
import { formatIPv4, formatIPv6, parseCidr, parseCidrList, parseIPv4, parseIPv6, parseIp } from '../../src/scope/index.js';

describe('IPv4 parsing', () => {
  it('parses dotted quads to uint32 and formats back', () => {
    expect(parseIPv4('0.0.0.0')).toBe(0);
    expect(parseIPv4('255.255.255.255')).toBe(4294967295);
    expect(parseIPv4('127.0.0.1')).toBe(0x7f000001);
    expect(formatIPv4(0x7f000001)).toBe('127.0.0.1');
    expect(formatIPv4(4294967295)).toBe('255.255.255.255');
  });

  it('rejects shorthand, octal, hex and junk (what is checked must be what is connected)', () => {
    for (const s of ['127.1', '010.0.0.1', '0x7f.0.0.1', '1.2.3.256', '1.2.3.4.5', '1..2.3', '', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.-1']) {
      expect(parseIPv4(s), s).toBe(-1);
    }
  });
});

describe('IPv6 parsing', () => {
  it('parses and canonicalises (RFC 5952)', () => {
    const cases: Array<[string, string]> = [
      ['::1', '::1'],
      ['::', '::'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['fe80::0001', 'fe80::1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['2001:db8::0:1', '2001:db8::1'],
      ['1::', '1::'],
      ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ];
    for (const [input, canon] of cases) {
      const v = parseIPv6(input);
      expect(v, input).not.toBeNull();
      expect(formatIPv6(v as bigint), input).toBe(canon);
    }
  });

  it('rejects malformed and zone-scoped addresses', () => {
    for (const s of [':::', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '12345::', 'g::1', '1:2:3:4:5:6:7', '::1.2.3', ':1:2']) {
      expect(parseIPv6(s), s).toBeNull();
    }
  });

  it('folds IPv4-mapped IPv6 to IPv4', () => {
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ family: 4, v4: parseIPv4('10.1.2.3'), text: '10.1.2.3' });
    expect(parseIp('::ffff:a01:203')?.text).toBe('10.1.2.3');
  });
});

describe('CIDR parsing', () => {
  it('parses IPv4 and IPv6 CIDRs, masking host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toMatchObject({ family: 4, start: 0x0a000000, end: 0x0affffff, text: '10.0.0.0/8' });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ start: 0, end: 4294967295 });
    expect(parseCidr('127.0.0.1')).toMatchObject({ start: 0x7f000001, end: 0x7f000001, text: '127.0.0.1' });
    const v6 = parseCidr('2001:db8::1/32');
    expect(v6).toMatchObject({ family: 6, text: '2001:db8::/32' });
    expect(v6.end).toBe((0x20010db8n << 96n) + (1n << 96n) - 1n);
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ family: 4, text: '10.0.0.0/8' });
  });

  it('rejects bad prefixes with EW_SCOPE_PARSE naming the source', () => {
    for (const s of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/-1', '::/129', 'nope/8', '10.0.0.0/08']) {
      let err: unknown;
      try {
        parseCidr(s, '--scope');
      } catch (e) {
        err = e;
      }
      expect(isEdgewatchError(err, 'EW_SCOPE_PARSE'), s).toBe(true);
      expect((err as Error).message).toContain('--scope');
    }
  });

  it('parses lists separated by commas, spaces and newlines with comments; errors name the line', () => {
    const list = parseCidrList('127.0.0.0/8, ::1\n# comment\n10.0.0.0/8 192.168.0.0/16 # trailing\n\n1.2.3.4-1.2.3.9', 'x.conf');
    expect(list.map((r) => r.text)).toEqual(['127.0.0.0/8', '::1', '10.0.0.0/8', '192.168.0.0/16', '1.2.3.4-1.2.3.9']);
    expect(list[2].origin).toBe('x.conf:3');
    expect(() => parseCidrList('10.0.0.0/8\n\n10.0.0.300\n', 'x.conf')).toThrow(/x\.conf:3: bad CIDR "10\.0\.0\.300"/);
  });
});
