/**
 * nuclei interoperability: `import nuclei` (unknown fields ignored, broken lines reported by line
 * and the rest imported, other templates kept as evidence, idempotent re-runs) and the nuclei
 * JSONL writer, with a round trip export → import giving the same findings. Real SQLite store.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readLines } from '../../src/import/lines.js';
import { importNuclei, type KnownCheck } from '../../src/import/nuclei/index.js';
import { type NucleiCheckMeta, nucleiLines, nucleiText } from '../../src/report/nuclei.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { BIN, ROOT, runCli, tempDir } from '../e2e/helpers.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'nuclei-mixed.jsonl');
const dir = tempDir('ew-import-');
afterAll(async () => {
  await store?.close();
});

const KNOWN = new Map<string, KnownCheck>([
  ['netscaler-fingerprint', { kind: 'fingerprint', cves: [], product: 'citrix-adc' }],
  ['CVE-2019-19781', { kind: 'cve', cves: ['CVE-2019-19781'], product: 'citrix-adc' }],
  ['citrix-webshell-2023-v1-uiareas', { kind: 'compromise', cves: [], product: 'citrix-adc' }],
  ['citrix-webshell-2020-themes', { kind: 'compromise', cves: [], product: 'citrix-adc' }],
]);
const META: NucleiCheckMeta[] = [
  { id: 'netscaler-fingerprint', kind: 'fingerprint', name: 'NetScaler fingerprint', severity: 'info', cves: [], vendor: 'citrix', product: 'citrix-adc' },
  { id: 'CVE-2019-19781', kind: 'cve', name: 'Citrix ADC path traversal', severity: 'critical', cves: ['CVE-2019-19781'], vendor: 'citrix', product: 'citrix-adc' },
  { id: 'citrix-webshell-2023-v1-uiareas', kind: 'compromise', name: 'webshell v1', severity: 'critical', cves: [], vendor: 'citrix', product: 'citrix-adc' },
  { id: 'citrix-webshell-2020-themes', kind: 'compromise', name: 'webshell 2020', severity: 'critical', cves: [], vendor: 'citrix', product: 'citrix-adc' },
];

let store: Store;
let n = 0;
beforeEach(async () => {
  await store?.close();
  store = await openStore({ dialect: 'sqlite', file: join(dir, `db-${++n}.sqlite`) });
});

async function records(scanId: string): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  for await (const r of store.iterateRecords(scanId)) out.push(r);
  return out;
}

describe('import nuclei', () => {
  it('imports what it can: hosts, CVE findings, compromise, other templates as evidence; reports broken lines by number', async () => {
    const r = await importNuclei(store, FIXTURE, { label: 'nuclei day 1', known: KNOWN });
    expect(r.action).toBe('imported');
    expect(r.lines).toBe(12);
    expect(r.problems).toEqual([
      { line: 3, message: expect.stringMatching(/^not JSON: /) },
      { line: 6, message: expect.stringMatching(/^info: /) },
      { line: 7, message: 'no IP address (neither `ip` nor an address in host / matched-at)' },
      { line: 10, message: 'not a JSON object' },
      { line: 11, message: expect.stringMatching(/^template-id: /) },
    ]);
    expect(r).toMatchObject({ imported: 6, hosts: 3, findings: 3, compromised: 1, evidenceOnly: 2, problemCount: 5 });
    expect(r.scan).toMatchObject({ label: 'nuclei day 1', state: 'finished', total: 3, done: 3 });

    const recs = await records(r.scan.id);
    const a = recs.find((x) => x.ip === '127.0.0.10') as ScanRecord;
    expect(a).toMatchObject({
      port: 443,
      host: 'vpn.example.org',
      scheme: 'https',
      status: 'ok',
      product: 'citrix-adc',
      version: '13.0-47.22',
      version_source: 'nuclei',
      cve: { 'CVE-2019-19781': 'vulnerable' },
      compromised: 'true',
      indicators: [{ check: 'citrix-webshell-2023-v1-uiareas', id: 'config', status: 201, why: 'answered 201: the v1 webshell' }],
      scanned_at: '2026-11-20T10:20:00.000Z', // the latest result of the host
    });
    expect(a.evidence.map((e) => e.check)).toEqual(['CVE-2019-19781', 'citrix-adc-gateway-detect', 'citrix-webshell-2023-v1-uiareas']);
    expect(a.evidence[0]).toMatchObject({ request: 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', status: 200, extracted: { 'extracted-results': '13.0-47.22' } });
    expect(a.evidence[0].excerpt).toContain('[global]');

    const b = recs.find((x) => x.ip === '127.0.0.11') as ScanRecord;
    expect(b).toMatchObject({ port: 8443, host: null, scheme: 'https', cve: { 'CVE-2023-3519': 'vulnerable' }, compromised: 'unknown', product: null });

    const c = recs.find((x) => x.ip === '127.0.0.13') as ScanRecord;
    expect(c).toMatchObject({ port: 8080, scheme: 'http', product: 'log4j', cve: { 'CVE-2021-44228': 'vulnerable' } });
    // Host-controlled text is data: control characters escaped, nothing interpreted.
    expect(c.evidence[1]).toMatchObject({ check: "=cmd|' /C calc'!A0<script>", id: 'a\\x07b' });

    // The store's report sees the imported findings like a scan's.
    const rep = await store.report(r.scan.id);
    expect(rep.byCve['CVE-2019-19781']).toEqual([{ key: 'vulnerable', count: 1 }]);
    expect(rep.compromise.hosts.true).toBe(1);
  });

  it('is idempotent: the same content is not imported twice unless asked', async () => {
    const first = await importNuclei(store, FIXTURE, { known: KNOWN });
    const again = await importNuclei(store, FIXTURE, { known: KNOWN });
    expect(again).toMatchObject({ action: 'already', scan: { id: first.scan.id }, findings: 3 });
    expect(await store.listScans()).toHaveLength(1);
    const forced = await importNuclei(store, FIXTURE, { known: KNOWN, again: true });
    expect(forced.scan.id).not.toBe(first.scan.id);
    expect(await store.listScans()).toHaveLength(2);
  });

  it('an interrupted import (scan left running) is completed, not duplicated', async () => {
    const first = await importNuclei(store, FIXTURE, { known: KNOWN });
    await store.setScanState(first.scan.id, 'running');
    const r = await importNuclei(store, FIXTURE, { known: KNOWN });
    expect(r).toMatchObject({ action: 'completed', scan: { id: first.scan.id, state: 'finished', done: 3 } });
  });

  it('overlong lines are skipped with their number, without buffering them', async () => {
    const f = join(dir, 'long.jsonl');
    const ok = JSON.stringify({ 'template-id': 'CVE-2019-19781', ip: '127.0.0.20', port: '443' });
    writeFileSync(f, `${ok}\n${JSON.stringify({ 'template-id': 'x', ip: '127.0.0.21', response: 'A'.repeat(300_000) })}\n${ok.replace('.20', '.22')}`);
    const r = await importNuclei(store, f, { known: KNOWN, maxLineBytes: 64 * 1024 });
    expect(r.problems).toEqual([{ line: 2, message: expect.stringMatching(/^line longer than 65536 bytes \(\d+ bytes\): skipped$/) }]);
    expect(r.hosts).toBe(2);
  });

  it('a file with nothing importable is an error and writes nothing', async () => {
    const f = join(dir, 'junk.jsonl');
    writeFileSync(f, 'hello\n{"a":1}\n');
    await expect(importNuclei(store, f)).rejects.toMatchObject({ code: 'EW_IMPORT_EMPTY', message: expect.stringMatching(/line 1: not JSON/) });
    expect(await store.listScans()).toHaveLength(0);
    await expect(importNuclei(store, join(dir, 'absent.jsonl'))).rejects.toMatchObject({ code: 'EW_IMPORT_READ' });
  });

  it('hostile volume on one host stays within the store limits (CVEs, indicators, evidence capped)', async () => {
    const f = join(dir, 'many.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(JSON.stringify({ 'template-id': `CVE-2020-${10000 + i}`, ip: '127.0.0.30', port: '443' }));
    for (let i = 0; i < 100; i++) lines.push(JSON.stringify({ 'template-id': 'citrix-webshell-2020-themes', ip: '127.0.0.30', port: '443', 'matcher-name': `m${i}` }));
    writeFileSync(f, `${lines.join('\n')}\n`);
    const r = await importNuclei(store, f, { known: KNOWN });
    expect(r).toMatchObject({ hosts: 1, problemCount: 0, findings: 200, compromised: 1, evidenceDropped: 400 - 64 });
    const [rec] = await records(r.scan.id);
    expect(Object.keys(rec.cve)).toHaveLength(200);
    expect(rec.indicators).toHaveLength(64);
    expect(rec.evidence).toHaveLength(64);
  });

  it('mutated input never crashes the import: every line is imported or reported', async () => {
    const src = readFileSync(FIXTURE, 'utf8').split('\n').filter(Boolean);
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const out: string[] = [];
    for (let i = 0; i < 400; i++) {
      const b = Buffer.from(src[rnd(src.length)]);
      for (let k = rnd(4); k > 0; k--) b[rnd(b.length)] = rnd(256);
      out.push(b.toString('latin1').replace(/\n/g, ' '));
    }
    out.push(JSON.stringify({ 'template-id': 'CVE-2019-19781', ip: '127.0.0.40' }));
    const f = join(dir, 'fuzz.jsonl');
    writeFileSync(f, `${out.join('\n')}\n`, 'latin1');
    const r = await importNuclei(store, f, { known: KNOWN });
    expect(r.imported + r.problemCount).toBe(out.length);
    expect(r.hosts).toBeGreaterThan(0);
  });

  it('the line reader splits CRLF and LF, hashes the bytes, and bounds lines', async () => {
    const f = join(dir, 'crlf.txt');
    writeFileSync(f, 'a\r\nbb\n\nccc');
    const reader = readLines(f, 2);
    const got = [];
    for await (const l of reader) got.push(l);
    expect(got).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'bb' },
      { line: 3, text: '' },
      { line: 4, tooLong: true, bytes: 3 },
    ]);
    expect(reader.digest()).toMatch(/^[0-9a-f]{64}$/);
  });
});

function rec(over: Partial<ScanRecord>): ScanRecord {
  return {
    ip: '127.0.0.1',
    port: 443,
    host: null,
    status: 'ok',
    reason: null,
    scheme: 'https',
    product: 'citrix-adc',
    product_confidence: 'certain',
    version: null,
    version_source: null,
    cve: { 'CVE-2019-19781': 'patched' },
    compromised: 'false',
    indicators: [],
    tls: null,
    evidence: [],
    scanned_at: '2026-11-23T10:00:00.000Z',
    ...over,
  };
}

const SAMPLE: ScanRecord[] = [
  rec({
    ip: '127.0.1.1',
    version: '13.0-47.22',
    version_source: 'rdx_stamp',
    cve: { 'CVE-2019-19781': 'vulnerable' },
    why: { 'CVE-2019-19781': 'smb.conf readable (P1)' },
    evidence: [{ check: 'CVE-2019-19781', id: 'p1', request: 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', status: 200, matched: ['ok', 'smb_markers'] }],
  }),
  rec({
    ip: '127.0.1.2',
    host: 'gw.example.org',
    port: 8443,
    version: '12.1-55.18',
    compromised: 'true',
    indicators: [
      { check: 'citrix-webshell-2020-themes', id: 'tiny', request: 'GET /vpn/themes/imgs/tiny.php HTTP/1.1', status: 200, why: 'tiny.php answered 200' },
      { check: 'citrix-webshell-2023-v1-uiareas', id: 'info', request: 'GET /logon/LogonPoint/uiareas/info.php HTTP/1.1', status: 201, why: '201' },
    ],
  }),
  rec({ ip: '::1', port: 4443, cve: { 'CVE-2019-19781': 'vulnerable', 'CVE-2023-3519': 'vulnerable' }, scheme: 'http' }),
  rec({ ip: '127.0.1.4' }),
  rec({ ip: '127.0.1.5', status: 'unreachable', reason: 'refused', product: null, product_confidence: 'none', cve: {} }),
  rec({ ip: '127.0.1.6', cve: { 'CVE-2019-19781': 'mitigated' }, compromised: 'unknown' }),
];

/** The findings of a record set: vulnerable (host, CVE) pairs and (host, indicator) pairs. */
function findings(rs: ScanRecord[]): string[] {
  const out: string[] = [];
  for (const r of rs) {
    const h = `${r.ip}:${r.port}/${r.host ?? ''}/${r.scheme}`;
    for (const [c, s] of Object.entries(r.cve)) if (s === 'vulnerable') out.push(`${h} ${c} vulnerable version=${r.version}`);
    if (r.compromised === 'true') for (const i of r.indicators ?? []) out.push(`${h} compromised ${i.check}/${i.id} ${i.request}`);
  }
  return out.sort();
}

