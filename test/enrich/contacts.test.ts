/**
 * Abuse contacts against a local RDAP + RIPEstat server (test/enrich/servers/rdap-server.ts):
 * registry-shaped answers (RIPE, ARIN nested entities, APNIC-style remarks, linked entity, IPv6),
 * the IANA bootstrap routing, caching per covering network in memory and in the store, and the
 * failure modes (slow, trickling, 429, 5xx, 404, malformed, huge, redirects, loops) — none may
 * stall or throw.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AbuseContactOptions, cleanEmail, createAbuseContactResolver, loadBootstrap, readRdapNetwork, readRipestat } from '../../src/enrich/contacts/index.js';
import { fetchJson } from '../../src/enrich/contacts/http.js';
import { parseAddr } from '../../src/enrich/contacts/ip.js';
import { createReverseDnsResolver } from '../../src/enrich/names/index.js';
import { loopbackOnlyMode, urlAllowed } from '../../src/enrich/names/net-guard.js';
import { isEdgewatchError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { fixture, type RdapTestServer, ripestatAnswer, startRdapServer } from './servers/rdap-server.js';

process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';

let srv: RdapTestServer;
let dir: string;
let bootDir: string;
const opened: Array<{ close(): unknown }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ew-contacts-'));
  process.env.EDGEWATCH_DATA_DIR = join(dir, 'data');
  srv = await startRdapServer();
  bootDir = join(dir, 'bootstrap');
  const o = srv.origin;
  mkdirSync(bootDir);
  writeFileSync(
    join(bootDir, 'ipv4.json'),
    JSON.stringify({
      description: 'RDAP bootstrap file for IPv4 address allocations (test)',
      publication: '2026-11-01T00:00:00Z',
      services: [
        [['193.0.0.0/8', '195.0.0.0/8'], [`${o}/ripe/`]],
        [['8.0.0.0/8', '198.0.0.0/8', '192.0.0.0/8'], [`${o}/arin`]],
        [['203.0.0.0/8'], ['ftp://ignored.example/', `${o}/apnic/`]],
      ],
      version: '1.0',
    }),
  );
  writeFileSync(
    join(bootDir, 'ipv6.json'),
    JSON.stringify({ publication: '2026-11-01T00:00:00Z', services: [[['2001:600::/23'], [`${o}/ripe/`]]], version: '1.0' }),
  );
  const linked = JSON.parse(JSON.stringify(fixture('link-ip.json')).replaceAll('ENTITY_BASE', `${o}/arin`));
  srv.rdap.set('193.0.6.139', { kind: 'json', body: fixture('ripe-ip.json') });
  srv.rdap.set('193.0.6.1', { kind: 'json', body: fixture('ripe-ip.json') });
  srv.rdap.set('8.8.8.8', { kind: 'json', body: fixture('arin-ip.json') });
  srv.rdap.set('203.0.113.9', { kind: 'json', body: fixture('remarks-ip.json') });
  srv.rdap.set('198.51.100.7', { kind: 'json', body: linked });
  srv.rdap.set('2001:67c:2e8::2', { kind: 'json', body: fixture('ripe-ipv6.json') });
  srv.rdap.set('192.0.2.66', { kind: 'json', body: fixture('hostile-ip.json') });
});

afterEach(async () => {
  for (const r of opened.splice(0)) await r.close();
});

afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

function resolver(extra: AbuseContactOptions = {}) {
  const r = createAbuseContactResolver({ bootstrap: bootDir, ripestatBase: srv.origin, timeoutMs: 1500, ratePerSecond: 0, ...extra });
  opened.push(r);
  return r;
}

describe('RDAP answers shaped like the registries', () => {
  it('RIPE: the abuse entity at the top level, routed by the IANA bootstrap', async () => {
    const r = resolver({ sources: ['rdap'] });
    const c = await r.abuseContact('193.0.6.139');
    expect(c?.email).toBe('abuse@ripe.net');
    expect(c?.source).toBe('rdap');
    expect(c?.ref).toBe(`${srv.origin}/ripe/ip/193.0.6.139`);
    expect(Date.parse(c?.fetched_at ?? '')).not.toBeNaN();
  });

  it('ARIN: the abuse POC nested under the registrant, not the technical contact', async () => {
    const c = await resolver({ sources: ['rdap'] }).abuseContact('8.8.8.8');
    expect(c?.email).toBe('network-abuse@google.com');
    expect(c?.ref).toBe(`${srv.origin}/arin/ip/8.8.8.8`);
  });

  it('APNIC-style remarks fallback, domain lower-cased', async () => {
    const c = await resolver({ sources: ['rdap'] }).abuseContact('203.0.113.9');
    expect(c?.email).toBe('Abuse@example-isp.net');
  });

  it('an abuse entity without vCard is fetched through its self link (mailto: stripped)', async () => {
    const before = srv.count('/entity/IRT-LINKED');
    const c = await resolver({ sources: ['rdap'] }).abuseContact('198.51.100.7');
    expect(c?.email).toBe('irt@linked.example');
    expect(srv.count('/entity/IRT-LINKED')).toBe(before + 1);
  });

  it('IPv6 through the ipv6 bootstrap; IPv4-mapped IPv6 asked as IPv4', async () => {
    const r = resolver({ sources: ['rdap'] });
    expect((await r.abuseContact('2001:67c:2e8::2'))?.email).toBe('abuse@ripe.net');
    const n = srv.count('/ip/8.8.8.8');
    expect((await r.abuseContact('::ffff:8.8.8.8'))?.email).toBe('network-abuse@google.com');
    expect(srv.count('/ip/8.8.8.8')).toBe(n + 1);
  });

  it('IPv6 bounds written with a /128 suffix and no cidr0 are still read as the network', async () => {
    const doc = fixture('ripe-ipv6.json') as Record<string, unknown>;
    delete doc.cidr0_cidrs;
    srv.rdap.set('2001:67c:2e9::1', { kind: 'json', body: { ...doc, startAddress: '2001:67c:2e9::/128', endAddress: '2001:67c:2e9:ffff:ffff:ffff:ffff:ffff/128' } });
    const r = resolver({ sources: ['rdap'] });
    expect((await r.abuseContact('2001:67c:2e9::1'))?.email).toBe('abuse@ripe.net');
    expect((await r.abuseContact('2001:67c:2e9:1::1'))?.email).toBe('abuse@ripe.net');
    expect(srv.count('/ip/2001:67c:2e9')).toBe(1);
  });

  it('hostile e-mail values (header injection, markup) are rejected, not passed on', async () => {
    const c = await resolver({ sources: ['rdap'] }).abuseContact('192.0.2.66');
    expect(c).toBeNull();
  });
});

describe('reading hostile RDAP / RIPEstat documents', () => {
  it('garbage shapes give no contact and never throw', () => {
    const docs: unknown[] = [null, 42, 'x', [], {}, { entities: 'x' }, { entities: [null, 1, 'a', []] }, { entities: [{ roles: 'abuse' }] },
      { entities: [{ roles: ['abuse'], vcardArray: ['vcard', 'x'] }] }, { entities: [{ roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', 42]]] }] },
      { remarks: 'abuse@x.example' }, { remarks: [{ description: 'abuse@x.example' }] }, { startAddress: 'x', endAddress: 5, cidr0_cidrs: [{ v4prefix: 1, length: 'x' }] }];
    for (const d of docs) {
      const f = readRdapNetwork(d, '192.0.2.1');
      expect(f.email).toBeNull();
    }
    expect(readRdapNetwork(fixture('ripe-ip.json'), 'not-an-ip').email).toBeNull();
    for (const d of [null, {}, { status: 'error', data: { abuse_contacts: ['a@b.example'] } }, { data: { abuse_contacts: 'a@b.example' } }]) {
      expect(readRipestat(d).email).toBeNull();
    }
  });

  it('huge and deeply nested entity trees are walked within bounds', () => {
    let deep: Record<string, unknown> = { roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', 'deep@x.example']]] };
    for (let i = 0; i < 2000; i++) deep = { roles: ['registrant'], entities: [deep] };
    const wide = { entities: Array.from({ length: 100_000 }, () => ({ roles: ['technical'], vcardArray: ['vcard', [['email', {}, 'text', 'tech@x.example']]] })) };
    const t = Date.now();
    expect(readRdapNetwork({ entities: [deep] }, '192.0.2.1').email).toBeNull();
    expect(readRdapNetwork(wide, '192.0.2.1').email).toBeNull();
    expect(Date.now() - t).toBeLessThan(500);
    // Within the depth bound it is found.
    let shallow: Record<string, unknown> = { roles: ['abuse'], vcardArray: ['vcard', [['email', {}, 'text', 'ok@x.example']]] };
    for (let i = 0; i < 3; i++) shallow = { roles: ['registrant'], entities: [shallow] };
    expect(readRdapNetwork({ entities: [shallow] }, '192.0.2.1').email).toBe('ok@x.example');
  });

  it('cleanEmail accepts mailboxes only', () => {
    expect(cleanEmail('mailto:Abuse@Example.NET')).toBe('Abuse@example.net');
    for (const bad of ['abuse@x.example\r\nBcc: y@z.example', '"q"@x.example', '<a@x.example>', 'a@x', 'a@@x.example', 'a b@x.example', `${'a'.repeat(65)}@x.example`, 'a@-x.example', '']) {
      expect(cleanEmail(bad)).toBeNull();
    }
  });
});

describe('caching', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore({ dialect: 'sqlite', file: join(dir, `cache-${Date.now()}-${Math.random()}.db`) });
  });
  afterEach(async () => {
    await store.close();
  });

  it('one RDAP answer covers its whole network, in memory and in the store (with source and expiry)', async () => {
    const n0 = srv.count('/ip/193.0.');
    const r1 = resolver({ sources: ['rdap'], db: store.db });
    expect((await r1.abuseContact('193.0.6.139'))?.email).toBe('abuse@ripe.net');
    // Another address inside 193.0.0.0/21: no new request.
    expect((await r1.abuseContact('193.0.7.200'))?.email).toBe('abuse@ripe.net');
    expect(srv.count('/ip/193.0.')).toBe(n0 + 1);
    const rows = await store.db.selectFrom('lookup_cache').selectAll().where('kind', '=', 'rdap').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.key).toBe('4c1000000c10007ff');
    expect(rows[0]?.source).toBe(`${srv.origin}/ripe/ip/193.0.6.139`);
    expect(Date.parse(rows[0]?.expires_at ?? '') - Date.parse(rows[0]?.fetched_at ?? '')).toBe(7 * 86400 * 1000);
    // A fresh resolver on the same store answers from the store, for any address of the network.
    const r2 = resolver({ sources: ['rdap'], db: store.db });
    const c = await r2.abuseContact('193.0.0.1');
    expect(c?.email).toBe('abuse@ripe.net');
    expect(srv.count('/ip/193.0.')).toBe(n0 + 1);
    expect(r2.stats().storeHits).toBe(1);
    // Outside the network: asked again.
    await r2.abuseContact('193.0.8.1');
    expect(srv.count('/ip/193.0.')).toBe(n0 + 2);
  });

  it('an expired entry is not used', async () => {
    const r1 = resolver({ sources: ['rdap'], db: store.db, ttlSeconds: 0, negativeTtlSeconds: 0 });
    const n0 = srv.count('/ip/8.8.8.8');
    await r1.abuseContact('8.8.8.8');
    const r2 = resolver({ sources: ['rdap'], db: store.db });
    await r2.abuseContact('8.8.8.8');
    expect(srv.count('/ip/8.8.8.8')).toBe(n0 + 2);
  });

  it('RIPEstat answers are cached per address; "none" answers with the negative TTL', async () => {
    srv.ripestat.set('195.1.1.1', { kind: 'json', body: ripestatAnswer('195.1.1.1', []) });
    const r = resolver({ sources: ['ripestat'], db: store.db, negativeTtlSeconds: 60 });
    expect(await r.abuseContact('195.1.1.1')).toBeNull();
    const row = await store.db.selectFrom('lookup_cache').selectAll().where('kind', '=', 'ripestat').executeTakeFirstOrThrow();
    expect(row.key).toBe('195.1.1.1');
    expect(Date.parse(row.expires_at) - Date.parse(row.fetched_at)).toBe(60_000);
    const n = srv.count('resource=195.1.1.1');
    const r2 = resolver({ sources: ['ripestat'], db: store.db });
    expect(await r2.abuseContact('195.1.1.1')).toBeNull();
    expect(srv.count('resource=195.1.1.1')).toBe(n);
  });

  it('failures are not written to the store', async () => {
    srv.rdap.set('195.2.2.2', { kind: 'status', status: 500 });
    const r = resolver({ sources: ['rdap'], db: store.db });
    expect(await r.abuseContact('195.2.2.2')).toBeNull();
    const rows = await store.db.selectFrom('lookup_cache').selectAll().execute();
    expect(rows).toHaveLength(0);
    expect(r.stats().reasons.status).toBe(1);
  });

  it('concurrent lookups of one address share one request', async () => {
    srv.rdap.set('195.3.3.3', { kind: 'json', body: fixture('ripe-ip.json'), delayMs: 100 });
    const n0 = srv.count('/ip/195.3.3.3');
    const r = resolver({ sources: ['rdap'] });
    const all = await Promise.all(Array.from({ length: 10 }, () => r.abuseContact('195.3.3.3')));
    // ripe-ip.json names 193.0.0.0/21, which does not hold 195.3.3.3: cached for the address only.
    expect(all.every((c) => c?.email === 'abuse@ripe.net')).toBe(true);
    expect(srv.count('/ip/195.3.3.3')).toBe(n0 + 1);
  });
});

describe('sources and fallbacks', () => {
  it('RDAP 5xx → RIPEstat answers, source recorded', async () => {
    srv.rdap.set('195.4.4.4', { kind: 'status', status: 502 });
    srv.ripestat.set('195.4.4.4', { kind: 'json', body: ripestatAnswer('195.4.4.4', ['abuse@example-hoster.nl']) });
    const c = await resolver().abuseContact('195.4.4.4');
    expect(c).toMatchObject({ email: 'abuse@example-hoster.nl', source: 'ripestat' });
    expect(c?.ref).toBe(`${srv.origin}/data/abuse-contact-finder/data.json?resource=195.4.4.4`);
  });

  it('RDAP 404 (no such network) → RIPEstat', async () => {
    srv.ripestat.set('195.5.5.5', { kind: 'json', body: ripestatAnswer('195.5.5.5', ['noc@example.org']) });
    expect((await resolver().abuseContact('195.5.5.5'))?.source).toBe('ripestat');
  });

  it('rdapBase sends every query to one server (no bootstrap needed)', async () => {
    const c = await resolver({ bootstrap: undefined, rdapBase: `${srv.origin}/arin/`, sources: ['rdap'] }).abuseContact('8.8.8.8');
    expect(c?.email).toBe('network-abuse@google.com');
  });

  it('an address no bootstrap entry covers gives null without any request', async () => {
    const n = srv.requests.length;
    expect(await resolver({ sources: ['rdap'] }).abuseContact('100.64.0.1')).toBeNull();
    expect(srv.requests.length).toBe(n);
  });

  it('not an address → null, never throws', async () => {
    const r = resolver();
    for (const bad of ['', 'example.org', '1.2.3', '999.1.1.1', '::g', 'x'.repeat(10_000)]) {
      expect(await r.abuseContact(bad)).toBeNull();
    }
    // biome-ignore lint/suspicious/noExplicitAny: hostile caller
    expect(await r.abuseContact(undefined as any)).toBeNull();
  });
});

describe('failure modes never stall', () => {
  it('redirects are followed (RIR hand-off), loops are cut', async () => {
    srv.rdap.set('8.9.9.9', { kind: 'redirect', to: '/ripe/ip/193.0.6.139', status: 301 });
    const c = await resolver({ sources: ['rdap'] }).abuseContact('8.9.9.9');
    // The answer is for 193.0.0.0/21, which does not hold 8.9.9.9, so nothing is cached for it —
    // but the contact is read.
    expect(c?.email).toBe('abuse@ripe.net');
    expect(c?.ref).toBe(`${srv.origin}/ripe/ip/193.0.6.139`);

    srv.rdap.set('8.7.7.7', { kind: 'loop' });
    const r = resolver({ sources: ['rdap'] });
    const t = Date.now();
    expect(await r.abuseContact('8.7.7.7')).toBeNull();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(r.stats().reasons.redirect_loop).toBe(1);
  });

  it('too many redirects', async () => {
    srv.rdap.set('8.6.6.6', { kind: 'redirect', to: '/arin/ip/8.6.6.7' });
    srv.rdap.set('8.6.6.7', { kind: 'redirect', to: '/arin/ip/8.6.6.8' });
    srv.rdap.set('8.6.6.8', { kind: 'redirect', to: '/arin/ip/8.8.8.8' });
    const r = resolver({ sources: ['rdap'], maxRedirects: 2 });
    expect(await r.abuseContact('8.6.6.6')).toBeNull();
    expect(r.stats().reasons.too_many_redirects).toBe(1);
    expect((await resolver({ sources: ['rdap'], maxRedirects: 3 }).abuseContact('8.6.6.6'))?.email).toBe('network-abuse@google.com');
  });

  it('a slow server, a trickling body and a hanging one end at the timeout', async () => {
    srv.rdap.set('8.5.5.1', { kind: 'json', body: fixture('arin-ip.json'), delayMs: 5000 });
    srv.rdap.set('8.5.5.2', { kind: 'slow-body', body: fixture('arin-ip.json'), delayMs: 5000 });
    srv.rdap.set('8.5.5.3', { kind: 'hang' });
    const r = resolver({ sources: ['rdap'], timeoutMs: 300 });
    const t = Date.now();
    const out = await Promise.all(['8.5.5.1', '8.5.5.2', '8.5.5.3'].map((ip) => r.abuseContact(ip)));
    expect(out).toEqual([null, null, null]);
    expect(Date.now() - t).toBeLessThan(1200);
    expect(r.stats().reasons.timeout).toBe(3);
  });

  it('malformed JSON and a huge body are failures, read no further than the cap', async () => {
    srv.rdap.set('8.4.4.1', { kind: 'malformed' });
    srv.rdap.set('8.4.4.2', { kind: 'huge', bytes: 50 * 1024 * 1024 });
    srv.rdap.set('8.4.4.3', { kind: 'huge', bytes: 50 * 1024 * 1024, declare: true });
    const r = resolver({ sources: ['rdap'], maxBytes: 64 * 1024 });
    const t = Date.now();
    expect(await r.abuseContact('8.4.4.1')).toBeNull();
    expect(await r.abuseContact('8.4.4.2')).toBeNull();
    expect(await r.abuseContact('8.4.4.3')).toBeNull();
    expect(Date.now() - t).toBeLessThan(1500);
    expect(r.stats().reasons).toMatchObject({ bad_json: 1, too_large: 2 });
  });

  it('429 with Retry-After: the registry is left alone for that long', async () => {
    srv.rdap.set('8.3.3.1', { kind: 'status', status: 429, headers: { 'retry-after': '30' } });
    srv.rdap.set('8.3.3.2', { kind: 'json', body: fixture('arin-ip.json') });
    const r = resolver({ sources: ['rdap'] });
    expect(await r.abuseContact('8.3.3.1')).toBeNull();
    const n = srv.count('/ip/8.3.3.2');
    expect(await r.abuseContact('8.3.3.2')).toBeNull();
    expect(srv.count('/ip/8.3.3.2')).toBe(n);
    expect(r.stats().reasons).toMatchObject({ rate_limited: 1, backoff: 1 });
  });

  it('a failed lookup is remembered briefly (no hammering), then retried', async () => {
    srv.rdap.set('8.2.2.2', { kind: 'status', status: 503 });
    const r = resolver({ sources: ['rdap'], errorTtlSeconds: 1 });
    const n = srv.count('/ip/8.2.2.2');
    await r.abuseContact('8.2.2.2');
    await r.abuseContact('8.2.2.2');
    expect(srv.count('/ip/8.2.2.2')).toBe(n + 1);
  });
});

describe('limits', () => {
  it('concurrency bound: never more requests in flight than asked, and a batch finishes in bounded time', async () => {
    for (let i = 0; i < 40; i++) srv.rdap.set(`198.18.${i}.1`, { kind: 'json', body: fixture('arin-ip.json'), delayMs: 50 });
    srv.resetMaxInFlight();
    const r = resolver({ sources: ['rdap'], concurrency: 3, timeoutMs: 1000 });
    const t = Date.now();
    const out = await Promise.all(Array.from({ length: 40 }, (_, i) => r.abuseContact(`198.18.${i}.1`)));
    const took = Date.now() - t;
    expect(out.every((c) => c?.email === 'network-abuse@google.com')).toBe(true);
    expect(srv.maxInFlight).toBe(3);
    expect(took).toBeGreaterThanOrEqual(Math.floor(40 / 3) * 50 - 50);
    expect(took).toBeLessThan(5000);
  });

  it('rate limit: requests spaced across lookups; a slot past the deadline is not waited for', async () => {
    for (let i = 0; i < 6; i++) srv.rdap.set(`198.19.${i}.1`, { kind: 'json', body: fixture('arin-ip.json') });
    const r = resolver({ sources: ['rdap'], ratePerSecond: 10, concurrency: 6, timeoutMs: 1000 });
    const t = Date.now();
    const out = await Promise.all(Array.from({ length: 6 }, (_, i) => r.abuseContact(`198.19.${i}.1`)));
    expect(out.filter(Boolean)).toHaveLength(6);
    expect(Date.now() - t).toBeGreaterThanOrEqual(450);

    for (let i = 0; i < 6; i++) srv.rdap.set(`198.20.${i}.1`, { kind: 'json', body: fixture('arin-ip.json') });
    const slow = resolver({ sources: ['rdap'], ratePerSecond: 2, concurrency: 6, timeoutMs: 1200 });
    const t2 = Date.now();
    const out2 = await Promise.all(Array.from({ length: 6 }, (_, i) => slow.abuseContact(`198.20.${i}.1`)));
    // 2/s within 1.2 s: slots at 0, 0.5, 1.0 s; the rest give up at once rather than wait.
    expect(out2.filter(Boolean)).toHaveLength(3);
    expect(Date.now() - t2).toBeLessThan(1500);
    expect(slow.stats().reasons.rate_wait).toBe(3);
  });

  it('close() releases queued lookups at once', async () => {
    srv.rdap.set('198.21.0.1', { kind: 'hang' });
    srv.rdap.set('198.21.0.2', { kind: 'hang' });
    const r = createAbuseContactResolver({ bootstrap: bootDir, sources: ['rdap'], concurrency: 1, timeoutMs: 10_000, ratePerSecond: 0 });
    const p = [r.abuseContact('198.21.0.1'), r.abuseContact('198.21.0.2')];
    await new Promise((res) => setTimeout(res, 50));
    const t = Date.now();
    r.close();
    expect(await Promise.all(p)).toEqual([null, null]);
    expect(Date.now() - t).toBeLessThan(500);
    expect(await r.abuseContact('8.8.8.8')).toBeNull();
  });
});

describe('loopback-only scope (lab, tests, CI)', () => {
  it('urlAllowed / loopbackOnlyMode', () => {
    expect(loopbackOnlyMode({ EDGEWATCH_SCOPE: '127.0.0.0/8' })).toBe(true);
    expect(loopbackOnlyMode({ EDGEWATCH_SCOPE: '127.0.0.0/8, ::1' })).toBe(true);
    expect(loopbackOnlyMode({ EDGEWATCH_SCOPE: '127.0.0.0/8,192.0.2.0/24' })).toBe(false);
    expect(loopbackOnlyMode({ EDGEWATCH_SCOPE: '0.0.0.0/0' })).toBe(false);
    expect(loopbackOnlyMode({})).toBe(false);
    expect(urlAllowed('http://127.0.0.1:8080/x', true)).toBe(true);
    expect(urlAllowed('http://[::1]:8080/x', true)).toBe(true);
    expect(urlAllowed('https://rdap.db.ripe.net/ip/1.2.3.4', true)).toBe(false);
    expect(urlAllowed('http://0.0.0.0:80/', true)).toBe(false);
    expect(urlAllowed('http://127.0.0.1.nip.io/', true)).toBe(false);
    expect(urlAllowed('https://rdap.db.ripe.net/', false)).toBe(true);
  });

  it('a registry outside loopback is refused before connecting (0.0.0.0 would reach this host if it were not)', async () => {
    expect(loopbackOnlyMode()).toBe(true);
    const n = srv.requests.length;
    const r = resolver({ bootstrap: undefined, rdapBase: `http://0.0.0.0:${srv.port}/arin/`, ripestatBase: `http://0.0.0.0:${srv.port}` });
    expect(await r.abuseContact('8.8.8.8')).toBeNull();
    expect(srv.requests.length).toBe(n);
    expect(r.stats().reasons.refused).toBe(2);
    expect(r.stats().requests).toBe(0);
  });

  it('the check applies to every redirect target', async () => {
    const other = await startRdapServer();
    try {
      other.rdap.set('8.8.8.8', { kind: 'json', body: fixture('arin-ip.json') });
      srv.rdap.set('8.1.1.1', { kind: 'redirect', to: `${other.origin}/arin/ip/8.8.8.8` });
      const allow = (u: string) => !u.startsWith(other.origin);
      const out = await fetchJson(`${srv.origin}/arin/ip/8.1.1.1`, { deadline: Date.now() + 2000, maxBytes: 1 << 20, maxRedirects: 5, userAgent: 't', allow });
      expect(out).toMatchObject({ ok: false, reason: 'refused', url: `${other.origin}/arin/ip/8.8.8.8` });
      expect(other.requests).toHaveLength(0);
      const ok = await fetchJson(`${srv.origin}/arin/ip/8.1.1.1`, { deadline: Date.now() + 2000, maxBytes: 1 << 20, maxRedirects: 5, userAgent: 't' });
      expect(ok.ok).toBe(true);
      expect(other.requests).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('reverse DNS refuses the system resolver and non-loopback servers', () => {
    expect(() => createReverseDnsResolver({})).toThrow(/loopback-only/);
    expect(() => createReverseDnsResolver({ servers: ['127.0.0.1:5353', '0.0.0.0:53'] })).toThrow(/loopback-only/);
    createReverseDnsResolver({ servers: ['127.0.0.1:5353', '[::1]:53'] }).close();
  });
});

describe('options and bootstrap', () => {
  it('invalid options throw EW_RDAP_CONFIG', () => {
    const bad: AbuseContactOptions[] = [
      { rdapBase: 'ftp://x.example/' },
      { ripestatBase: 'not a url' },
      { timeoutMs: 0 },
      { ratePerSecond: -1 },
      // biome-ignore lint/suspicious/noExplicitAny: hostile config
      { sources: ['whois' as any] },
      { bootstrap: join(dir, 'missing') },
    ];
    for (const o of bad) {
      try {
        createAbuseContactResolver(o);
        expect.unreachable(JSON.stringify(o));
      } catch (e) {
        expect(isEdgewatchError(e, 'EW_RDAP_CONFIG')).toBe(true);
      }
    }
  });

  it('a broken bootstrap file names the file', () => {
    const f = join(dir, 'broken.json');
    writeFileSync(f, '{"services": [[["10.0.0.0/8"]]]}');
    expect(() => loadBootstrap(f)).toThrow(/broken\.json/);
    writeFileSync(f, '{"services": ');
    expect(() => loadBootstrap(f)).toThrow(/not valid JSON/);
  });

  it('the bundled IANA copy routes addresses to the right RIR', () => {
    const b = loadBootstrap();
    const base = (ip: string) => b.baseFor(parseAddr(ip) as NonNullable<ReturnType<typeof parseAddr>>);
    expect(base('193.0.6.139')).toBe('https://rdap.db.ripe.net/');
    expect(base('8.8.8.8')).toBe('https://rdap.arin.net/registry/');
    expect(base('1.1.1.1')).toBe('https://rdap.apnic.net/');
    expect(base('200.160.2.3')).toBe('https://rdap.lacnic.net/rdap/');
    expect(base('41.1.1.1')).toBe('https://rdap.afrinic.net/rdap/');
    expect(base('2001:67c:2e8::2')).toBe('https://rdap.db.ripe.net/');
    expect(base('2600::1')).toBe('https://rdap.arin.net/registry/');
    expect(base('10.0.0.1')).toBeNull();
    expect(b.info.files.map((f) => f.publication)).toEqual(['2019-06-07T19:00:02Z', '2019-11-06T19:00:04Z']);
  });

  it('a newer bootstrap in <data dir>/rdap/ wins over the bundled one', () => {
    const d = join(dir, 'data2');
    mkdirSync(join(d, 'rdap'), { recursive: true });
    writeFileSync(join(d, 'rdap', 'ipv4.json'), JSON.stringify({ publication: '2026-11-20T00:00:00Z', services: [[['8.0.0.0/8'], ['https://rdap.example.test/']]] }));
    const b = loadBootstrap(undefined, { data_dir: d });
    expect(b.baseFor(parseAddr('8.8.8.8') as NonNullable<ReturnType<typeof parseAddr>>)).toBe('https://rdap.example.test/');
    // ipv6 still from the bundled copy
    expect(b.info.files[1]?.publication).toBe('2019-11-06T19:00:04Z');
  });
});
