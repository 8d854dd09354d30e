/**
 * Offline geo/AS lookups against the real bundled @ip-location-db data (known facts of the data,
 * no mocked lookups; nothing is ever sent to these addresses), the binary cache, the network
 * (prefix) computation, and imports: MMDB (GeoLite2-shaped, written by a test writer, and the
 * bundled package's own file), ip-location-db CSV, iptoasn TSV; broken files change nothing.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRangeTable, writeRangeTable } from '../../src/enrich/geo/binary.js';
import { bundledPackage, COUNTRY_PACKAGE, dateFromVersion } from '../../src/enrich/geo/bundled.js';
import { importGeoData, removeGeoData } from '../../src/enrich/geo/import.js';
import { openGeo } from '../../src/enrich/geo/index.js';
import { manifestPath, readManifest } from '../../src/enrich/geo/installed.js';
import { RangeTableBuilder, v4Network, v6Network } from '../../src/enrich/geo/ranges.js';
import type { GeoLookup } from '../../src/enrich/types.js';
import { isEdgewatchError } from '../../src/errors.js';
import { parseIPv4, parseIPv6 } from '../../src/scope/ip.js';
import { ensureSharedCache, tempDataDir } from './geo-helpers.js';
import { writeMmdb } from './geo-mmdb-writer.js';

let cache: string;
beforeAll(() => {
  cache = ensureSharedCache();
}, 120_000);

describe('bundled data: known facts', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await openGeo({ bundledOnly: true, cacheDir: cache, dataDir: '/nonexistent-ew-data' });
  });

  it('maps well-known networks to their AS, name, prefix and country', () => {
    expect(geo.lookup('8.8.8.8')).toEqual({ cc: 'US', asn: 15169, as_name: 'Google LLC', network: '8.8.8.0/24' });
    const cf = geo.lookup('1.1.1.1');
    expect(cf.asn).toBe(13335);
    expect(cf.as_name).toMatch(/cloudflare/i);
    expect(cf.network).toBe('1.1.1.0/24');
    const ripe = geo.lookup('193.0.6.139');
    expect(ripe.cc).toBe('NL');
    expect(ripe.asn).toBe(3333);
    expect(ripe.as_name).toMatch(/RIPE/);
    expect(ripe.network).toBe('193.0.0.0/21');
  });

  it('answers IPv6 and IPv4-mapped IPv6', () => {
    const ripe6 = geo.lookup('2001:67c:2e8:22::c100:68b');
    expect(ripe6).toMatchObject({ cc: 'NL', asn: 3333, network: '2001:67c:2e8::/48' });
    expect(geo.lookup('2001:4860:4860::8888')).toMatchObject({ asn: 15169, cc: 'US' });
    expect(geo.lookup('2606:4700:4700::1111')).toMatchObject({ asn: 13335 });
    expect(geo.lookup('::ffff:8.8.4.4')).toMatchObject({ asn: 15169, network: '8.8.4.0/24' });
  });

  it('gives empty facts for reserved space and for garbage, never throws', () => {
    const empty = { cc: null, asn: null, as_name: null, network: null };
    expect(geo.lookup('127.0.0.1')).toEqual(empty);
    expect(geo.lookup('10.1.2.3')).toEqual(empty);
    expect(geo.lookup('not an ip')).toEqual(empty);
    expect(geo.lookup('')).toEqual(empty);
    expect(geo.lookup('1.2.3.4.5')).toEqual(empty);
    expect(geo.lookup('fe80::1%eth0')).toEqual(empty);
  });

  it('records the bundled packages with version and date', () => {
    const pkg = bundledPackage(COUNTRY_PACKAGE);
    expect(geo.sources.map((s) => s.id)).toEqual(['ip-location-db/geo-whois-asn-country', 'ip-location-db/asn']);
    for (const s of geo.sources) {
      expect(s.origin).toBe('bundled');
      expect(s.version).toMatch(/^2\.3\.\d{10}$/);
      expect(s.date).toBe(dateFromVersion(s.version));
    }
    expect(geo.sources[0].version).toBe(pkg.version);
    expect(dateFromVersion('2.3.2026061719')).toBe('2026-06-17');
    expect(dateFromVersion('2.3.2026023119')).toBeNull();
    expect(dateFromVersion('1.0.0')).toBeNull();
  });

  it('answers 100,000 lookups quickly', () => {
    let x = 12345;
    let hits = 0;
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      if (geo.lookup(`${(x >>> 24) || 1}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${x & 255}`).asn !== null) hits++;
    }
    const ms = performance.now() - t0;
    expect(hits).toBeGreaterThan(50_000);
    expect(ms).toBeLessThan(5_000);
  });
});

describe('range index', () => {
  it('network is the largest CIDR inside the range that holds the address', () => {
    const n = (s: string) => parseIPv4(s);
    // aligned range: the range itself
    expect(v4Network(n('10.0.0.0'), n('10.0.255.255'), n('10.0.3.4'))).toBe('10.0.0.0/16');
    // 1.0.128.0 – 1.0.196.255 = /18 + /22 + /24
    expect(v4Network(n('1.0.128.0'), n('1.0.196.255'), n('1.0.130.5'))).toBe('1.0.128.0/18');
    expect(v4Network(n('1.0.128.0'), n('1.0.196.255'), n('1.0.193.1'))).toBe('1.0.192.0/22');
    expect(v4Network(n('1.0.128.0'), n('1.0.196.255'), n('1.0.196.200'))).toBe('1.0.196.0/24');
    expect(v4Network(0, 0xffffffff, n('200.1.1.1'))).toBe('0.0.0.0/0');
    expect(v4Network(n('9.9.9.9'), n('9.9.9.9'), n('9.9.9.9'))).toBe('9.9.9.9/32');
    const s = parseIPv6('2001:db8::') as bigint;
    const e = parseIPv6('2001:db8:0:2:ffff:ffff:ffff:ffff') as bigint;
    expect(v6Network(s, e, parseIPv6('2001:db8::1') as bigint)).toBe('2001:db8::/63');
    expect(v6Network(s, e, parseIPv6('2001:db8:0:2::9') as bigint)).toBe('2001:db8:0:2::/64');
  });

  it('binary tables round-trip; a foreign or stale file reads as null', () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const b = new RangeTableBuilder();
      b.addV4(10, 20, 64512, 'AS "quoted", name', null, 1);
      b.addV4(0, 5, 0, null, 'NL', 2);
      b.addV6(1n << 100n, (1n << 101n) - 1n, 65000, 'v6 net', 'DE', 3);
      const t = b.build('clip');
      const f = join(dir, 't.ewrt');
      writeRangeTable(f, t, 'k1');
      const back = readRangeTable(f, 'k1');
      expect(back).not.toBeNull();
      expect([...(back?.v4Start ?? [])]).toEqual([0, 10]);
      expect(back?.names).toEqual(['AS "quoted", name', 'v6 net']);
      expect(back?.v6StartHi[0]).toBe(1n << 36n);
      expect(readRangeTable(f, 'other-key')).toBeNull();
      writeFileSync(f, 'garbage');
      expect(readRangeTable(f)).toBeNull();
      expect(readRangeTable(join(dir, 'missing.ewrt'))).toBeNull();
    } finally {
      cleanup();
    }
  });

  it('a damaged cache file is not trusted (the shared cache or a rebuild answers)', async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      const cdir = join(dir, 'geo', 'cache');
      for (const f of readdirSync(cdir)) writeFileSync(join(cdir, f), 'EWGEORT1 damaged');
      const geo = await openGeo({ dataDir: dir });
      expect(geo.lookup('8.8.8.8')).toMatchObject({ asn: 15169, cc: 'US' });
      expect(geo.lookup('193.0.6.139').cc).toBe('NL');
    } finally {
      cleanup();
    }
  }, 120_000);
});

function errOf(fn: () => unknown): { code: string; file?: string; line?: number; message: string } {
  try {
    fn();
  } catch (e) {
    if (isEdgewatchError(e)) return { code: e.code, file: e.file, line: e.line, message: e.message };
    throw e;
  }
  throw new Error('expected an error');
}

describe('data import', () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDataDir());
  });
  afterAll(() => cleanup());

  it('ip-location-db country CSV wins over the bundled data; the rest still comes from bundled', async () => {
    const f = join(dir, 'geo-country-ipv4.csv');
    writeFileSync(f, '8.8.8.0,8.8.8.255,DE\n9.9.9.0,9.9.9.255,ch\n');
    const r = importGeoData([f], { dataDir: dir, name: 'my-country', date: '2026-01-02' });
    expect(r.entries.map((e) => e.kind)).toEqual(['country']);
    const geo = await openGeo({ dataDir: dir });
    expect(geo.lookup('8.8.8.8')).toMatchObject({ cc: 'DE', asn: 15169 });
    expect(geo.lookup('9.9.9.9').cc).toBe('CH');
    expect(geo.lookup('8.8.4.4').cc).toBe('US');
    expect(geo.sources[0]).toMatchObject({ id: 'import:my-country', kind: 'country', origin: 'imported', date: '2026-01-02' });
    expect(geo.sources[0].version).toMatch(/^sha256:[0-9a-f]{16}$/);
  });

  it('ip-location-db ASN CSV (numeric bounds, IPv4 + IPv6 files as one source, quoted names)', async () => {
    const v4 = join(dir, 'asn-ipv4-num.csv');
    const v6 = join(dir, 'asn-ipv6-num.csv');
    writeFileSync(v4, `${parseIPv4('8.8.8.0')},${parseIPv4('8.8.8.127')},64500,"Example, ""Quoted"" Net"\n`);
    const s6 = parseIPv6('2001:db8::') as bigint;
    writeFileSync(v6, `${s6},${s6 + (1n << 96n) - 1n},64501,Doc Net v6\n`);
    importGeoData([v4, v6], { dataDir: dir, name: 'my-asn' });
    const geo = await openGeo({ dataDir: dir });
    expect(geo.lookup('8.8.8.8')).toEqual({ cc: 'DE', asn: 64500, as_name: 'Example, "Quoted" Net', network: '8.8.8.0/25' });
    expect(geo.lookup('8.8.8.200')).toMatchObject({ asn: 15169, network: '8.8.8.0/24' }); // outside the import: bundled
    expect(geo.lookup('2001:db8::5')).toMatchObject({ asn: 64501, as_name: 'Doc Net v6', network: '2001:db8::/32' });
  });

  it('iptoasn TSV (gzip) answers AS and country; AS 0 "Not routed" rows are left out', async () => {
    const f = join(dir, 'ip2asn-combined.tsv.gz');
    const tsv = [
      '1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET',
      '1.0.1.0\t1.0.3.255\t0\tNone\tNot routed',
      '203.0.113.0\t203.0.113.255\t64496\tnl\tDOC-NET',
      '2001:db8:1::\t2001:db8:1:ffff:ffff:ffff:ffff:ffff\t64497\tBE\tDOC6',
    ].join('\n');
    writeFileSync(f, gzipSync(tsv));
    const r = importGeoData([f], { dataDir: dir });
    expect(r.entries.map((e) => `${e.name}:${e.kind}`)).toEqual(['ip2asn-combined:asn', 'ip2asn-combined:country']);
    const geo = await openGeo({ dataDir: dir });
    expect(geo.lookup('203.0.113.7')).toEqual({ cc: 'NL', asn: 64496, as_name: 'DOC-NET', network: '203.0.113.0/24' });
    expect(geo.lookup('2001:db8:1::1')).toMatchObject({ cc: 'BE', asn: 64497 });
    // not routed in the import: the bundled data answers (AS 13335 owns 1.0.0.0/24 only)
    expect(geo.lookup('1.0.2.1').asn).not.toBe(0);
  });

  it('GeoLite2-Country and GeoLite2-ASN shaped MMDB files (kind from the database type)', async () => {
    const cf = join(dir, 'GeoLite2-Country.mmdb');
    writeFileSync(
      cf,
      writeMmdb({
        databaseType: 'GeoLite2-Country',
        ipVersion: 6,
        buildEpoch: Date.UTC(2026, 4, 5) / 1000,
        networks: [
          { cidr: '192.0.2.0/24', record: { country: { iso_code: 'SE', names: { en: 'Sweden' } }, registered_country: { iso_code: 'SE' } } },
          { cidr: '2001:db8:2::/48', record: { registered_country: { iso_code: 'FI' } } },
        ],
      }),
    );
    const af = join(dir, 'GeoLite2-ASN.mmdb');
    writeFileSync(
      af,
      writeMmdb({
        databaseType: 'GeoLite2-ASN',
        ipVersion: 6,
        networks: [
          { cidr: '192.0.2.0/25', record: { autonomous_system_number: 64511, autonomous_system_organization: 'TEST-AS' } },
          { cidr: '192.0.2.128/25', record: { autonomous_system_number: 64511, autonomous_system_organization: 'TEST-AS' } },
        ],
      }),
    );
    const rc = importGeoData([cf], { dataDir: dir });
    expect(rc.entries[0]).toMatchObject({ kind: 'country', format: 'mmdb', date: '2026-05-05', name: 'GeoLite2-Country' });
    expect(rc.entries[0].version).toContain('GeoLite2-Country build 2026-05-05');
    importGeoData([af], { dataDir: dir });
    const geo = await openGeo({ dataDir: dir });
    expect(geo.lookup('192.0.2.200')).toEqual({ cc: 'SE', asn: 64511, as_name: 'TEST-AS', network: '192.0.2.128/25' });
    expect(geo.lookup('2001:db8:2::9').cc).toBe('FI');
    expect(geo.sources.slice(0, 2).map((s) => s.id)).toEqual(['import:GeoLite2-ASN', 'import:GeoLite2-Country']);
  });

  it('the bundled package MMDB itself imports (full tree walk) and agrees with the bundled answers', async () => {
    const { dir: d2, cleanup: c2 } = tempDataDir();
    try {
      const src = join(bundledPackage(COUNTRY_PACKAGE).dir, 'geo-whois-asn-country-ipv4.mmdb');
      const f = join(d2, 'copy.mmdb');
      copyFileSync(src, f);
      const r = importGeoData([f], { dataDir: d2 });
      expect(r.entries[0].kind).toBe('country');
      expect(r.v4).toBeGreaterThan(100_000);
      const geo = await openGeo({ dataDir: d2 });
      expect(geo.sources[0].id).toBe('import:copy');
      expect(geo.lookup('193.0.6.139').cc).toBe('NL');
      expect(geo.lookup('8.8.8.8').cc).toBe('US');
    } finally {
      c2();
    }
  }, 120_000);

  it('re-importing a name replaces it; data remove deletes it', async () => {
    const f = join(dir, 'again.csv');
    writeFileSync(f, '198.51.100.0,198.51.100.255,PL\n');
    importGeoData([f], { dataDir: dir, name: 'again' });
    writeFileSync(f, '198.51.100.0,198.51.100.255,PT\n');
    importGeoData([f], { dataDir: dir, name: 'again' });
    expect(readManifest(dir).filter((e) => e.name === 'again')).toHaveLength(1);
    expect((await openGeo({ dataDir: dir })).lookup('198.51.100.1').cc).toBe('PT');
    removeGeoData(dir, 'again');
    const bundled = (await openGeo({ dataDir: dir, bundledOnly: true })).lookup('198.51.100.1').cc;
    expect(bundled).not.toBe('PT');
    expect((await openGeo({ dataDir: dir })).lookup('198.51.100.1').cc).toBe(bundled);
    expect(existsSync(join(dir, 'geo', 'again.ewrt'))).toBe(false);
    expect(errOf(() => removeGeoData(dir, 'again')).code).toBe('EW_DATA_NOT_FOUND');
  });

  it('broken files name file and line, and change nothing', () => {
    const before = readFileSync(manifestPath(dir), 'utf8');
    const filesBefore = readdirSync(join(dir, 'geo')).sort();
    const cases: Array<[string, string, string, number | undefined]> = [
      ['bad-addr.csv', '8.8.8.0,8.8.8.255,DE\n8.8.9.0,8.8.9.999,DE\n', 'EW_DATA_PARSE', 2],
      ['bad-order.csv', '\n8.8.8.0,8.8.8.255,DE\n8.8.9.9,8.8.9.0,DE\n', 'EW_DATA_PARSE', 3],
      ['bad-cc.csv', '8.8.8.0,8.8.8.255,Germany\n', 'EW_DATA_PARSE', 1],
      ['overlap.csv', '8.8.8.0,8.8.8.255,DE\n8.8.8.128,8.8.9.255,NL\n', 'EW_DATA_PARSE', 2],
      ['bad-asn.csv', '8.8.8.0,8.8.8.255,AS-x,Foo\n', 'EW_DATA_PARSE', 1],
      ['bad-quote.csv', '8.8.8.0,8.8.8.255,15169,"Google\n', 'EW_DATA_PARSE', 1],
      ['ctl.csv', '8.8.8.0,8.8.8.255,15169,Goo\u0007gle\n', 'EW_DATA_PARSE', 1],
      ['mixed.csv', '8.8.8.0,2001:db8::,15169,Google\n', 'EW_DATA_PARSE', 1],
      ['fields.csv', '8.8.8.0,8.8.8.255,DE\n8.8.9.0,8.8.9.255\n', 'EW_DATA_PARSE', 2],
      ['bad.tsv', '1.0.0.0\t1.0.0.255\t13335\tUS\tX\n1.0.1.0\t1.0.1.255\t13335\tUS\n', 'EW_DATA_PARSE', 2],
      ['long.csv', `8.8.8.0,8.8.8.255,1,${'x'.repeat(5000)}\n`, 'EW_DATA_PARSE', 1],
      ['unknown.txt', 'hello world\n', 'EW_DATA_FORMAT', undefined],
      ['empty.csv', '', 'EW_DATA_FORMAT', undefined],
    ];
    for (const [name, text, code, line] of cases) {
      const f = join(dir, name);
      writeFileSync(f, text);
      const e = errOf(() => importGeoData([f], { dataDir: dir }));
      expect(e.code, name).toBe(code);
      expect(e.file, name).toBe(f);
      expect(e.line, name).toBe(line);
    }
    // kind mismatch, damaged mmdb, missing file, gzip garbage
    const cc = join(dir, 'cc.csv');
    writeFileSync(cc, '8.8.8.0,8.8.8.255,DE\n');
    expect(errOf(() => importGeoData([cc], { dataDir: dir, kind: 'asn' })).code).toBe('EW_DATA_FORMAT');
    const mm = join(dir, 'broken.mmdb');
    const good = writeMmdb({ databaseType: 'GeoLite2-ASN', ipVersion: 4, networks: [{ cidr: '192.0.2.0/24', record: { autonomous_system_number: 1 } }] });
    const broken = Buffer.from(good);
    broken.writeUIntBE(0xfffff0, 0, 3); // a tree record pointing past the data section
    writeFileSync(mm, broken);
    expect(errOf(() => importGeoData([mm], { dataDir: dir })).code).toMatch(/EW_DATA_(PARSE|FORMAT)/);
    expect(errOf(() => importGeoData([join(dir, 'nope.csv')], { dataDir: dir })).code).toBe('EW_DATA_READ');
    const gz = join(dir, 'bad.csv.gz');
    writeFileSync(gz, Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    expect(errOf(() => importGeoData([gz], { dataDir: dir })).code).toBe('EW_DATA_PARSE');
    expect(errOf(() => importGeoData([cc], { dataDir: dir, name: '../evil' })).code).toBe('EW_CLI_USAGE');
    // nothing changed
    expect(readFileSync(manifestPath(dir), 'utf8')).toBe(before);
    expect(readdirSync(join(dir, 'geo')).sort()).toEqual(filesBefore);
  });

  it('a damaged manifest is an error naming it', async () => {
    const { dir: d3, cleanup: c3 } = tempDataDir();
    try {
      writeFileSync(manifestPath(d3), '{"version":1,"sources":[{"name":"x"}]}');
      await expect(openGeo({ dataDir: d3 })).rejects.toMatchObject({ code: 'EW_DATA_MANIFEST', file: manifestPath(d3) });
      expect(await openGeo({ dataDir: d3, bundledOnly: true })).toBeTruthy();
    } finally {
      c3();
    }
  });
});
