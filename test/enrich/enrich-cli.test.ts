/**
 * `edgewatch enrich` and `edgewatch data` as a user runs them (the real binary in a child
 * process): JSON Lines with IntelMQ names from a file and from stdin, bad lines reported by line
 * while the rest is processed, `--scan` into the store, imports (broken file: exit 2, file:line,
 * nothing changed), status, remove, and `data update` (refused offline; from a local mirror).
 * No packet is sent to any enriched address; the only servers are on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledPackage } from '../../src/enrich/geo/bundled.js';
import { manifestPath } from '../../src/enrich/geo/installed.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { getEnrichment } from '../../src/store/enrichment.js';
import { openStore } from '../../src/store/index.js';
import { tempDataDir } from './geo-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/edgewatch.js');

let data: { dir: string; cleanup: () => void };
beforeAll(() => {
  data = tempDataDir('ew-ecli-');
}, 120_000);
afterAll(() => data.cleanup());

function cli(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: data.dir,
      env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8', EDGEWATCH_DATA_DIR: data.dir, ...(opts.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => res({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

const jsonl = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('edgewatch enrich', () => {
  it('-l FILE -j: IntelMQ JSON Lines; bad lines named by line, the rest processed', async () => {
    const list = join(data.dir, 'list.txt');
    writeFileSync(list, ['# addresses', '8.8.8.8', 'vpn.example.org', '193.0.6.139,www.ripe.net', '', '[2001:67c:2e8:22::c100:68b]:443', '999.1.1.1', '127.0.0.1'].join('\n'));
    const r = await cli(['enrich', '-l', list, '-j']);
    expect(r.code, r.stderr).toBe(0);
    const ev = jsonl(r.stdout);
    expect(ev.map((e) => e['source.ip'])).toEqual(['8.8.8.8', '193.0.6.139', '2001:67c:2e8:22::c100:68b', '127.0.0.1']);
    expect(ev[0]).toMatchObject({ 'source.asn': 15169, 'source.geolocation.cc': 'US', 'source.network': '8.8.8.0/24', 'source.as_name': 'Google LLC' });
    expect(ev[1]).toMatchObject({ 'source.asn': 3333, 'source.fqdn': 'www.ripe.net', 'source.geolocation.cc': 'NL' });
    expect(ev[2]).toMatchObject({ 'source.port': 443, 'source.asn': 3333 });
    expect(ev[3]['source.asn']).toBeUndefined();
    expect(ev[0]['extra.data_sources']).toEqual([expect.stringMatching(/^ip-location-db\/geo-whois-asn-country@2\.3\.\d+ \(\d{4}-\d{2}-\d{2}\)$/), expect.stringMatching(/^ip-location-db\/asn@/)]);
    expect(r.stderr).toContain(`${list}:3: "vpn.example.org" is a host name`);
    expect(r.stderr).toContain(`${list}:7: not an IP address`);
    expect(r.stderr).toContain('enriched 4 address(es); 2 line(s) skipped');
  }, 60_000);

  it('reads a scan\'s JSON Lines from stdin and keeps record fields and certificate names', async () => {
    const rec = {
      ip: '9.9.9.9',
      port: 8443,
      host: null,
      status: 'ok',
      scheme: 'https',
      product: 'citrix-adc',
      version: '13.0-47.22',
      cve: { 'CVE-2019-19781': 'vulnerable' },
      tls: { subject_cn: 'gw.quad9.example', sans: ['gw.quad9.example'] },
      scanned_at: '2026-11-23T10:00:00.000Z',
    };
    const r = await cli(['enrich', '-l', '-', '-j'], { stdin: `${JSON.stringify(rec)}\n{"no":"ip"}\nnot json {\n` });
    expect(r.code).toBe(0);
    const [e] = jsonl(r.stdout);
    expect(e).toMatchObject({
      'source.ip': '9.9.9.9',
      'source.port': 8443,
      'source.asn': 19281,
      'time.source': '2026-11-23T10:00:00.000Z',
      'extra.product': 'citrix-adc',
      'extra.cve.CVE-2019-19781': 'vulnerable',
    });
    expect(e['extra.names']).toContain('gw.quad9.example');
    expect(r.stderr).toContain('(stdin):2: JSON line without an "ip" field');
    expect(r.stderr).toContain('(stdin):3:');
  }, 60_000);

  it('table output names the data and its date', async () => {
    const r = await cli(['enrich', '193.0.6.139']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/193\.0\.6\.139 +NL +AS3333/);
    expect(r.stdout).toMatch(/data: ip-location-db\/geo-whois-asn-country@2\.3\.\d+ \(\d{4}-\d{2}-\d{2}\)/);
  }, 60_000);

  it('--scan enriches a stored scan into the database, with organisations and lab identities', async () => {
    const db = join(data.dir, 'scan.db');
    const store = await openStore({ dialect: 'sqlite', file: db });
    const scan = await store.createScan({ label: 'cli-enrich', settings: {} });
    const base = { port: 443, host: null, reason: null, scheme: 'https', product: null, product_confidence: 'none', version: null, version_source: null, cve: {}, tls: null, evidence: [], scanned_at: '2026-11-23T10:00:00.000Z' };
    await store.insertRecords(scan.id, [
      { ...base, ip: '193.0.6.139', status: 'ok', seq: 0 } as ScanRecord,
      { ...base, ip: '127.40.0.9', status: 'ok', seq: 1 } as ScanRecord,
    ]);
    await store.close();
    const orgs = join(data.dir, 'orgs.yaml');
    writeFileSync(orgs, 'organisations:\n  - key: ripe\n    name: RIPE NCC\n    sector: internet\n    cidrs: [193.0.0.0/21]\n');
    expect((await cli(['org', 'import', orgs, '--db', db])).code).toBe(0);
    const ids = join(data.dir, 'ids.jsonl');
    writeFileSync(ids, '{"lab_ip":"127.40.0.9","public_ip":"8.8.8.8","org":"Lab Org","sector":"healthcare"}\n');
    const r = await cli(['enrich', '--scan', 'cli-enrich', '--db', db, '--lab-identities', ids]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 host\(s\) enriched, 1 attributed to an organisation, 0 not covered by the data, 1 lab demo identities/);
    const s2 = await openStore({ dialect: 'sqlite', file: db });
    try {
      expect(await getEnrichment(s2.db, '193.0.6.139')).toMatchObject({ cc: 'NL', attribution: { org_key: 'ripe', rule: 'cidr' } });
      expect(await getEnrichment(s2.db, '127.40.0.9')).toMatchObject({ asn: 15169, lab: { public_ip: '8.8.8.8' } });
    } finally {
      await s2.close();
    }
    // a mapping for a non-loopback address is refused, naming file and line
    writeFileSync(ids, '{"lab_ip":"10.1.1.1","public_ip":"8.8.8.8"}\n');
    const bad = await cli(['enrich', '--scan', 'cli-enrich', '--db', db, '--lab-identities', ids]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`EW_LAB_IDENTITY: ${ids}:1:`);
    const none = await cli(['enrich', '--scan', 'nope', '--db', db]);
    expect(none.stderr).toContain('EW_SCAN_NOT_FOUND');
  }, 120_000);

  it('usage errors', async () => {
    expect((await cli(['enrich'])).stderr).toContain('EW_CLI_USAGE');
    expect((await cli(['enrich', '--scan', 'x', '8.8.8.8'])).stderr).toContain('EW_ENRICH_INPUT');
    expect((await cli(['enrich', '-l', join(data.dir, 'missing.txt')])).stderr).toContain('EW_ENRICH_INPUT');
  }, 60_000);
});

describe('edgewatch data', () => {
  it('import: installs, wins, is listed; a broken file exits 2 naming file:line and changes nothing', async () => {
    const good = join(data.dir, 'nl-override.csv');
    writeFileSync(good, '8.8.8.0,8.8.8.255,NL\n');
    const r = await cli(['data', 'import', good, '--name', 'override', '--date', '2026-02-03']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('installed: override — country from ip-location-db CSV (country), 1 IPv4 + 0 IPv6 ranges');
    const before = readFileSync(manifestPath(data.dir), 'utf8');
    const bad = join(data.dir, 'broken.csv');
    writeFileSync(bad, '8.8.8.0,8.8.8.255,NL\n8.8.9.0,8.8.9.255,NL,extra\n');
    const b = await cli(['data', 'import', bad, '--name', 'override']);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`edgewatch: error EW_DATA_PARSE: ${bad}:2:`);
    expect(readFileSync(manifestPath(data.dir), 'utf8')).toBe(before);
    const e = await cli(['enrich', '8.8.8.8', '-j']);
    expect(jsonl(e.stdout)[0]['source.geolocation.cc']).toBe('NL');
    const st = await cli(['data', 'status', '-j']);
    const status = JSON.parse(st.stdout) as { sources: Array<{ id: string; origin: string; date: string; version: string }> };
    expect(status.sources[0]).toMatchObject({ id: 'import:override', origin: 'imported', date: '2026-02-03' });
    expect(status.sources.slice(-2).map((s) => s.origin)).toEqual(['bundled', 'bundled']);
    expect(status.sources.at(-1)?.version).toBe(bundledPackage('@ip-location-db/asn').version);
    const text = await cli(['data', 'status']);
    expect(text.stdout).toContain('import:override');
    expect(text.stdout).toContain('known errors');
    expect((await cli(['data', 'remove', 'override'])).code).toBe(0);
    expect(jsonl((await cli(['enrich', '8.8.8.8', '-j'])).stdout)[0]['source.geolocation.cc']).toBe('US');
    expect((await cli(['data', 'remove', 'override'])).stderr).toContain('EW_DATA_NOT_FOUND');
  }, 120_000);

  it('update: refused offline; installs from a local mirror; a failing mirror changes nothing', async () => {
    const off = await cli(['data', 'update'], { env: { EDGEWATCH_OFFLINE: '1' } });
    expect(off.code).toBe(2);
    expect(off.stderr).toContain('EW_DATA_OFFLINE');

    const v6start = 42540766411282592856903984951653826560n; // 2001:db8::
    const files: Record<string, Buffer> = {
      '/mirror/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb': readFileSync(join(bundledPackage('@ip-location-db/geo-whois-asn-country-mmdb').dir, 'geo-whois-asn-country-ipv4.mmdb')),
      '/mirror/asn/asn-ipv4-num.csv': Buffer.from('134744064,134744319,64999,Mirror Test AS\n'),
      '/mirror/asn/asn-ipv6-num.csv': Buffer.from(`${v6start},${v6start + 65535n},64998,Mirror v6\n`),
    };
    const requests: string[] = [];
    const server: Server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = files[req.url ?? ''];
      if (!body) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const before = readFileSync(manifestPath(data.dir), 'utf8');
      const fail = await cli(['data', 'update', '--from', `${origin}/missing`]);
      expect(fail.code).toBe(2);
      expect(fail.stderr).toContain('EW_DATA_UPDATE');
      expect(readFileSync(manifestPath(data.dir), 'utf8')).toBe(before);

      const ok = await cli(['data', 'update', '--from', `${origin}/mirror`]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('installed: update-country');
      expect(ok.stdout).toContain('installed: update-asn');
      expect(requests).toContain('/mirror/asn/asn-ipv6-num.csv');
      const e = jsonl((await cli(['enrich', '8.8.8.8', '2001:db8::1', '-j'])).stdout);
      expect(e[0]).toMatchObject({ 'source.asn': 64999, 'source.as_name': 'Mirror Test AS', 'source.geolocation.cc': 'US' });
      expect(e[1]).toMatchObject({ 'source.asn': 64998 });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 180_000);
});
