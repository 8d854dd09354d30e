/**
 * The lookup_cache repository (src/store/lookup-cache.ts) and the resolvers' store cache on every
 * dialect: SQLite always, PostgreSQL when it answers on 127.0.0.1:5432 (required under CI=true).
 * Range keys must sort like addresses in any collation, so the covering-network query works on both.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { floorBounds, parseAddr, parseCidr, parseRangeKey, rangeKey } from '../../src/enrich/contacts/ip.js';
import { createAbuseContactResolver } from '../../src/enrich/contacts/index.js';
import { createReverseDnsResolver } from '../../src/enrich/names/index.js';
import { cacheFloor, cacheGet, cachePurge, cachePut } from '../../src/store/lookup-cache.js';
import { DIALECTS, storePlaces } from '../store/dialects.js';
import { reverseName, startDnsServer } from './servers/dns-server.js';
import { fixture, startRdapServer } from './servers/rdap-server.js';

process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';

const addr = (ip: string) => parseAddr(ip) as NonNullable<ReturnType<typeof parseAddr>>;

describe('range keys', () => {
  it('round-trip and sort like the addresses', () => {
    const cidrs = ['0.0.0.0/8', '8.8.8.0/24', '8.0.0.0/9', '193.0.0.0/21', '255.255.255.255/32', '2001:db8::/32', '2001:67c:2e8::/48', '::/0'];
    for (const c of cidrs) {
      const r = parseCidr(c);
      expect(r).not.toBeNull();
      expect(parseRangeKey(rangeKey(r as NonNullable<typeof r>))).toEqual(r);
    }
    const keys = ['193.0.0.0/21', '8.0.0.0/9', '8.8.8.0/24'].map((c) => rangeKey(parseCidr(c) as NonNullable<ReturnType<typeof parseCidr>>));
    expect([...keys].sort()).toEqual([keys[1], keys[2], keys[0]]);
    const { low, high } = floorBounds(addr('8.8.8.8'));
    expect(keys.filter((k) => k >= low && k <= high).sort()).toEqual([keys[1], keys[2]]);
    expect(parseRangeKey('4zz')).toBeNull();
    expect(parseRangeKey('4ffffffff00000000')).toBeNull();
  });
});

for (const dialect of DIALECTS) {
  describe(`lookup_cache on ${dialect}`, () => {
    const places = storePlaces(dialect, 'ew-lcache-');
    afterAll(() => places.cleanup());

    it('put, get, replace, expiry, purge', async () => {
      const store = await places.open('basic');
      try {
        const db = store.db;
        const t0 = new Date('2026-11-23T12:00:00.000Z');
        await cachePut(db, 'rdns', '192.0.2.1', { name: 'a.example.net' }, { source: 'dns:127.0.0.1:53', ttlSeconds: 60, now: t0 });
        const hit = await cacheGet<{ name: string }>(db, 'rdns', '192.0.2.1', new Date(t0.getTime() + 1000));
        expect(hit).toMatchObject({ key: '192.0.2.1', value: { name: 'a.example.net' }, source: 'dns:127.0.0.1:53', fetched_at: t0.toISOString() });
        expect(hit?.expires_at).toBe('2026-11-23T12:01:00.000Z');
        // Expired at exactly expires_at.
        expect(await cacheGet(db, 'rdns', '192.0.2.1', new Date('2026-11-23T12:01:00.000Z'))).toBeUndefined();
        // Same key, other kind: separate.
        expect(await cacheGet(db, 'rdap', '192.0.2.1', t0)).toBeUndefined();
        // Replace.
        await cachePut(db, 'rdns', '192.0.2.1', { name: null }, { ttlSeconds: 3600, now: t0 });
        expect((await cacheGet<{ name: null }>(db, 'rdns', '192.0.2.1', t0))?.value).toEqual({ name: null });
        await cachePut(db, 'rdns', '192.0.2.2', { name: 'b' }, { ttlSeconds: 10, now: t0 });
        expect(await cachePurge(db, 'rdns', new Date(t0.getTime() + 20_000))).toBe(1);
        expect(await cacheGet(db, 'rdns', '192.0.2.1', t0)).toBeDefined();
      } finally {
        await store.close();
      }
    });

    it('cacheFloor finds the covering networks, nearest start first', async () => {
      const store = await places.open('floor');
      try {
        const db = store.db;
        for (const c of ['8.0.0.0/9', '8.8.8.0/24', '8.8.9.0/24', '9.0.0.0/8', '2001:db8::/32']) {
          const r = parseCidr(c) as NonNullable<ReturnType<typeof parseCidr>>;
          await cachePut(db, 'rdap', rangeKey(r), { cidr: c }, { ttlSeconds: 60 });
        }
        const { low, high } = floorBounds(addr('8.8.8.8'));
        const rows = await cacheFloor<{ cidr: string }>(db, 'rdap', low, high, 10);
        expect(rows.map((r) => r.value.cidr)).toEqual(['8.8.8.0/24', '8.0.0.0/9']);
        const v6 = floorBounds(addr('2001:db8::1'));
        expect((await cacheFloor<{ cidr: string }>(db, 'rdap', v6.low, v6.high, 10)).map((r) => r.value.cidr)).toEqual(['2001:db8::/32']);
      } finally {
        await store.close();
      }
    });

    it('the reverse DNS resolver caches names and NXDOMAIN in this store', async () => {
      const dns = await startDnsServer({ '192.0.2.1': { kind: 'name', names: ['gw.example-hospital.nl'] } });
      const store = await places.open('rdns');
      try {
        const o = { servers: [dns.address], timeoutMs: 1000, db: store.db };
        const r1 = createReverseDnsResolver(o);
        expect(await r1.reverse('192.0.2.1')).toBe('gw.example-hospital.nl');
        expect(await r1.reverse('192.0.2.2')).toBeNull();
        await r1.close();
        const r2 = createReverseDnsResolver(o);
        expect(await r2.reverse('192.0.2.1')).toBe('gw.example-hospital.nl');
        expect(await r2.reverse('192.0.2.2')).toBeNull();
        expect(r2.stats()).toMatchObject({ storeHits: 2, queries: 0 });
        await r2.close();
        expect(dns.queries.get(reverseName('192.0.2.1'))).toBe(1);
      } finally {
        await store.close();
        await dns.close();
      }
    });

    it('the abuse-contact resolver caches per network in this store', async () => {
      const srv = await startRdapServer();
      const store = await places.open('resolver');
      try {
        srv.rdap.set('193.0.6.139', { kind: 'json', body: fixture('ripe-ip.json') });
        const o = { rdapBase: `${srv.origin}/ripe/`, sources: ['rdap' as const], ratePerSecond: 0, timeoutMs: 2000, db: store.db };
        const r1 = createAbuseContactResolver(o);
        expect((await r1.abuseContact('193.0.6.139'))?.email).toBe('abuse@ripe.net');
        r1.close();
        const r2 = createAbuseContactResolver(o);
        expect((await r2.abuseContact('193.0.1.1'))?.email).toBe('abuse@ripe.net');
        expect(r2.stats().storeHits).toBe(1);
        r2.close();
        expect(srv.count('/ip/')).toBe(1);
      } finally {
        await store.close();
        await srv.close();
      }
    });
  });
}
