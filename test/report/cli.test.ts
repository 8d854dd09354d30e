/**
 * The real CLI (bin/edgewatch.js, a child process) over the known store: `report` in every format
 * with TLP, versions and data sources, the trend between scans, the host view, `export` to a file,
 * and option errors. Hostile names are escaped in table and Markdown output.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture, CVE_A, CVE_B, HOSTILE_HOST, HOSTILE_ORG, tempDir } from './fixture.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'edgewatch.js');
const tmp = tempDir('ew-report-cli-');
let db: string;

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [BIN, ...args, '--db', db], {
      cwd: ROOT,
      env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8', EDGEWATCH_DATA_DIR: join(tmp.dir, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
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
  });
}

beforeAll(async () => {
  db = tmp.file('cli.db');
  const f = await buildFixture(db);
  await f.store.close();
});
afterAll(() => tmp.cleanup());

describe('edgewatch report', () => {
  it('JSON: TLP, versions, sources, base counts, attribution and the trend since day 0', async () => {
    const r = await cli(['report', 'day 7', '--since', 'day 0', '--format', 'json', '--tlp', 'red']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.tlp).toBe('RED');
    expect(j.meta.edgewatch_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(j.meta.checks.cves).toEqual([CVE_A, CVE_B]);
    expect(j.meta.checks.pack).toBeTruthy();
    expect(j.meta.data_sources.map((s: { id: string }) => s.id)).toEqual(['ip-location-db/asn', 'ip-location-db/geo-whois-asn-country']);
    expect(j.byCve[CVE_A].find((x: { key: string }) => x.key === 'vulnerable').count).toBe(1);
    expect(Object.keys(j.attribution.by)).toEqual(['country', 'sector', 'org', 'asn']);
    expect(j.trend.points.map((p: { label: string }) => p.label)).toEqual(['day 0', 'day 7']);
    expect(j.trend.changes.find((c: { cve: string; state: string }) => c.cve === CVE_A && c.state === 'vulnerable')).toMatchObject({ from: 5, to: 1 });
  });

  it('table: the trend line, organisations behind hosts, lab label, hostile text escaped', async () => {
    const r = await cli(['report', 'day 7', '--trend', '--by', 'cve,org']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(TLP:AMBER)');
    expect(r.stdout).toContain(`${CVE_A} vulnerable: 5 → 1 (−4, −80.0 %)`);
    expect(r.stdout).toMatch(/Trend over 3 scans/);
    expect(r.stdout).toContain(`1 ${CVE_A} vulnerable hosts belong to 1 organisation`);
    expect(r.stdout).toContain('lab demo identity');
    expect(r.stdout).toContain('data: ip-location-db/asn 2.3.2026061719 (2026-06-17, bundled)');
    expect(r.stdout).not.toContain('By country'); // --by limits the sections
    expect(r.stdout).not.toContain('Transport');
  });

  it('Markdown escapes HTML; CSV carries meta rows and is formula-safe', async () => {
    const md = await cli(['report', 'day 0', '--format', 'markdown', '--by', 'org']);
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).not.toContain(HOSTILE_ORG);
    expect(md.stdout).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const csv = await cli(['report', 'day 0', '--format', 'csv']);
    expect(csv.code, csv.stderr).toBe(0);
    const rows = parse(csv.stdout) as string[][];
    const get = (s: string, k: string) => rows.find((r) => r[0] === s && r[1] === k)?.[2];
    expect(get('meta', 'tlp')).toBe('AMBER');
    expect(get('country', 'NL')).toBe('3');
    expect(get(`org:${CVE_A}:vulnerable`, 'unattributed')).toBe('1');
    expect(get(`orgs_behind:${CVE_A} vulnerable`, 'organisations')).toBe('3');
    expect(get('coverage', 'lab_demo_hosts')).toBe('1');
  });

  it('host view: CVEs side by side, filtered, CSV formula-safe', async () => {
    const r = await cli(['report', 'day 0', '--hosts', '--state', 'vulnerable', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((x) => x.ip)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.6', '127.0.0.8']);
    expect(rows[0]).toMatchObject({ [CVE_A]: 'vulnerable', [CVE_B]: 'vulnerable', compromised: 'true', country: 'NL', organisation: 'Ziekenhuis A' });
    expect(rows[3]).toMatchObject({ organisation: 'not enriched', country: '' });
    expect(rows[4]).toMatchObject({ name: `'${HOSTILE_HOST}`, note: 'lab demo identity (stands for 8.8.8.8)' });
    const t = await cli(['report', 'day 0', '--hosts', '--limit', '2']);
    expect(t.stdout.trim().split('\n').length).toBe(5); // TLP line, header, rule, 2 rows
  });

  it('rejects bad options with EW_REPORT_OPTION (exit 2)', async () => {
    // (--by / --state values are checked in-process by the attribution tests; each spawn costs seconds)
    for (const args of [
      ['report', '--tlp', 'purple'],
      ['report', 'day 0', '--since', 'day 7'],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('EW_REPORT_OPTION');
    }
  });
});

describe('edgewatch export', () => {
  it('writes IntelMQ events to a file and says how many', async () => {
    const out = tmp.file('events.jsonl');
    const r = await cli(['export', 'day 0', '--format', 'intelmq', '--sector', 'healthcare', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('wrote 5 intelmq item(s) for 3 host(s)');
    const ev = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(ev.map((e: Record<string, unknown>) => `${e['source.ip']} ${e['classification.identifier']}`)).toEqual([
      `10.0.0.1 ${CVE_A}`,
      `10.0.0.1 ${CVE_B}`,
      '10.0.0.1 citrix-webshell-2023-v1-uiareas',
      `10.0.0.2 ${CVE_A}`,
      `127.0.0.8 ${CVE_A}`,
    ]);
    const bad = await cli(['export', 'day 0', '--format', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('EW_CLI_USAGE');
  });
});
