/**
 * Names from scan records: target name, certificate CN and SANs, wildcards noted, hostile names
 * dropped, duplicates removed, count bounded. Pure functions, no network.
 */
import { describe, expect, it } from 'vitest';
import { MAX_NAMES_PER_RECORD, namesFromRecord, normaliseHostName, withPtr } from '../../src/enrich/names/index.js';
import type { ScanRecord, TlsFacts } from '../../src/scan/record.js';

function tls(cn: string | null, sans: string[]): TlsFacts {
  return {
    version: 'TLSv1.2',
    cipher: null,
    subject_cn: cn,
    subject: cn ? `CN=${cn}` : null,
    issuer: null,
    sans,
    serial: null,
    not_after: null,
    key_bits: null,
    self_signed: false,
    sha256: null,
  };
}

function rec(host: string | null, t: TlsFacts | null): ScanRecord {
  return {
    ip: '127.0.0.1',
    port: 443,
    host,
    status: 'ok',
    reason: null,
    scheme: 'https',
    product: 'citrix-adc',
    product_confidence: 'certain',
    version: null,
    version_source: null,
    cve: {},
    tls: t,
    evidence: [],
    scanned_at: '2026-11-23T00:00:00.000Z',
  };
}

describe('normaliseHostName', () => {
  it.each([
    ['Gateway.Example.ORG', 'gateway.example.org', false],
    ['vpn.example.org.', 'vpn.example.org', false],
    ['*.Example-Hospital.org', 'example-hospital.org', true],
    ['  spaced.example.org  ', 'spaced.example.org', false],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example', false],
    ['bücher.example', 'xn--bcher-kva.example', false],
    ['_dmarc.example.org', '_dmarc.example.org', false],
  ])('%s → %s (wildcard %s)', (raw, name, wildcard) => {
    expect(normaliseHostName(raw)).toEqual({ name, wildcard });
  });

  it.each([
    ['localhost'],
    ['NetScaler'],
    ['default ABCDEF'],
    ['192.0.2.1'],
    ['2001:db8::1'],
    ['1.2.3'],
    ['a..example.org'],
    ['-lead.example.org'],
    ['vpn*.example.org'],
    ['*.*.example.org'],
    ['*'],
    ['evil\u0000.example.org'],
    ['line\r\nInjected: yes.example.org'],
    ['<script>alert(1)</script>.example.org'],
    ['a b.example.org'],
    ['user@example.org'],
    ['https://example.org/'],
    ['zero\u200bwidth.example.org'],
    [`${'a'.repeat(64)}.example.org`],
    [`${'abcdefghi.'.repeat(26)}example`],
    ['x'.repeat(100_000)],
    [''],
    ['.'],
    ['example.com'],
  ])('rejects %j', (raw) => {
    expect(normaliseHostName(raw)).toBeNull();
  });

  it('rejects non-strings', () => {
    for (const v of [null, undefined, 42, {}, ['a.example.org']]) expect(normaliseHostName(v)).toBeNull();
  });
});

describe('namesFromRecord', () => {
  it('target name, CN and SANs in that order, with their sources; wildcards noted', () => {
    const names = namesFromRecord(rec('VPN.Example-Hospital.nl', tls('vpn.example-hospital.nl', ['*.example-hospital.nl', 'example-hospital.nl', 'mail.example-hospital.nl'])));
    expect(names).toEqual([
      { name: 'vpn.example-hospital.nl', source: 'target' },
      { name: 'example-hospital.nl', source: 'cert_san', wildcard: true },
      { name: 'example-hospital.nl', source: 'cert_san' },
      { name: 'mail.example-hospital.nl', source: 'cert_san' },
    ]);
  });

  it('no target, no TLS → nothing; a junk CN is dropped', () => {
    expect(namesFromRecord(rec(null, null))).toEqual([]);
    expect(namesFromRecord(rec(null, tls('NetScaler', [])))).toEqual([]);
    expect(namesFromRecord(rec(null, tls('gw.example.net', [])))).toEqual([{ name: 'gw.example.net', source: 'cert_cn' }]);
  });

  it('a hostile certificate: junk dropped, duplicates removed, count bounded', () => {
    const sans = [
      ...Array.from({ length: 5000 }, (_, i) => `h${i}.example.net`),
      'evil\u0000.example.net',
    ];
    const names = namesFromRecord(rec(null, tls('H0.EXAMPLE.NET', ['h0.example.net', 'H0.example.net.', 'bad name', ...sans])));
    expect(names).toHaveLength(MAX_NAMES_PER_RECORD);
    expect(names[0]).toEqual({ name: 'h0.example.net', source: 'cert_cn' });
    expect(new Set(names.map((n) => n.name)).size).toBe(names.length);
    expect(names.every((n) => /^[a-z0-9.-]+$/.test(n.name))).toBe(true);
  });

  it('tolerates a record whose tls.sans is missing or not an array (old or foreign rows)', () => {
    const t = tls('gw.example.net', []);
    // biome-ignore lint/suspicious/noExplicitAny: damaged input
    (t as any).sans = 'gw2.example.net';
    expect(namesFromRecord(rec(null, t))).toEqual([{ name: 'gw.example.net', source: 'cert_cn' }]);
  });
});

describe('withPtr', () => {
  it('adds the PTR name once, normalised; junk and duplicates are not added', () => {
    const base = namesFromRecord(rec('vpn.example-hospital.nl', null));
    expect(withPtr(base, 'Host-7.Provider.NET.')).toEqual([...base, { name: 'host-7.provider.net', source: 'ptr' }]);
    expect(withPtr(base, 'vpn.example-hospital.nl')).toEqual(base);
    expect(withPtr(base, null)).toEqual(base);
    expect(withPtr(base, 'evil\r\n.example')).toEqual(base);
    expect(withPtr([], '*.wild.example')).toEqual([]);
  });
});
