/**
 * The shipped corpus (corpus/): regenerating it reproduces every file byte for byte, it holds the
 * ten required cases, its expectations use the triage rule vocabulary, the clean entries expect
 * nothing, and each log rule's matching lines sit in one rotated file.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { listFiles, readCollectionDir } from '../../src/lab/collection/archive.js';
import { logRuleFiles } from '../../src/lab/collection/expected.js';
import { type BuiltCorpusEntry, writeCorpus } from '../../src/lab/corpus.js';
import { TRIAGE_RULES } from '../../src/triage/types.js';

const SHIPPED = fileURLToPath(new URL('../../corpus', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ew-lab-corpus-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REQUIRED = [
  'clean-fresh-install',
  'clean-long-running',
  'scanned-not-exploited',
  'exploited-template',
  'notrobin',
  'coin-miner',
  'webshell-2023',
  'patched-but-compromised',
  'timestomped-webshell',
  'cleaned-templates-logs-remain',
];

describe('triage corpus', () => {
  let built: BuiltCorpusEntry[];

  it('regenerates the shipped corpus byte for byte', async () => {
    built = await writeCorpus(dir);
    const fresh = await readCollectionDir(dir);
    const shipped = await readCollectionDir(SHIPPED);
    expect([...shipped.keys()]).toEqual([...fresh.keys()]);
    for (const [p, b] of fresh) expect(Buffer.compare(b, shipped.get(p) as Buffer), p).toBe(0);
    let total = 0;
    for (const b of shipped.values()) total += b.length;
    expect(total).toBeLessThan(5.5 * 1024 * 1024);
  });

  it('holds the ten required cases with expectations in the triage vocabulary', async () => {
    const names = built.map((b) => b.entry.name);
    for (const n of REQUIRED) expect(names).toContain(n);
    for (const b of built) {
      const exp = JSON.parse(readFileSync(join(SHIPPED, b.entry.name, 'EXPECTED.json'), 'utf8')) as typeof b.expected;
      expect(exp).toEqual(b.expected);
      for (const f of exp.findings) {
        expect(Object.keys(TRIAGE_RULES)).toContain(f.rule);
        expect(['high', 'medium', 'low']).toContain(f.confidence);
        expect(f.path.startsWith('/') || f.path.startsWith('meta/')).toBe(true);
        if (f.path.startsWith('/'))
          expect(
            (await listFiles(join(SHIPPED, b.entry.name))).includes(`fs${f.path}`) || b.collection.stat.some((s) => s.path === f.path),
          ).toBe(true);
      }
      const keys = exp.findings.map((f) => `${f.rule} ${f.path}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(exp.exit).toBe(exp.verdict === 'compromised' ? 1 : 0);
    }
    const by = new Map(built.map((b) => [b.entry.name, b.expected]));
    for (const n of ['clean-fresh-install', 'clean-long-running']) expect(by.get(n)).toEqual({ findings: [], verdict: 'clean', exit: 0 });
    expect(by.get('scanned-not-exploited')?.verdict).toBe('attempts_only');
    expect(
      by
        .get('cleaned-templates-logs-remain')
        ?.findings.map((f) => f.rule)
        .sort(),
    ).toEqual(['access-exploit-success', 'access-scan-success']);
    expect(by.get('timestomped-webshell')?.findings.map((f) => f.rule)).toContain('timestomp');
    expect(by.get('notrobin')?.findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['notrobin-udp-18634', 'access-exploit-notrobin', 'cron-nobody']),
    );
  });

  it('keeps every log rule of an entry in a single log file (so the expected path is unambiguous)', () => {
    for (const b of built) {
      for (const [rule, files] of logRuleFiles(b.collection)) expect(files, `${b.entry.name} ${rule}`).toHaveLength(1);
    }
  });
});
