/**
 * End to end on a small lab (256 hosts on loopback, day 30 so implants exist): `scan --format
 * nuclei` writes nuclei JSONL (to -o and to stdout with -j), `import nuclei` reads it back, and the
 * imported scan has exactly the findings (vulnerable CVEs, compromise indicators) of the original.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../src/lab/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { openStore } from '../../src/store/index.js';
import { runCli, tempDir } from '../e2e/helpers.js';

const RANGE = '127.37.0.0/24';

function findings(rs: ScanRecord[]): string[] {
  const out: string[] = [];
  for (const r of rs) {
    const h = `${r.ip}:${r.port}`;
    for (const [c, s] of Object.entries(r.cve)) if (s === 'vulnerable') out.push(`${h} ${c}`);
    if (r.compromised === 'true') for (const i of r.indicators ?? []) out.push(`${h} compromised ${i.check}/${i.id}`);
  }
  return out.sort();
}

async function scanRecords(db: string, label: string): Promise<ScanRecord[]> {
  const store = await openStore({ dialect: 'sqlite', file: db });
  try {
    const scan = (await store.listScans()).find((s) => s.label === label);
    if (!scan) throw new Error(`no scan ${label}`);
    const out: ScanRecord[] = [];
    for await (const r of store.iterateRecords(scan.id)) out.push(r);
    return out;
  } finally {
    await store.close();
  }
}

describe('scan --format nuclei → import nuclei on the lab', () => {
  let lab: Lab;
  const dir = tempDir('ew-nuclei-rt-');
  const db = join(dir, 'rt.db');

  beforeAll(async () => {
    lab = await startLab({ range: RANGE, seed: 5, step: 30, httpsPort: 0, httpPort: null, listen: 'auto' });
  }, 120_000);
  afterAll(async () => {
    await lab?.close();
  });

  it('gives the same findings back', async () => {
    const out = join(dir, 'findings.jsonl');
    const res = await runCli([
      'scan', RANGE, '--lab', '--scope', RANGE, '-p', String(lab.httpsPort), '--db', db,
      '-j', '--format', 'nuclei', '-o', out, '--timeout', '2', '--total-timeout', '12', '-c', '64', '--label', 'original', '--silent',
    ]);
    expect(res.code, res.stderr).toBe(0);
    const original = await scanRecords(db, 'original');
    expect(original).toHaveLength(256);
    const want = findings(original);
    // Both kinds of finding are present on this population (day 30: implants exist).
    expect(want.some((f) => / CVE-\d{4}-\d+$/.test(f))).toBe(true);
    expect(want.some((f) => f.includes(' compromised '))).toBe(true);

    // -j and -o carry the same nuclei lines, one per finding; every line is nuclei-shaped.
    const fileText = readFileSync(out, 'utf8');
    expect(res.stdout.trim().split('\n').sort()).toEqual(fileText.trim().split('\n').sort());
    const lines = fileText.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const l of lines) {
      expect(l).toMatchObject({ type: 'http', 'matcher-status': true, ip: expect.stringMatching(/^127\.37\.0\./), port: String(lab.httpsPort) });
      expect(l['template-id']).toEqual(expect.any(String));
      expect(l['matched-at']).toMatch(/^https:\/\/127\.37\.0\.\d+:\d+(\/|$)/);
    }
    const cveLines = lines.filter((l) => (l.info as { classification?: unknown }).classification);
    const vulnerable = want.filter((f) => !f.includes(' compromised '));
    expect(cveLines.length).toBeGreaterThan(0);
    expect(cveLines.length).toBeLessThanOrEqual(vulnerable.length);
    expect(lines.length - cveLines.length).toBe(want.length - vulnerable.length);

    const imp = await runCli(['import', 'nuclei', out, '--db', db, '--label', 'imported']);
    expect(imp.code, imp.stderr).toBe(0);
    const back = await scanRecords(db, 'imported');
    expect(findings(back)).toEqual(want);
    // Hosts without a finding are not in nuclei output, so they are not in the import either.
    expect(back.length).toBe(new Set(want.map((f) => f.split(' ')[0])).size);
    const versions = new Map(original.map((r) => [`${r.ip}:${r.port}`, r.version]));
    for (const r of back) expect(r.version).toBe(versions.get(`${r.ip}:${r.port}`));
  });
});
