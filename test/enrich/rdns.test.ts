/**
 * Reverse DNS against our own DNS server on 127.0.0.1:<random> (test/enrich/servers/dns-server.ts):
 * a normal answer, NXDOMAIN, NODATA, SERVFAIL, REFUSED, slow, malformed, truncated (TCP retry), no
 * answer at all, a wrong id, hostile names — none may stall: a mixed batch ends within a bound.
 * Caching in memory and in the store's lookup_cache (positive, negative, failures not stored).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createReverseDnsResolver, type ReverseDnsOptions } from '../../src/enrich/names/index.js';
import { ptrName } from '../../src/enrich/names/ptr-name.js';
import { isEdgewatchError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { type DnsTestServer, type PtrBehaviour, reverseName, startDnsServer } from './servers/dns-server.js';

process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';

const TABLE: Record<string, PtrBehaviour> = {
  '192.0.2.1': { kind: 'name', names: ['Gateway.Example-Hospital.NL.'] },
  '192.0.2.2': { kind: 'nxdomain' },
  '192.0.2.3': { kind: 'servfail' },
  '192.0.2.4': { kind: 'name', names: ['slow.example.net'], delayMs: 3000 },
  '192.0.2.5': { kind: 'malformed' },
  '192.0.2.6': { kind: 'truncated', tcpNames: ['via-tcp.example.net'] },
  '192.0.2.7': { kind: 'drop' },
  '192.0.2.8': { kind: 'name', names: [[Buffer.from('ev\x00il'), Buffer.from('example')], ['<script>', 'example'].map((s) => Buffer.from(s)), 'good.example.org'] },
  '192.0.2.9': { kind: 'wrong-id' },
  '192.0.2.10': { kind: 'nodata' },
  '192.0.2.11': { kind: 'refused' },
  '192.0.2.12': { kind: 'name', names: [[Buffer.from('only\x07bell'), Buffer.from('example')]] },
  '192.0.2.13': { kind: 'truncated' },
  '2001:db8::53': { kind: 'name', names: ['v6-host.example.net'] },
};

let dns: DnsTestServer;
let dir: string;
const opened: Array<{ close(): unknown }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ew-rdns-'));
  dns = await startDnsServer(TABLE);
});
afterEach(async () => {
  for (const r of opened.splice(0)) await r.close();
});
afterAll(async () => {
  await dns.close();
  rmSync(dir, { recursive: true, force: true });
});

function resolver(extra: Partial<ReverseDnsOptions> = {}) {
  const r = createReverseDnsResolver({ servers: [dns.address], timeoutMs: 400, ...extra });
  opened.push(r);
  return r;
}

const q = (ip: string) => dns.queries.get(reverseName(ip)) ?? 0;

describe('PTR names', () => {
  it('the query name is the in-addr.arpa / ip6.arpa form', () => {
    expect(ptrName('192.0.2.1')).toBe('1.2.0.192.in-addr.arpa');
    expect(ptrName('2001:db8::53')).toBe(reverseName('2001:db8::53'));
    expect(ptrName('2001:db8::53')).toMatch(/^3\.5(\.0){22}\.8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa$/);
    expect(ptrName('nope')).toBeNull();
  });

  it('a normal answer comes back normalised (lower case, no trailing dot)', async () => {
    expect(await resolver().reverse('192.0.2.1')).toBe('gateway.example-hospital.nl');
  });

  it('IPv6, and IPv4-mapped IPv6 asked as IPv4', async () => {
    const r = resolver();
    expect(await r.reverse('2001:db8::53')).toBe('v6-host.example.net');
    expect(await r.reverse('2001:DB8:0:0:0:0:0:53')).toBe('v6-host.example.net');
    expect(await r.reverse('::ffff:192.0.2.1')).toBe('gateway.example-hospital.nl');
    expect(r.stats().queries).toBe(2);
  });

  it('hostile names are skipped; the first clean one wins, or none', async () => {
    const r = resolver();
    expect(await r.reverse('192.0.2.8')).toBe('good.example.org');
    expect(await r.reverse('192.0.2.12')).toBeNull();
  });

  it('a truncated UDP answer is retried over TCP', async () => {
    expect(await resolver().reverse('192.0.2.6')).toBe('via-tcp.example.net');
  });

  it('a truncated answer with no DNS-over-TCP on the server → null, fast, not cached as "no name"', async () => {
    const udpOnly = await startDnsServer({ '192.0.2.6': { kind: 'truncated', tcpNames: ['via-tcp.example.net'] } }, { tcp: false });
    try {
      const r = createReverseDnsResolver({ servers: [udpOnly.address], timeoutMs: 400 });
      opened.push(r);
      const t = Date.now();
      expect(await r.reverse('192.0.2.6')).toBeNull();
      expect(Date.now() - t).toBeLessThan(450);
      expect(r.stats().nxdomain).toBe(0);
    } finally {
      await udpOnly.close();
    }
  });

  it('NXDOMAIN, NODATA, SERVFAIL, REFUSED, malformed, truncated-without-TCP answer → null, fast', async () => {
    const r = resolver();
    for (const ip of ['192.0.2.2', '192.0.2.10', '192.0.2.3', '192.0.2.11', '192.0.2.5', '192.0.2.13']) {
      const t = Date.now();
      expect(await r.reverse(ip)).toBeNull();
      expect(Date.now() - t).toBeLessThan(450);
    }
    const s = r.stats();
    // NXDOMAIN, NODATA, and the truncated one whose TCP retry answered "no records": definite "no name".
    expect(s.nxdomain).toBe(3);
    // SERVFAIL, REFUSED, malformed: failures (never stored).
    expect(s.failed).toBe(3);
    expect(s.timedOut).toBe(0);
  });

  it('slow, silent and wrong-id servers end at the timeout', async () => {
    const r = resolver({ timeoutMs: 300 });
    for (const ip of ['192.0.2.4', '192.0.2.7', '192.0.2.9']) {
      const t = Date.now();
      expect(await r.reverse(ip)).toBeNull();
      const took = Date.now() - t;
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(700);
    }
    expect(r.stats().timedOut).toBe(3);
  });

  it('a mixed batch of 300 lookups finishes within a bound', async () => {
    const ips = Object.keys(TABLE);
    const batch = Array.from({ length: 300 }, (_, i) => (i < ips.length ? (ips[i] as string) : `198.51.100.${i % 250}`));
    const r = resolver({ timeoutMs: 300, concurrency: 16 });
    const t = Date.now();
    const out = await Promise.all(batch.map((ip) => r.reverse(ip)));
    const took = Date.now() - t;
    expect(out.filter((n) => n !== null).sort()).toEqual(['gateway.example-hospital.nl', 'good.example.org', 'v6-host.example.net', 'via-tcp.example.net']);
    // 3 silent addresses cost one timeout each, in parallel; everything else is immediate.
    expect(took).toBeLessThan(2000);
  });

  it('concurrency bound: 20 answers of 100 ms each through 4 slots take ≥ 5 rounds', async () => {
    const table: Record<string, PtrBehaviour> = {};
    for (let i = 0; i < 20; i++) table[`198.18.0.${i}`] = { kind: 'name', names: [`h${i}.example.net`], delayMs: 100 };
    const slow = await startDnsServer(table);
    try {
      const r = createReverseDnsResolver({ servers: [slow.address], timeoutMs: 1000, concurrency: 4 });
      opened.push(r);
      const t = Date.now();
      const out = await Promise.all(Object.keys(table).map((ip) => r.reverse(ip)));
      const took = Date.now() - t;
      expect(out.every((n, i) => n === `h${i}.example.net`)).toBe(true);
      expect(took).toBeGreaterThanOrEqual(480);
      expect(took).toBeLessThan(3000);
    } finally {
      await slow.close();
    }
  });

  it('not an address → null, never throws', async () => {
    const r = resolver();
    for (const bad of ['', 'example.org', '1.2.3.4.5', '::g', 'x'.repeat(5000)]) expect(await r.reverse(bad)).toBeNull();
    // biome-ignore lint/suspicious/noExplicitAny: hostile caller
    expect(await r.reverse(42 as any)).toBeNull();
  });

  it('close() ends pending lookups promptly and later ones return null', async () => {
    const r = createReverseDnsResolver({ servers: [dns.address], timeoutMs: 5000, concurrency: 1 });
    const p = [r.reverse('192.0.2.7'), r.reverse('192.0.2.4')];
    await new Promise((res) => setTimeout(res, 50));
    const t = Date.now();
    await r.close();
    expect(await Promise.all(p)).toEqual([null, null]);
    expect(Date.now() - t).toBeLessThan(500);
    expect(await r.reverse('192.0.2.1')).toBeNull();
  });
});

describe('cache', () => {
  it('memory: a second lookup does not query the server; in-flight lookups are shared', async () => {
    const r = resolver();
    const n = q('192.0.2.1');
    const both = await Promise.all([r.reverse('192.0.2.1'), r.reverse('192.0.2.1')]);
    expect(both).toEqual(['gateway.example-hospital.nl', 'gateway.example-hospital.nl']);
    await r.reverse('192.0.2.1');
    expect(q('192.0.2.1')).toBe(n + 1);
    expect(r.stats().memoryHits).toBe(1);
  });

  it('store: names and NXDOMAIN persist (negative TTL shorter), failures do not', async () => {
    const store = await openStore({ dialect: 'sqlite', file: join(dir, 'rdns.db') });
    try {
      const r1 = resolver({ db: store.db, ttlSeconds: 3600, negativeTtlSeconds: 60 });
      await r1.reverse('192.0.2.1');
      await r1.reverse('192.0.2.2');
      await r1.reverse('192.0.2.3');
      const rows = await store.db.selectFrom('lookup_cache').selectAll().where('kind', '=', 'rdns').orderBy('key').execute();
      expect(rows.map((r) => [r.key, JSON.parse(r.value)])).toEqual([
        ['192.0.2.1', { name: 'gateway.example-hospital.nl' }],
        ['192.0.2.2', { name: null }],
      ]);
      const ttl = (i: number) => Date.parse(rows[i]?.expires_at ?? '') - Date.parse(rows[i]?.fetched_at ?? '');
      expect(ttl(0)).toBe(3_600_000);
      expect(ttl(1)).toBe(60_000);
      expect(rows[0]?.source).toBe(`dns:${dns.address}`);

      const n1 = q('192.0.2.1');
      const n2 = q('192.0.2.2');
      const n3 = q('192.0.2.3');
      const r2 = resolver({ db: store.db });
      expect(await r2.reverse('192.0.2.1')).toBe('gateway.example-hospital.nl');
      expect(await r2.reverse('192.0.2.2')).toBeNull();
      expect(await r2.reverse('192.0.2.3')).toBeNull();
      expect([q('192.0.2.1'), q('192.0.2.2'), q('192.0.2.3')]).toEqual([n1, n2, n3 + 1]);
      expect(r2.stats().storeHits).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('a hostile value planted in the cache is normalised away on read', async () => {
    const store = await openStore({ dialect: 'sqlite', file: join(dir, 'rdns-planted.db') });
    try {
      const { cachePut } = await import('../../src/store/lookup-cache.js');
      await cachePut(store.db, 'rdns', '192.0.2.200', { name: 'x\r\nInjected: yes' }, { ttlSeconds: 60 });
      expect(await resolver({ db: store.db }).reverse('192.0.2.200')).toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe('options', () => {
  it('invalid options throw EW_RDNS_CONFIG', () => {
    const bad: Array<Partial<ReverseDnsOptions>> = [
      { servers: ['dns.example.org'] },
      { servers: ['127.0.0.1:99999'] },
      { servers: ['127.0.0.1:'] },
      { timeoutMs: 0 },
      { concurrency: 0 },
      { ttlSeconds: -1 },
    ];
    for (const o of bad) {
      try {
        createReverseDnsResolver(o);
        expect.unreachable(JSON.stringify(o));
      } catch (e) {
        expect(isEdgewatchError(e, 'EW_RDNS_CONFIG')).toBe(true);
      }
    }
  });

  it('accepts ip, ip:port, [v6]:port', () => {
    for (const s of ['127.0.0.1', '127.0.0.1:5353', '::1', '[::1]:5353']) createReverseDnsResolver({ servers: [s] }).close();
  });
});
