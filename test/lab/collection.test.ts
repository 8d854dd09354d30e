/**
 * `edgewatch lab collection`: one truth drives both views. Collections of compromised personas
 * hold exactly the implant paths of their truth line and are expected to be found; clean ones hold
 * none; the layout follows src/triage/types.ts; nothing in any collection is a working payload.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseLabRange } from '../../src/lab/addr.js';
import { collectionFor, type LabCollection } from '../../src/lab/collection/index.js';
import { buildCorpus } from '../../src/lab/corpus.js';
import { loadFirmware } from '../../src/lab/firmware.js';
import { DEFAULT_MIX } from '../../src/lab/personas.js';
import { buildPopulation } from '../../src/lab/population.js';
import { truthAll } from '../../src/lab/truth.js';

const RANGE = '127.1.0.0/24';
const SEED = 1;
const STEP = 3;
const dir = mkdtempSync(join(tmpdir(), 'ew-lab-coll-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const truth = truthAll(buildPopulation(parseLabRange(RANGE), SEED, { ...DEFAULT_MIX }, loadFirmware()), STEP, {
  mode: 'per-address',
  https: true,
  http: true,
});
const pick = (pred: (t: (typeof truth)[number]) => boolean) => {
  const t = truth.find(pred);
  if (!t) throw new Error('no such host');
  return collectionFor(t.ip, { range: RANGE, seed: SEED, step: STEP });
};

const KIND_RULE: Record<string, string> = {
  template: 'template-payload',
  notrobin: 'notrobin-file',
  miner: 'miner-netscalerd',
  'webshell-2020': 'known-webshell-path',
  'webshell-2023-v1': 'php-content',
  'webshell-2023-v2': 'suid-unexpected',
};
const IOC_PATHS = ['/var/tmp/netscalerd', '/tmp/.init/httpd', '/var/nstmp/.nscache/httpd', '/var/cron/tabs/nobody', '/var/nss'];

describe('lab collections', () => {
  const byKind = new Map<string, LabCollection>();
  for (const k of Object.keys(KIND_RULE)) {
    byKind.set(
      k,
      pick((t) => t.compromise.kind === k && t.compromise.paths.length > 0),
    );
  }
  const clean = pick((t) => t.persona === 'citrix-vulnerable-13.0' && t.compromise.kind === 'none');
  const patched = pick((t) => t.persona === 'citrix-patched-compromised');

  it('a compromised persona holds exactly the implant paths of its truth, and a triage must find it', () => {
    for (const [kind, c] of [...byKind, ['patched', patched] as const]) {
      expect(c.collection.implantPaths, kind).toEqual(c.truth.compromise.paths);
      for (const p of c.truth.compromise.paths) expect(c.collection.files.has(`fs${p}`), `${kind} ${p}`).toBe(true);
      expect(c.expected.verdict, kind).toBe('compromised');
      expect(c.expected.exit).toBe(1);
      if (kind !== 'patched')
        expect(
          c.expected.findings.map((f) => f.rule),
          kind,
        ).toContain(KIND_RULE[kind]);
    }
    // The patched-but-compromised host runs a fixed build and still carries its webshell.
    expect(patched.truth.expect.https?.cve['CVE-2019-19781']).toBe('patched');
    expect(patched.expected.findings.map((f) => f.rule)).toContain('known-webshell-path');
    expect([...patched.collection.files.keys()].some((p) => p.startsWith('fs/netscaler/portal/templates/'))).toBe(false);
  });

  it('a clean persona holds no implant, only legit files, and nothing a triage should call compromise', () => {
    expect(clean.truth.compromise.kind).toBe('none');
    expect(clean.collection.implantPaths).toEqual([]);
    for (const p of IOC_PATHS) expect(clean.collection.files.has(`fs${p}`), p).toBe(false);
    const files = [...clean.collection.files.keys()];
    expect(files.filter((p) => p.startsWith('fs/var/vpn/themes/') || p.startsWith('fs/netscaler/portal/templates/'))).toEqual([]);
    expect(files.filter((p) => p.startsWith('fs/netscaler/portal/scripts/')).length).toBe(9);
    expect(clean.expected.verdict).not.toBe('compromised');
    // Scanned while vulnerable (smb.conf 200) and, once mitigated, probes answered 403.
    const rules = clean.expected.findings.map((f) => f.rule);
    expect(rules).toContain('access-scan-success');
  });

  it('follows the collection layout: manifest, meta files, stat lines, loader.conf with the build', () => {
    const c = byKind.get('notrobin') as LabCollection;
    const files = c.collection.files;
    const manifest = (files.get('MANIFEST.sha256') as Buffer).toString().trim().split('\n');
    expect(manifest.length).toBe(files.size - 1);
    for (const line of manifest) {
      const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, sha, rel] = m as RegExpExecArray;
      expect(
        createHash('sha256')
          .update(files.get(rel as string) as Buffer)
          .digest('hex'),
      ).toBe(sha);
    }
    const collect = (files.get('meta/collect.txt') as Buffer).toString();
    for (const k of ['hostname', 'ip', 'ns_version', 'collected_at', 'script_version', 'uname'])
      expect(collect).toMatch(new RegExp(`^${k}: .+$`, 'm'));
    expect(collect).toContain(`ns_version: ${c.truth.build}`);
    expect((files.get('fs/flash/boot/loader.conf') as Buffer).toString()).toContain(`kernel="/ns-${c.truth.build}"`);
    for (const l of (files.get('meta/stat.txt') as Buffer).toString().trim().split('\n'))
      expect(l).toMatch(/^[0-7]{5,6}\t\d+\t\d+\t\d+\t\d+\t\d+\t\/\S+$/);
    expect((files.get('meta/crontab.txt') as Buffer).toString()).toMatch(
      /^# user: root\n[\s\S]*^# user: nobody\n\* \* \* \* \* \/var\/nstmp\/\.nscache\/httpd$/m,
    );
    expect((files.get('meta/sockstat.txt') as Buffer).toString()).toMatch(/nobody +httpd +\d+ +\d+ +udp4 +\*:18634/);
    const rot = [...files.keys()].filter((p) => p.startsWith('fs/var/log/httpaccess.log'));
    expect(rot).toEqual(['fs/var/log/httpaccess.log', ...[0, 1, 2, 3, 4].map((i) => `fs/var/log/httpaccess.log.${i}.gz`)]);
    for (const r of rot.slice(1)) {
      const size = gunzipSync(files.get(r) as Buffer).length;
      expect(size).toBeGreaterThan(10_000);
      expect(size).toBeLessThan(260_000);
    }
  });

  it('is deterministic and refuses non-appliance addresses', () => {
    const t = byKind.get('miner') as LabCollection;
    const again = collectionFor(t.ip, { range: RANGE, seed: SEED, step: STEP });
    expect(again.collection.files.get('MANIFEST.sha256')).toEqual(t.collection.files.get('MANIFEST.sha256'));
    const other = truth.find((x) => x.persona === 'nginx-default') as (typeof truth)[number];
    expect(() => collectionFor(other.ip, { range: RANGE, seed: SEED })).toThrow(expect.objectContaining({ code: 'EW_LAB_COLLECTION' }));
    expect(() => collectionFor('127.9.9.9', { range: RANGE, seed: SEED })).toThrow(expect.objectContaining({ code: 'EW_LAB_COLLECTION' }));
  });

  it('contains no working exploit command: only the harmless `id` payload, commented one-liners, defanged URLs', () => {
    const all: Array<[string, string]> = [];
    for (const c of [...byKind.values(), clean, patched]) for (const [p, t] of c.collection.text) all.push([p, t]);
    for (const b of buildCorpus()) for (const [p, t] of b.collection.text) all.push([`${b.entry.name}:${p}`, t]);
    let templates = 0;
    for (const [p, t] of all) {
      for (const m of t.matchAll(/\[%([\s\S]*?)%\]/g)) {
        templates++;
        expect(m[1], p).toBe(" template.new({'BLOCK'='print readpipe(chr(105) . chr(100))'}) ");
      }
      expect(
        t.includes('readpipe(')
          ? t
              .split('readpipe(')
              .slice(1)
              .every((x) => x.startsWith('chr(105) . chr(100))'))
          : true,
        p,
      ).toBe(true);
      expect(/\b(?:curl|wget)\b[^\n"]*\bhttps?:\/\//.test(t), p).toBe(false);
      if (p.endsWith('.php')) {
        const code = t.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
        expect(/eval\s*\(|system\s*\(|passthru|shell_exec|`/.test(code), p).toBe(false);
      }
    }
    expect(templates).toBeGreaterThan(3);
  });

  it('`edgewatch lab collection IP -o FILE.tar.gz` writes a ustar archive under one top-level folder', () => {
    const t = truth.find((x) => x.compromise.kind === 'webshell-2020') as (typeof truth)[number];
    const out = join(dir, 'host.tar.gz');
    const runner = fileURLToPath(new URL('./fixtures/lab-cli.ts', import.meta.url));
    const res = spawnSync(
      process.execPath,
      ['--import', 'tsx', runner, 'lab', 'collection', t.ip, '--range', RANGE, '--seed', String(SEED), '--step', String(STEP), '-o', out],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain(`compromise=webshell-2020 verdict=compromised`);
    expect(existsSync(out)).toBe(true);
    const tar = gunzipSync(readFileSync(out));
    expect(tar.subarray(257, 262).toString('latin1')).toBe('ustar');
    const names: string[] = [];
    for (let off = 0; off + 512 <= tar.length; ) {
      const name = tar
        .subarray(off, off + 100)
        .toString('utf8')
        .replace(/\0.*$/s, '');
      if (!name) break;
      const prefix = tar
        .subarray(off + 345, off + 500)
        .toString('utf8')
        .replace(/\0.*$/s, '');
      const size = Number.parseInt(tar.subarray(off + 124, off + 136).toString('latin1'), 8);
      names.push(prefix ? `${prefix}/${name}` : name);
      off += 512 + Math.ceil(size / 512) * 512;
    }
    expect(names).toContain('host/MANIFEST.sha256');
    expect(names).toContain('host/meta/stat.txt');
    for (const p of t.compromise.paths) expect(names).toContain(`host/fs${p}`);
    expect(names.every((n) => n.startsWith('host/'))).toBe(true);
  });
});
