/**
 * The foundation's central promise: on a lab population of 4,096 hosts with every persona present,
 * every scan record matches the lab's ground truth (status, reason, product, exact version,
 * classification), and after a time step the diff shows the expected transitions. Issue 7: the scan
 * runs every shipped check (NetScaler CVEs of 2019–2025, Pulse Secure CVE-2019-11510) and every CVE
 * column of every record is compared with the lab's own expectation.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CVE_IDS, type Lab, startLab, type TruthRecord } from '../../src/lab/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { compareWithTruth as compare, readJsonl, runCli, tempDir } from './helpers.js';

const CVE = 'CVE-2019-19781';
const RANGE = '127.20.0.0/20';

/** Every CVE column of every record against the truth (both ways: no CVE missing, none extra). */
function compareAllCves(records: ScanRecord[], truth: TruthRecord[]): { mismatches: string[]; counts: Record<string, Record<string, number>> } {
  const byIp = new Map(records.map((r) => [r.ip, r]));
  const mismatches: string[] = [];
  const counts: Record<string, Record<string, number>> = {};
  for (const t of truth) {
    const e = t.expect.https;
    const r = byIp.get(t.ip);
    if (!e || !r || e.status !== 'ok') continue;
    const want = e.cve;
    const got = r.cve ?? {};
    for (const id of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (got[id] !== want[id]) mismatches.push(`${t.ip} (${t.persona}, ${t.build ?? e.version ?? '-'}) ${id}: want ${want[id]} got ${got[id]} — ${r.why?.[id] ?? ''}`);
      counts[id] ??= {};
      counts[id][want[id] ?? 'missing'] = (counts[id][want[id] ?? 'missing'] ?? 0) + 1;
    }
  }
  return { mismatches, counts };
}

describe('scan of a 4,096-host lab matches the lab truth', () => {
  let lab: Lab;
  const dir = tempDir();
  const db = join(dir, 'e2e.db');

  beforeAll(async () => {
    lab = await startLab({ range: RANGE, seed: 7, httpsPort: 0, httpPort: 0, listen: 'auto' });
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
  });

  const scanArgs = (out: string, label: string) => [
    'scan',
    RANGE,
    '--lab',
    '--scope',
    RANGE,
    '-p',
    String(lab.httpsPort),
    '--db',
    db,
    '-o',
    out,
    '--timeout',
    '2',
    '--total-timeout',
    // HTTP/1.0 personas need a new TLS connection per request (about 15 with the compromise
    // indicators): the host budget must cover that on a loaded 2-core machine (issue 7: measured
    // with load averages of 15–19 from other jobs, 12 s was not always enough).
    '20',
    '-c',
    '400',
    '--label',
    label,
    '--silent',
  ];

  it('every record matches the truth, every persona present, faults bounded', async () => {
    const out = join(dir, 'day0.jsonl');
    const t0 = Date.now();
    const res = await runCli(scanArgs(out, 'day 0'));
    const seconds = (Date.now() - t0) / 1000;
    expect(res.code, res.stderr).toBe(0);
    const records = readJsonl<ScanRecord>(out);
    expect(records.length).toBe(4096);
    expect(new Set(records.map((r) => r.seq)).size).toBe(4096);
    const all = compareAllCves(records, lab.truth());
    expect(all.mismatches.slice(0, 25), `${all.mismatches.length} CVE mismatches`).toEqual([]);
    const { mismatches, personas } = compare(records, lab.truth());
    expect(mismatches.slice(0, 25), `${mismatches.length} mismatches`).toEqual([]);
    expect(personas.size).toBeGreaterThanOrEqual(25);
    // every shipped CVE is a column, and every one of them has vulnerable and patched hosts in the lab
    expect(Object.keys(all.counts).sort()).toEqual([...ALL_CVE_IDS].sort());
    for (const id of ALL_CVE_IDS) {
      expect(all.counts[id]?.vulnerable ?? 0, `${id} vulnerable`).toBeGreaterThan(0);
      expect(all.counts[id]?.patched ?? 0, `${id} patched`).toBeGreaterThan(0);
      expect(all.counts[id]?.not_applicable ?? 0, `${id} not_applicable`).toBeGreaterThan(0);
    }
    // Tarpits, drips and oversized bodies cost their own timeouts, not the scan's: 4,096 hosts
    // with a 4 s host budget finish far inside this bound on 2 cores.
    expect(seconds).toBeLessThan(90);
  }, 180_000);

  it('after three days the diff shows the expected transitions', async () => {
    const before = new Map(lab.truth().map((t) => [t.ip, t.expect.https]));
    await lab.setStep(3);
    const after = lab.truth();
    const out = join(dir, 'day3.jsonl');
    const res = await runCli(scanArgs(out, 'day 3'));
    expect(res.code, res.stderr).toBe(0);
    const day3 = readJsonl<ScanRecord>(out);
    const all = compareAllCves(day3, after);
    expect(all.mismatches.slice(0, 25), `${all.mismatches.length} CVE mismatches`).toEqual([]);
    const { mismatches } = compare(day3, after);
    expect(mismatches.slice(0, 25), `${mismatches.length} mismatches`).toEqual([]);

    const expected = { newly_patched: 0, newly_mitigated: 0, still_vulnerable: 0 };
    for (const t of after) {
      const b = before.get(t.ip)?.cve?.[CVE];
      const a = t.expect.https?.cve?.[CVE];
      if (before.get(t.ip)?.status !== 'ok' || t.expect.https?.status !== 'ok') continue;
      if (b === 'vulnerable' && a === 'patched') expected.newly_patched++;
      if (b === 'vulnerable' && a === 'mitigated') expected.newly_mitigated++;
      if (b === 'vulnerable' && a === 'vulnerable') expected.still_vulnerable++;
    }
    expect(expected.newly_mitigated + expected.newly_patched).toBeGreaterThan(50);
    const diff = await runCli(['diff', 'day 0', 'day 3', '--db', db, '--format', 'json']);
    expect(diff.code, diff.stderr).toBe(0);
    const rows = (JSON.parse(diff.stdout) as { rows: Array<{ change: string; cve: string }> }).rows.filter((r) => r.cve === CVE);
    const got = { newly_patched: 0, newly_mitigated: 0, still_vulnerable: 0 };
    for (const r of rows) if (r.change in got) got[r.change as keyof typeof got]++;
    expect(got).toEqual(expected);

    const rep = await runCli(['report', 'day 3', '--db', db, '--format', 'json']);
    const report = JSON.parse(rep.stdout) as { tlp: string; byCve: Record<string, Array<{ key: string; count: number }>> };
    expect(report.tlp).toBe('AMBER');
    const vuln = report.byCve[CVE].find((r) => r.key === 'vulnerable')?.count ?? 0;
    expect(vuln).toBe(after.filter((t) => t.expect.https?.status === 'ok' && t.expect.https?.cve?.[CVE] === 'vulnerable').length);
  }, 180_000);
});
