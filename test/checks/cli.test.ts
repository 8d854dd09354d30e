import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CHECKS_DIR } from '../../src/checks/index.js';
import { registerChecksCommand } from '../../src/cli/commands/checks.js';

const dir = mkdtempSync(join(tmpdir(), 'ew-checks-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command().exitOverride();
  registerChecksCommand(program, { out: (s) => (out += s), err: (s) => (err += s) });
  await program.parseAsync(args, { from: 'user' });
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  return { out, err, code };
}

describe('edgewatch checks', () => {
  it('list prints a table of the shipped pack', async () => {
    const r = await run('checks', 'list');
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+KIND\s+PRODUCT\s+CVES\s+SEVERITY\s+FILE$/);
    expect(lines[1]).toMatch(/^netscaler-fingerprint\s+fingerprint\s+citrix-adc\s+-\s+info\s+/);
    expect(lines[2]).toMatch(/^pulse-secure-fingerprint\s+fingerprint\s+pulse-connect-secure\s+-\s+info\s+/);
    expect(lines).toContainEqual(expect.stringMatching(/^CVE-2019-19781\s+cve\s+citrix-adc\s+CVE-2019-19781\s+critical\s+.*CVE-2019-19781\.yaml$/));
    expect(lines).toContainEqual(expect.stringMatching(/^CVE-2023-4966\s+cve\s+citrix-adc\s+CVE-2023-4966\s+critical\s+.*CVE-2023-4966\.yaml$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^citrix-webshell-2020-themes\s+compromise\s+citrix-adc\s+-\s+critical\s+.*citrix-webshell-2020-themes\.yaml$/),
    );
    expect(lines).toHaveLength(18);
  });

  it('list --jsonl prints one JSON object per check with the pack version', async () => {
    const r = await run('checks', 'list', '--jsonl');
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(17);
    expect(rows.map((r) => r.kind)).toEqual([...Array(2).fill('fingerprint'), ...Array(12).fill('cve'), ...Array(3).fill('compromise')]);
    expect(rows.find((r) => r.id === 'CVE-2019-11510')).toMatchObject({ vendor: 'ivanti', product: 'pulse-connect-secure', cves: ['CVE-2019-11510'] });
    expect(rows.find((r) => r.id === 'CVE-2019-19781')).toMatchObject({
      id: 'CVE-2019-19781',
      kind: 'cve',
      cves: ['CVE-2019-19781'],
      vendor: 'citrix',
      product: 'citrix-adc',
      pack_version: '0.1.0',
    });
  });

  it('validate: exit 0 for the pack, exit 1 with file:line: path messages for a bad file', async () => {
    const ok = await run('checks', 'validate');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('17 check file(s) valid\n');

    const bad = join(dir, 'broken.yaml');
    writeFileSync(
      bad,
      'id: broken\nkind: fingerprint\ninfo: { name: x, vendor: a, product: b, severity: info }\nrequests:\n  - { id: a, method: GET, path: /x, when: "a &&" }\nidentify: { certain: "true" }\n',
    );
    const r = await run('checks', 'validate', bad, join(DEFAULT_CHECKS_DIR, 'CVE-2019-19781.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/broken\.yaml:5: requests\[0\]\.when: expected a value, found end of expression/);
    expect(r.err).toMatch(/1 of 2 check file\(s\) invalid/);
  });

  it('--checks DIR overrides the pack', async () => {
    copyFileSync(join(DEFAULT_CHECKS_DIR, 'netscaler-fingerprint.yaml'), join(dir, 'netscaler-fingerprint.yaml'));
    const sub = mkdtempSync(join(dir, 'pack-'));
    copyFileSync(join(DEFAULT_CHECKS_DIR, 'netscaler-fingerprint.yaml'), join(sub, 'netscaler-fingerprint.yaml'));
    const r = await run('checks', 'list', '--checks', sub, '-j');
    expect(
      r.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { id: string }).id),
    ).toEqual(['netscaler-fingerprint']);
  });
});