describe('nuclei output', () => {
  it('writes one nuclei line per finding in nuclei field names; hosts without findings write nothing', () => {
    const lines = SAMPLE.flatMap((r) => nucleiLines(r, META));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({
      'template-id': 'CVE-2019-19781',
      info: {
        name: 'Citrix ADC path traversal',
        severity: 'critical',
        description: 'smb.conf readable (P1)',
        classification: { 'cve-id': ['CVE-2019-19781'] },
        metadata: { vendor: 'citrix', product: 'citrix-adc' },
      },
      type: 'http',
      host: '127.0.1.1',
      ip: '127.0.1.1',
      port: '443',
      scheme: 'https',
      url: 'https://127.0.1.1',
      'matched-at': 'https://127.0.1.1/vpn/../vpns/cfg/smb.conf',
      timestamp: '2026-11-23T10:00:00.000Z',
      'extracted-results': ['13.0-47.22'],
      'matcher-status': true,
    });
    expect(lines[1]).toMatchObject({ 'template-id': 'citrix-webshell-2020-themes', host: 'gw.example.org', 'matched-at': 'https://gw.example.org:8443/vpn/themes/imgs/tiny.php', 'matcher-name': 'tiny' });
    expect(lines.slice(3).map((l) => [l['template-id'], l['matched-at']])).toEqual([
      ['CVE-2019-19781', 'http://[::1]:4443'],
      ['CVE-2023-3519', 'http://[::1]:4443'],
    ]);
  });

  it('round trip: export → import gives the same findings', async () => {
    const f = join(dir, 'export.jsonl');
    writeFileSync(f, nucleiText(SAMPLE, META));
    const r = await importNuclei(store, f, { known: KNOWN });
    expect(r.problemCount).toBe(0);
    const back = await records(r.scan.id);
    expect(findings(back)).toEqual(findings(SAMPLE));
    expect(back.find((x) => x.ip === '127.0.1.2')?.product).toBe('citrix-adc');
    // And re-exporting the imported scan gives the same nuclei findings again.
    const twice = nucleiText(back, META)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((l) => [l['template-id'], l['matched-at'], l['matcher-name'] ?? null]);
    expect(twice).toEqual(
      nucleiText(SAMPLE, META)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .map((l) => [l['template-id'], l['matched-at'], l['matcher-name'] ?? null]),
    );
  });
});

describe('edgewatch import nuclei (CLI)', () => {
  it('prints a summary, lists broken lines as file:line, exits 1 when lines were skipped; re-run is a no-op', async () => {
    const db = join(dir, 'cli.db');
    const r = await runCli(['import', 'nuclei', FIXTURE, '--db', db, '--label', 'from nuclei']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/nuclei-mixed\.jsonl:3: not JSON/);
    expect(r.stderr).toMatch(/nuclei-mixed\.jsonl:7: no IP address/);
    expect(r.stdout).toMatch(/imported into scan \S+ \(from nuclei\): 6 result\(s\) from 12 line\(s\) → 3 host\(s\), 3 vulnerable finding\(s\), 1 compromised host\(s\), 2 result\(s\) of other templates kept as evidence; 5 line\(s\) skipped/);
    const again = await runCli(['import', 'nuclei', FIXTURE, '--db', db, '-q']);
    expect(again.stdout).toMatch(/already imported as scan/);
    const scans = await runCli(['scans', '--db', db, '-j']);
    expect(scans.stdout.trim().split('\n')).toHaveLength(1);
    expect(BIN.startsWith(ROOT)).toBe(true);
  });
});
