/**
 * Organisation matching: each rule in order (override → CIDR → domain → ASN → none) with its
 * explanation naming the import file:line; longest prefix; most specific domain; wildcards; ties
 * resolved deterministically and explained; IPv6 and IPv4-mapped IPv6; the prefix index checked
 * against brute force; loadOrgMatcher over a real SQLite store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOrgMatcher, groupKey, importOrganisations, loadOrgMatcher, type Organisation } from '../../src/enrich/org/index.js';
import { PrefixIndex4, PrefixIndex6 } from '../../src/enrich/org/prefix-index.js';
import type { MatchInput } from '../../src/enrich/types.js';
import { v4Block } from '../../src/scope/cidr.js';
import { formatIPv4 } from '../../src/scope/ip.js';
import { openStore } from '../../src/store/index.js';
import { setOverride } from '../../src/store/organisations.js';

const work = mkdtempSync(join(tmpdir(), 'ew-orgm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function org(key: string, o: Partial<Organisation> = {}, line = 1): Organisation {
  return {
    key,
    name: o.name ?? key.toUpperCase(),
    sector: o.sector === undefined ? 'healthcare' : o.sector,
    language: 'en',
    constituencies: [],
    domains: o.domains ?? [],
    cidrs: o.cidrs ?? [],
    asns: o.asns ?? [],
    contacts: [],
    source: `orgs.yaml:${line}`,
    imported_at: '2026-01-01T00:00:00Z',
  };
}

const q = (ip: string, extra: Partial<MatchInput> = {}): MatchInput => ({ ip, asn: null, names: [], ...extra });

const ORGS = [
  org('big', { name: 'Big Hospital Group', cidrs: ['10.0.0.0/8', '2001:db8::/32'], asns: [64500], domains: ['big.example'] }, 3),
  org('small', { name: 'Small Clinic', cidrs: ['10.1.2.0/24', '2001:db8:5::/48'], domains: ['clinic.big.example'] }, 12),
  org('tiny', { name: 'Tiny Lab', cidrs: ['10.1.2.128/25', '10.1.2.200'] }, 20),
  org('isp', { name: 'Some ISP', asns: [64501], sector: null }, 30),
];

describe('matching rules, each explained', () => {
  const m = buildOrgMatcher(ORGS, [
    { target: '10.1.2.7', org_key: 'isp', note: 'customer moved', created_at: '2026-02-03T04:05:06Z' },
    { target: '192.0.2.0/24', org_key: 'small', note: null, created_at: '2026-02-03T04:05:06Z' },
    { target: '192.0.2.64/26', org_key: 'tiny', note: null, created_at: '2026-02-03T04:05:06Z' },
    { target: '198.51.100.9', org_key: 'gone', note: null, created_at: '2026-02-03T04:05:06Z' },
  ]);

  it('reports its size', () => {
    expect(m.size).toEqual({ orgs: 4, cidrs: 6, domains: 2, asns: 2 });
  });

  it('CIDR: the longest prefix wins and the file:line is named', () => {
    expect(m.match(q('10.9.9.9'))).toEqual({
      org_key: 'big',
      org_name: 'Big Hospital Group',
      sector: 'healthcare',
      rule: 'cidr',
      matched: '10.0.0.0/8',
      why: '10.9.9.9 is inside 10.0.0.0/8, listed for Big Hospital Group [big] (import orgs.yaml:3)',
      group: null,
    });
    expect(m.match(q('10.1.2.3'))).toMatchObject({
      org_key: 'small',
      matched: '10.1.2.0/24',
      why: '10.1.2.3 is inside 10.1.2.0/24, listed for Small Clinic [small] (import orgs.yaml:12); the wider 10.0.0.0/8 is listed for Big Hospital Group [big]: the longest prefix wins',
    });
    expect(m.match(q('10.1.2.130'))).toMatchObject({ org_key: 'tiny', matched: '10.1.2.128/25', why: expect.stringContaining('the wider 10.1.2.0/24 is listed for Small Clinic') });
    expect(m.match(q('10.1.2.200')).why).toContain('the wider 10.1.2.128/25 is listed for the same organisation');
    expect(m.match(q('10.1.2.200'))).toMatchObject({ org_key: 'tiny', matched: '10.1.2.200' });
    expect(m.match(q('10.1.3.0'))).toMatchObject({ org_key: 'big' });
    expect(m.match(q('11.0.0.0'))).toMatchObject({ rule: 'none' });
  });

  it('CIDR beats domain and ASN', () => {
    expect(m.match(q('10.1.2.3', { asn: 64501, names: [{ name: 'x.big.example', source: 'cert_cn' }] }))).toMatchObject({ rule: 'cidr', org_key: 'small' });
  });

  it('IPv6 and IPv4-mapped IPv6', () => {
    expect(m.match(q('2001:db8:5:1::1'))).toMatchObject({ rule: 'cidr', org_key: 'small', matched: '2001:db8:5::/48' });
    expect(m.match(q('2001:DB8:6::1'))).toMatchObject({ rule: 'cidr', org_key: 'big', matched: '2001:db8::/32' });
    expect(m.match(q('2001:db9::1'))).toMatchObject({ rule: 'none' });
    expect(m.match(q('::ffff:10.1.2.3'))).toMatchObject({ rule: 'cidr', org_key: 'small', why: expect.stringMatching(/^10\.1\.2\.3 is inside/) });
  });

  it('override beats every automatic match and says what it beat', () => {
    const a = m.match(q('10.1.2.7'));
    expect(a).toMatchObject({ org_key: 'isp', rule: 'override', matched: '10.1.2.7', sector: null });
    expect(a.why).toBe(
      '10.1.2.7 is assigned to Some ISP [isp] by the manual override of 10.1.2.7 (set 2026-02-03, note "customer moved"); without it the cidr rule would give Small Clinic [small]',
    );
  });

  it('override CIDRs: the longest prefix wins', () => {
    expect(m.match(q('192.0.2.1'))).toMatchObject({ org_key: 'small', rule: 'override', matched: '192.0.2.0/24' });
    expect(m.match(q('192.0.2.70'))).toMatchObject({ org_key: 'tiny', rule: 'override', matched: '192.0.2.64/26' });
  });

  it('override to a key no longer imported still wins and says so', () => {
    const a = m.match(q('198.51.100.9', { asn: 64500 }));
    expect(a).toMatchObject({ org_key: 'gone', org_name: null, rule: 'override' });
    expect(a.why).toContain('no such organisation in the store now');
  });

  it('domain: equal or subdomain, the most specific listed domain wins, source named', () => {
    expect(m.match(q('203.0.113.1', { names: [{ name: 'big.example', source: 'sni' }] }))).toMatchObject({
      rule: 'domain',
      org_key: 'big',
      matched: 'big.example (big.example)',
      why: 'SNI name big.example is big.example, listed for Big Hospital Group [big] (import orgs.yaml:3)',
    });
    const a = m.match(
      q('203.0.113.1', {
        names: [
          { name: 'vpn.big.example', source: 'ptr' },
          { name: 'GW.Clinic.Big.Example.', source: 'cert_san' },
        ],
      }),
    );
    expect(a).toMatchObject({ rule: 'domain', org_key: 'small', matched: 'clinic.big.example (gw.clinic.big.example)' });
    expect(a.why).toContain('certificate SAN gw.clinic.big.example is a subdomain of clinic.big.example');
    expect(a.why).toContain('; the wider big.example is listed for Big Hospital Group [big]: the most specific domain wins');
    expect(m.match(q('203.0.113.1', { names: [{ name: 'notbig.example', source: 'ptr' }] }))).toMatchObject({ rule: 'none' });
  });

  it('wildcard certificate names match their base domain and are noted', () => {
    for (const names of [[{ name: '*.clinic.big.example', source: 'cert_san' as const }], [{ name: 'clinic.big.example', source: 'cert_cn' as const, wildcard: true }]]) {
      const a = m.match(q('203.0.113.1', { names }));
      expect(a).toMatchObject({ rule: 'domain', org_key: 'small', matched: 'clinic.big.example (*.clinic.big.example)' });
      expect(a.why).toContain('wildcard certificate name *.clinic.big.example');
    }
  });

  it('ASN when nothing else matches', () => {
    expect(m.match(q('203.0.113.1', { asn: 64501 }))).toMatchObject({
      rule: 'asn',
      org_key: 'isp',
      matched: 'AS64501',
      why: '203.0.113.1 is announced by AS64501, listed for Some ISP [isp] (import orgs.yaml:30)',
    });
  });

  it('none: grouped by AS and abuse contact', () => {
    const a = m.match(q('203.0.113.1', { asn: 65000 }));
    expect(a).toMatchObject({ rule: 'none', org_key: null, org_name: null, matched: null, group: 'AS65000|-' });
    expect(a.why).toContain('grouped by AS and abuse contact as AS65000|-');
    expect(m.match(q('203.0.113.1', { asn: 65000, abuse: 'Abuse@ISP.example' })).group).toBe('AS65000|abuse@isp.example');
    expect(groupKey(null, null)).toBe('AS?|-');
    expect(groupKey(64500, 'a|b\n@c')).toBe('AS64500|ab@c');
  });

  it('hostile or malformed input never throws', () => {
    for (const ip of ['', 'not-an-ip', '10.0.0.999', '1'.repeat(10_000), ':::', '010.1.2.3']) {
      expect(m.match(q(ip, { names: [{ name: '\u001b[31mevil\u0000.big.example', source: 'cert_cn' }, { name: 'x'.repeat(5000), source: 'ptr' }] })).rule).toBe('none');
    }
    // An IPv4 literal given as a name is not a domain.
    const lit = buildOrgMatcher([org('n', { domains: ['2.1'] })]);
    expect(lit.match(q('203.0.113.1', { names: [{ name: '192.0.2.1', source: 'target' }] })).rule).toBe('none');
    // A valid name after hostile ones still matches.
    expect(m.match(q('bad', { names: [{ name: '\u0000', source: 'ptr' }, { name: 'a.big.example', source: 'ptr' }] })).org_key).toBe('big');
  });
});

describe('ties are deterministic and explained', () => {
  it('the same CIDR listed by several organisations: the first key wins, the others are named', () => {
    const orgs = [org('zeta', { cidrs: ['192.0.2.0/24'] }, 9), org('alpha', { cidrs: ['192.0.2.0/24'] }, 5), org('mid', { cidrs: ['192.0.2.0/24', '192.0.2.0/24'] }, 7)];
    for (const order of [orgs, [...orgs].reverse()]) {
      const a = buildOrgMatcher(order).match(q('192.0.2.1'));
      expect(a.org_key).toBe('alpha');
      expect(a.why).toBe(
        '192.0.2.1 is inside 192.0.2.0/24, listed for ALPHA [alpha] (import orgs.yaml:5); 192.0.2.0/24 is also listed for MID [mid] (orgs.yaml:7), ZETA [zeta] (orgs.yaml:9): the first key in sort order wins',
      );
    }
  });

  it('the same domain or ASN listed twice; among names the source order decides at equal specificity', () => {
    const m = buildOrgMatcher([org('b', { domains: ['shared.example'], asns: [1] }), org('a', { domains: ['shared.example'], asns: [1] }), org('c', { domains: ['other.example'] })]);
    expect(m.match(q('203.0.113.1', { names: [{ name: 'www.shared.example', source: 'ptr' }] }))).toMatchObject({ org_key: 'a', why: expect.stringContaining('also listed for B [b]') });
    expect(m.match(q('203.0.113.1', { asn: 1 }))).toMatchObject({ org_key: 'a', rule: 'asn' });
    const names = [
      { name: 'x.shared.example', source: 'ptr' as const },
      { name: 'x.other.example', source: 'sni' as const },
    ];
    expect(m.match(q('203.0.113.1', { names })).org_key).toBe('c');
    expect(m.match(q('203.0.113.1', { names: [...names].reverse() })).org_key).toBe('c');
  });
});

describe('prefix index', () => {
  function rnd(seed: number) {
    let s = seed >>> 0;
    return () => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s;
    };
  }

  it('agrees with brute force on random nested IPv4 blocks', () => {
    const r = rnd(42);
    const wrong: string[] = [];
    let probes = 0;
    for (let round = 0; round < 100; round++) {
      const seen = new Set<string>();
      const blocks: { start: number; end: number; id: number }[] = [];
      for (let i = 0; i < 30; i++) {
        const p = 20 + (r() % 13);
        const size = 2 ** (32 - p);
        const start = Math.floor((0x0a000000 + (r() % 8192)) / size) * size;
        if (seen.has(`${start}/${p}`)) continue;
        seen.add(`${start}/${p}`);
        blocks.push({ start, end: start + size - 1, id: blocks.length });
      }
      if (round === 0) blocks.push({ start: 0xffffff00, end: 0xffffffff, id: blocks.length });
      const idx = new PrefixIndex4(blocks);
      const probe = (ip: number) => {
        let best = -1;
        let size = Number.POSITIVE_INFINITY;
        for (const b of blocks) if (b.start <= ip && ip <= b.end && b.end - b.start < size) [best, size] = [b.id, b.end - b.start];
        probes++;
        if (idx.lookup(ip) !== best) wrong.push(`round ${round} ip ${ip}: got ${idx.lookup(ip)}, want ${best}`);
      };
      for (let ip = 0x0a000000 - 5; ip < 0x0a000000 + 8300; ip += 1 + (r() % 3)) probe(ip);
      for (const b of blocks) {
        let parent = -1;
        let size = Number.POSITIVE_INFINITY;
        for (const c of blocks) {
          if (c !== b && c.start <= b.start && b.end <= c.end && c.end - c.start < size) [parent, size] = [c.id, c.end - c.start];
        }
        if (idx.parentOf(b.id) !== parent) wrong.push(`round ${round} parent of ${b.id}: got ${idx.parentOf(b.id)}, want ${parent}`);
      }
      if (round === 0) for (const ip of [0, 0xfffffeff, 0xffffff00, 0xffffffff]) probe(ip);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(probes).toBeGreaterThan(100_000);
  });

  it('agrees with brute force on IPv6 blocks', () => {
    const base = 0x20010db8n << 96n;
    const blocks = [
      { start: base, end: base + (1n << 96n) - 1n, id: 0 },
      { start: base + (5n << 80n), end: base + (5n << 80n) + (1n << 80n) - 1n, id: 1 },
      { start: base + (5n << 80n) + 1n, end: base + (5n << 80n) + 1n, id: 2 },
      { start: (1n << 128n) - 1n, end: (1n << 128n) - 1n, id: 3 },
    ];
    const idx = new PrefixIndex6(blocks);
    expect(idx.lookup(base - 1n)).toBe(-1);
    expect(idx.lookup(base)).toBe(0);
    expect(idx.lookup(base + (5n << 80n))).toBe(1);
    expect(idx.lookup(base + (5n << 80n) + 1n)).toBe(2);
    expect(idx.lookup(base + (5n << 80n) + 2n)).toBe(1);
    expect(idx.lookup(base + (6n << 80n))).toBe(0);
    expect(idx.lookup(base + (1n << 96n))).toBe(-1);
    expect(idx.lookup((1n << 128n) - 1n)).toBe(3);
  });

  it('builds 50,000 CIDRs of 10,000 organisations; matches agree with brute force', () => {
    const r = rnd(7);
    const orgs: Organisation[] = [];
    const all: { start: number; end: number; text: string }[] = [];
    for (let i = 0; i < 10_000; i++) {
      const cidrs = Array.from({ length: 5 }, () => {
        const b = v4Block(r(), 16 + (r() % 9));
        all.push(b);
        return b.text;
      });
      orgs.push(org(`o${String(i).padStart(5, '0')}`, { cidrs, asns: [100_000 + i] }));
    }
    const m = buildOrgMatcher(orgs);
    expect(m.size.orgs).toBe(10_000);
    expect(m.size.cidrs).toBeGreaterThan(45_000);
    const wrong: string[] = [];
    let hits = 0;
    for (let i = 0; i < 300; i++) {
      // Half the probes inside a listed block, half anywhere.
      const ip = i % 2 === 0 ? all[(i * 7919) % all.length].start + (r() % 256) : r();
      let best: string | null = null;
      let size = Number.POSITIVE_INFINITY;
      for (const b of all) if (b.start <= ip && ip <= b.end && b.end - b.start < size) [best, size] = [b.text, b.end - b.start];
      const a = m.match(q(formatIPv4(ip)));
      if (best !== null) hits++;
      if (a.matched !== best) wrong.push(`${formatIPv4(ip)}: got ${a.matched}, want ${best}`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(hits).toBeGreaterThan(150);
  });
});

describe('loadOrgMatcher over the store', () => {
  it('reads organisations and overrides from SQLite', async () => {
    const store = await openStore({ dialect: 'sqlite', file: join(work, 'm.db') });
    try {
      expect((await loadOrgMatcher(store.db)).match(q('192.0.2.1'))).toMatchObject({ rule: 'none', group: 'AS?|-' });
      const file = resolve(import.meta.dirname, '../fixtures/orgs/good.yaml');
      await importOrganisations(store.db, file);
      await setOverride(store.db, { target: '203.0.113.0/24', org_key: 'gp-lakeside', note: 'contract', created_at: '2026-03-01T00:00:00Z' });
      const m = await loadOrgMatcher(store.db);
      expect(m.size).toEqual({ orgs: 3, cidrs: 4, domains: 4, asns: 2 });
      expect(m.match(q('192.0.2.5'))).toMatchObject({ org_key: 'zkh-noord', rule: 'cidr', why: `192.0.2.5 is inside 192.0.2.0/25, listed for Ziekenhuis Noord [zkh-noord] (import ${file}:4)` });
      expect(m.match(q('2001:db8:10::1'))).toMatchObject({ org_key: 'zkh-noord', rule: 'cidr' });
      expect(m.match(q('203.0.113.9', { asn: 64501 }))).toMatchObject({ org_key: 'gp-lakeside', rule: 'override' });
      expect(m.match(q('198.18.0.1', { names: [{ name: '*.x.zorg-noord.example', source: 'cert_san' }] }))).toMatchObject({ org_key: 'zkh-noord', rule: 'domain' });
      expect(m.match(q('198.18.0.1', { asn: 64501 }))).toMatchObject({ org_key: 'city-of-harbour', rule: 'asn' });
    } finally {
      await store.close();
    }
  });
});
