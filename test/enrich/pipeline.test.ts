/**
 * The enrichment pipeline end to end on real parts: the bundled geo data, a real SQLite store
 * with a scan and imported organisations, the real reverse-DNS and RDAP resolvers against local
 * servers on 127.0.0.1 (one slow/hanging answer included: it must not stall the run), and a lab
 * identities file. Nothing is sent to the enriched addresses.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeo } from '../../src/enrich/geo/index.js';
import { parseLabIdentities } from '../../src/enrich/geo/lab-identities.js';
import { enrichmentToIntelMq } from '../../src/enrich/intelmq.js';
import { importOrganisations } from '../../src/enrich/org/index.js';
import { enrichAddresses, enrichScan, parseEnrichPipelineConfig } from '../../src/enrich/pipeline.js';
import type { Enrichment, GeoLookup } from '../../src/enrich/types.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { countEnrichments, getEnrichment } from '../../src/store/enrichment.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { ensureSharedCache, tempDataDir } from './geo-helpers.js';
import { type DnsTestServer, startDnsServer } from './servers/dns-server.js';
import { fixture, type RdapTestServer, startRdapServer } from './servers/rdap-server.js';

function rec(seq: number, ip: string, opts: Partial<ScanRecord> = {}): ScanRecord {
  return {
    ip,
    port: 443,
    host: null,
    status: 'ok',
    reason: null,
    scheme: 'https',
    product: 'citrix-adc',
    product_confidence: 'certain',
    version: '13.0-47.22',
    version_source: 'rdx_stamp',
    cve: { 'CVE-2019-19781': 'vulnerable' },
    tls: null,
    evidence: [],
    scanned_at: '2026-11-23T10:00:00.000Z',
    seq,
    ...opts,
  };
}

function tls(cn: string, sans: string[]): ScanRecord['tls'] {
  return { version: 'TLSv1.2', cipher: null, subject_cn: cn, subject: `CN=${cn}`, issuer: null, sans, serial: null, not_after: null, key_bits: 2048, self_signed: false, sha256: null };
}

let geo: GeoLookup;
let data: { dir: string; cleanup: () => void };
beforeAll(async () => {
  ensureSharedCache();
  data = tempDataDir('ew-pipe-');
  geo = await openGeo({ dataDir: data.dir });
}, 120_000);
afterAll(() => data.cleanup());

describe('enrichAddresses (offline)', () => {
  it('streams in input order, reports bad addresses as items, keeps names', async () => {
    const out: Array<Enrichment | { error: string }> = [];
    const input = [
      { ip: '8.8.8.8', names: [{ name: 'dns.google', source: 'target' as const }] },
      { ip: 'not-an-ip' },
      { ip: ' 193.0.6.139 ' },
      { ip: '2001:67C:2E8:22::C100:68B' },
    ];
    for await (const e of enrichAddresses(input, { geo, now: () => 'T' })) out.push(e);
    expect(out).toHaveLength(4);
    const [a, b, c, d] = out as [Enrichment, { error: string }, Enrichment, Enrichment];
    expect(a).toMatchObject({ ip: '8.8.8.8', asn: 15169, cc: 'US', names: [{ name: 'dns.google', source: 'target' }], enriched_at: 'T', lab: null });
    expect(a.attribution).toMatchObject({ rule: 'none', org_key: null, group: 'AS15169|-' });
    expect(b.error).toMatch(/not an IP/);
    expect(c).toMatchObject({ ip: '193.0.6.139', cc: 'NL', asn: 3333 });
    expect(d.ip).toBe('2001:67c:2e8:22::c100:68b');
  });

  it('maps to IntelMQ field names', async () => {
    const it = enrichAddresses([{ ip: '193.0.6.139', names: [{ name: 'www.ripe.net', source: 'sni' }] }], { geo });
    const e = (await it.next()).value as Enrichment;
    const ev = enrichmentToIntelMq(e, { sources: geo.sources });
    expect(ev).toMatchObject({
      'source.ip': '193.0.6.139',
      'source.asn': 3333,
      'source.network': '193.0.0.0/21',
      'source.geolocation.cc': 'NL',
      'source.fqdn': 'www.ripe.net',
      'extra.attribution_rule': 'none',
    });
    expect(String(ev['source.as_name'])).toMatch(/RIPE/);
    expect(ev['extra.data_sources']).toEqual(geo.sources.map((s) => `${s.id}@${s.version} (${s.date})`));
  });

  it('config keys are validated', () => {
    expect(parseEnrichPipelineConfig({ concurrency: 8, rdns: { enabled: true } }).concurrency).toBe(8);
    expect(() => parseEnrichPipelineConfig({ concurrency: 0 })).toThrow(/enrich\.concurrency/);
    expect(() => parseEnrichPipelineConfig({ batch_size: 'x' })).toThrow(expect.objectContaining({ code: 'EW_ENRICH_OPTION' }));
  });
});

describe('lab identities', () => {
  it('accepts loopback lab addresses only, naming file and line', () => {
    const ok = parseLabIdentities('{"lab_ip":"127.20.0.5","public_ip":"193.0.6.139","org":"Ziekenhuis Noord","sector":"healthcare","domains":["zhn.example"]}\n', 'ids.jsonl');
    expect(ok.get('127.20.0.5')).toMatchObject({ public_ip: '193.0.6.139', org: 'Ziekenhuis Noord', sector: 'healthcare' });
    const bad = (text: string) => {
      try {
        parseLabIdentities(text, 'ids.jsonl');
      } catch (e) {
        return e as { code: string; line: number; message: string };
      }
      throw new Error('expected an error');
    };
    expect(bad('\n{"lab_ip":"8.8.8.8","public_ip":"193.0.6.139"}\n')).toMatchObject({ code: 'EW_LAB_IDENTITY', line: 2 });
    expect(bad('{"lab_ip":"::1","public_ip":"193.0.6.139"}')).toMatchObject({ code: 'EW_LAB_IDENTITY', line: 1 });
    expect(bad('{"lab_ip":"127.0.0.1","public_ip":"127.0.0.2"}')).toMatchObject({ code: 'EW_LAB_IDENTITY' });
    expect(bad('{"lab_ip":"127.0.0.1"')).toMatchObject({ code: 'EW_LAB_IDENTITY', line: 1 });
    expect(bad('{"lab_ip":"127.0.0.1","public_ip":"x"}').message).toMatch(/public_ip/);
  });
});

describe('enrichScan on a real store', () => {
  let store: Store;
  let scanId: string;
  let dns: DnsTestServer;
  let rdap: RdapTestServer;
  beforeAll(async () => {
    store = await openStore({ dialect: 'sqlite', file: join(data.dir, 'ew.db') });
    const scan = await store.createScan({ label: 'pipeline', settings: {} });
    scanId = scan.id;
    await store.insertRecords(scanId, [
      rec(0, '8.8.8.8', { host: 'dns.google', tls: tls('dns.google', ['dns.google', '*.dns.google']) }),
      rec(1, '193.0.6.139', { tls: tls('www.ripe.net', ['www.ripe.net']) }),
      rec(2, '10.0.0.1', { status: 'unreachable', reason: 'refused', product: null, cve: {} }),
      rec(3, '8.8.8.8', { port: 8443, host: 'other.google', tls: null }),
      rec(4, '127.20.0.5', { tls: tls('vpn.zhn.example', ['vpn.zhn.example']) }),
      rec(5, '9.9.9.9'),
    ]);
    const orgs = join(data.dir, 'orgs.yaml');
    writeFileSync(
      orgs,
      [
        'organisations:',
        '  - key: ripe',
        '    name: RIPE NCC',
        '    sector: internet',
        '    cidrs: [193.0.0.0/21]',
        '  - key: google',
        '    name: Google',
        '    sector: tech',
        '    asns: [15169]',
        '  - key: zhn',
        '    name: Ziekenhuis Noord',
        '    sector: healthcare',
        '    domains: [zhn.example]',
      ].join('\n'),
    );
    await importOrganisations(store.db, orgs);
    dns = await startDnsServer({
      '193.0.6.139': { kind: 'name', names: ['www.ripe.net'] },
      '8.8.8.8': { kind: 'drop' },
      '9.9.9.9': { kind: 'name', names: ['dns9.quad9.net'], delayMs: 50 },
    });
    rdap = await startRdapServer();
    rdap.rdap.set('193.0.6.139', { kind: 'json', body: fixture('ripe-ip.json') });
    rdap.rdap.set('8.8.8.8', { kind: 'hang' });
    rdap.rdap.set('9.9.9.9', { kind: 'malformed' });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await dns?.close();
    await rdap?.close();
  });

  it('offline: every observed host once, names merged, attribution explained, lab identity used', async () => {
    const ids = join(data.dir, 'ids.jsonl');
    writeFileSync(ids, '{"lab_ip":"127.20.0.5","public_ip":"193.0.6.1","org":"Ziekenhuis Noord","sector":"healthcare","domains":["zhn.example"]}\n');
    const res = await enrichScan(store, scanId, { geo, labIdentities: ids, batchSize: 2 });
    expect(res).toMatchObject({ hosts: 4, enriched: 4, lab: 1 });
    expect(res.attributed).toBe(3); // ripe (cidr), google (asn), zhn (lab: domain / cidr of public address)
    expect(await countEnrichments(store.db)).toBe(4);
    expect(await getEnrichment(store.db, '10.0.0.1')).toBeUndefined();

    const g = await getEnrichment(store.db, '8.8.8.8');
    expect(g).toMatchObject({ asn: 15169, cc: 'US', network: '8.8.8.0/24', attribution: { org_key: 'google', rule: 'asn', org_name: 'Google', sector: 'tech' } });
    const names = g?.names.map((n) => `${n.source}:${n.name}`) ?? [];
    expect(names).toEqual(expect.arrayContaining(['target:dns.google', 'target:other.google']));
    expect(g?.sources.map((s) => s.id)).toEqual(geo.sources.map((s) => s.id));

    const r = await getEnrichment(store.db, '193.0.6.139');
    expect(r?.attribution).toMatchObject({ org_key: 'ripe', rule: 'cidr', matched: '193.0.0.0/21' });
    expect(r?.attribution.why).toContain('193.0.0.0/21');

    const lab = await getEnrichment(store.db, '127.20.0.5');
    expect(lab).toMatchObject({ cc: 'NL', asn: 3333, lab: { public_ip: '193.0.6.1' } });
    expect(lab?.attribution.org_key).not.toBeNull();

    const q = await getEnrichment(store.db, '9.9.9.9');
    expect(q?.attribution).toMatchObject({ rule: 'none', org_key: null, group: 'AS19281|-' });
  }, 60_000);

  it('rDNS and RDAP against local servers: answers used, a dropped or hanging answer does not stall', async () => {
    const t0 = Date.now();
    const res = await enrichScan(store, scanId, {
      geo,
      rdns: { servers: [dns.address], timeoutMs: 300, tries: 1 },
      abuse: { rdapBase: `${rdap.origin}/ripe`, sources: ['rdap'], timeoutMs: 500, ratePerSecond: 100 },
      lookupDeadlineMs: 2000,
      concurrency: 4,
    });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(res.enriched).toBe(4);
    const r = await getEnrichment(store.db, '193.0.6.139');
    expect(r?.rdns).toBe('www.ripe.net');
    expect(r?.abuse).toMatchObject({ email: 'abuse@ripe.net', source: 'rdap' });
    const g = await getEnrichment(store.db, '8.8.8.8');
    expect(g?.rdns).toBeNull();
    expect(g?.abuse).toBeNull();
    const q = await getEnrichment(store.db, '9.9.9.9');
    expect(q?.rdns).toBe('dns9.quad9.net');
    expect(q?.names.some((n) => n.source === 'ptr' && n.name === 'dns9.quad9.net')).toBe(true);
    expect(q?.abuse).toBeNull();
    // no lookups for the lab host (no identities given now, so it is a plain loopback address),
    // and never any for unreachable targets
    expect(dns.queries.has('1.0.0.10.in-addr.arpa')).toBe(false);
  }, 60_000);

  it('unknown scan id is a typed error', async () => {
    await expect(enrichScan(store, 'nope', { geo })).rejects.toMatchObject({ code: 'EW_STORE_SCAN_NOT_FOUND' });
  });
});
