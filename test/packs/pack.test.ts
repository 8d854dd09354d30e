/**
 * Versioned check packs: build, verify, refuse (checksum, signature, files, traversal, links,
 * sizes, versions, invalid checks) without changing anything, install atomically, and the loader
 * and `checks list -j` then use the installed pack.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadChecks } from '../../src/checks/index.js';
import {
  activePack,
  buildPack,
  collectPackFiles,
  compareVersions,
  expectedBundledManifest,
  generateSigningKeys,
  loadPublicKey,
  readBundledManifest,
  readPack,
  satisfies,
  sha256Hex,
  updatePack,
  verifyPack,
} from '../../src/checks/pack/index.js';
import { REPO_ROOT } from '../../src/checks/paths.js';
import { registerChecksCommand } from '../../src/cli/commands/checks.js';
import { extraCheck, snapshot, tarGz } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'ew-packs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
let dataRoot = '';
beforeEach(() => {
  dataRoot = join(work, `data-${++n}`);
});
afterEach(() => {
  process.exitCode = undefined;
});

async function bundledFiles(): Promise<Map<string, Buffer>> {
  return collectPackFiles(REPO_ROOT);
}

async function filesWithExtra(id = 'CVE-2099-0001'): Promise<Map<string, Buffer>> {
  const files = await bundledFiles();
  const x = extraCheck(id);
  files.set(x.path, Buffer.from(x.text));
  return files;
}

async function build(name: string, version: string, files?: Map<string, Buffer>, extra: { signingKeyPem?: string; edgewatch?: string } = {}): Promise<string> {
  const out = join(work, name);
  await buildPack(out, { version, files: files ?? (await filesWithExtra()), ...extra });
  return out;
}

async function expectRefused(p: Promise<unknown>, code: string, message: RegExp, root = dataRoot): Promise<void> {
  const before = snapshot(root);
  await expect(p).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  expect(snapshot(root)).toEqual(before);
}

async function cli(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command().exitOverride();
  registerChecksCommand(program, { out: (s) => (out += s), err: (s) => (err += s) });
  await program.parseAsync(args, { from: 'user' });
  return { out, err, code: typeof process.exitCode === 'number' ? process.exitCode : 0 };
}

/** Rewrite one file inside a tar.gz built by buildPack, keeping the manifest (a tampered pack). */
async function tamperedArchive(src: string, path: string, change: (b: Buffer) => Buffer): Promise<string> {
  const pack = await readPack(src);
  const entries = [...pack.files.entries()].map(([name, data]) => ({ name, data: name === path ? change(data) : data }));
  const out = join(work, `tampered-${++n}.tar.gz`);
  writeFileSync(out, tarGz(entries));
  return out;
}

describe('pack versions and ranges', () => {
  it('compares semantic and date-based versions numerically, pre-releases first', () => {
    expect(compareVersions('0.10.0', '0.9.9')).toBe(1);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0-rc.2', '1.0.0-rc.10')).toBe(-1);
    expect(compareVersions('2026.11.23', '2026.11.23.0')).toBe(0);
    expect(compareVersions('2026.12.1', '2026.11.30')).toBe(1);
    expect(satisfies('0.1.0', '>=0.1.0 <1.0.0')).toBe(true);
    expect(satisfies('1.0.0', '>=0.1.0 <1.0.0')).toBe(false);
    expect(satisfies('0.1.0', 'garbage')).toBe(false);
  });
});

describe('bundled pack', () => {
  it('checks/MANIFEST.json matches checks/ and data/ (regenerate: node scripts/pack.mjs --manifest)', async () => {
    const current = await readBundledManifest();
    expect(current, 'checks/MANIFEST.json is missing or invalid').not.toBeNull();
    const want = await expectedBundledManifest(current);
    expect(current?.files).toEqual(want.files);
  });

  it('is the pack in use when nothing is installed', async () => {
    const a = await activePack(dataRoot);
    expect(a).toMatchObject({ origin: 'bundled', name: 'edgewatch-checks', installed: [], skipped: [] });
  });
});

describe('checks update: refusals change nothing', () => {
  it('a tampered file (one byte changed) is refused with a checksum message', async () => {
    const good = await build('good-1.tar.gz', '0.2.0');
    const bad = await tamperedArchive(good, 'checks/CVE-2099-0001.yaml', (b) => {
      const c = Buffer.from(b);
      c[10] ^= 0x01;
      return c;
    });
    await expectRefused(updatePack(bad, { dataRoot }), 'EW_PACK_CHECKSUM', /checks\/CVE-2099-0001\.yaml \(SHA-256 differs.*nothing was changed/);
  });

  it('a file whose size differs from the manifest is refused', async () => {
    const good = await build('good-2.tar.gz', '0.2.0');
    const bad = await tamperedArchive(good, 'data/netscaler-versions.csv', (b) => Buffer.concat([b, Buffer.from('\n')]));
    await expectRefused(updatePack(bad, { dataRoot }), 'EW_PACK_CHECKSUM', /data\/netscaler-versions\.csv \(size/);
  });

  it('a missing file and an unlisted extra file are refused', async () => {
    const good = await build('good-3', '0.2.0');
    rmSync(join(good, 'checks', 'CVE-2099-0001.yaml'));
    await expectRefused(updatePack(good, { dataRoot }), 'EW_PACK_FILES', /missing from the pack: checks\/CVE-2099-0001\.yaml/);
    const good2 = await build('good-4', '0.2.0');
    writeFileSync(join(good2, 'checks', 'sneaky.yaml'), 'id: sneaky\n');
    await expectRefused(updatePack(good2, { dataRoot }), 'EW_PACK_FILES', /not listed in the manifest: checks\/sneaky\.yaml/);
  });

  it('path traversal, absolute names, links and devices in an archive are refused', async () => {
    const manifest = readFileSync(join(await build('good-5', '0.2.0'), 'manifest.json'));
    const cases: Array<[Parameters<typeof tarGz>[0], RegExp]> = [
      [[{ name: 'manifest.json', data: manifest }, { name: '../evil.yaml', data: 'x' }], /path traversal.*\.\.\/evil\.yaml/],
      [[{ name: 'manifest.json', data: manifest }, { name: 'checks/../../evil.yaml', data: 'x' }], /path traversal/],
      [[{ name: 'manifest.json', data: manifest }, { name: '/etc/evil.yaml', data: 'x' }], /absolute path/],
      [[{ name: 'manifest.json', data: manifest }, { name: 'checks/a.yaml', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /symbolic link.*checks\/a\.yaml/],
      [[{ name: 'manifest.json', data: manifest }, { name: 'checks/b.yaml', type: 'Link', linkpath: 'manifest.json' }], /hard link/],
      [[{ name: 'manifest.json', data: manifest }, { name: 'data/huge.csv', data: 'x', size: 9 * 1024 * 1024 }], /huge\.csv is 9437184 bytes, more than/],
    ];
    cases.push([
      [{ name: 'manifest.json', data: manifest }, ...Array.from({ length: 9000 }, (_, i) => ({ name: `d${i}`, type: 'Directory' as const }))],
      /more than 8192 entries/,
    ]);
    for (const [entries, msg] of cases) {
      const f = join(work, `hostile-${++n}.tar.gz`);
      writeFileSync(f, tarGz(entries));
      await expectRefused(updatePack(f, { dataRoot }), 'EW_PACK_UNSAFE', msg);
    }
  });

  it('a symbolic link in a pack folder is refused', async () => {
    const dir = await build('good-6', '0.2.0');
    rmSync(join(dir, 'data', 'netscaler-versions.csv'));
    symlinkSync(join(REPO_ROOT, 'data', 'netscaler-versions.csv'), join(dir, 'data', 'netscaler-versions.csv'));
    await expectRefused(updatePack(dir, { dataRoot }), 'EW_PACK_UNSAFE', /symbolic link in the pack: data\/netscaler-versions\.csv/);
  });

  it('garbage instead of an archive, and a pack without a manifest, are refused', async () => {
    const f = join(work, 'garbage.tar.gz');
    writeFileSync(f, Buffer.from('this is not a tarball at all, just text\n'.repeat(20)));
    await expectRefused(updatePack(f, { dataRoot }), 'EW_PACK_READ', /not a readable tar/);
    const g = join(work, 'nomanifest.tar.gz');
    writeFileSync(g, tarGz([{ name: 'checks/a.yaml', data: 'x' }]));
    await expectRefused(updatePack(g, { dataRoot }), 'EW_PACK_MANIFEST', /no manifest\.json/);
  });

  it('an older or equal version is refused unless forced; an incompatible program range is refused', async () => {
    await updatePack(await build('v3.tar.gz', '0.3.0'), { dataRoot });
    await expectRefused(updatePack(await build('v2.tar.gz', '0.2.0'), { dataRoot }), 'EW_PACK_VERSION', /0\.2\.0 is older than the installed pack in use \(edgewatch-checks 0\.3\.0\); use --force/);
    const same = await build('v3b.tar.gz', '0.3.0', await filesWithExtra('CVE-2099-0002'));
    await expectRefused(updatePack(same, { dataRoot }), 'EW_PACK_VERSION', /0\.3\.0 is already in use .*different content/);
    await expectRefused(updatePack(await build('v0.tar.gz', '0.0.9'), { dataRoot }), 'EW_PACK_VERSION', /older than/, join(work, 'none'));
    await expectRefused(
      updatePack(await build('future.tar.gz', '0.9.0', undefined, { edgewatch: '>=5.0.0' }), { dataRoot }),
      'EW_PACK_VERSION',
      /needs edgewatch >=5\.0\.0; this is 0\.1\.0/,
    );
  });

  it('a pack whose check file does not validate is refused with file:line messages', async () => {
    const files = await filesWithExtra();
    files.set('checks/broken.yaml', Buffer.from('id: broken\nkind: fingerprint\ninfo: { name: x, vendor: a, product: b, severity: info }\nrequests:\n  - { id: a, method: GET, path: /x, when: "a &&" }\nidentify: { certain: "true" }\n'));
    const f = await build('invalid.tar.gz', '0.2.0', files);
    await expectRefused(updatePack(f, { dataRoot }), 'EW_PACK_INVALID', /checks\/broken\.yaml:5: requests\[0\]\.when/);
    // Not even the data directory was created.
    expect(existsSync(dataRoot)).toBe(false);
  });
});

describe('signatures (Ed25519)', () => {
  const a = generateSigningKeys();
  const b = generateSigningKeys();
  const keyA = join(work, 'a.pub');
  const keyB = join(work, 'b.pub');
  writeFileSync(keyA, a.publicPem);
  writeFileSync(keyB, b.publicPem);

  it('a good signature installs; a wrong key, a changed manifest, a missing or unverifiable signature are refused', async () => {
    const signed = await build('signed.tar.gz', '0.2.0', undefined, { signingKeyPem: a.privatePem });
    await expectRefused(updatePack(signed, { dataRoot, keys: [await loadPublicKey(keyB)] }), 'EW_PACK_SIGNATURE', /bad signature/);
    await expectRefused(updatePack(signed, { dataRoot }), 'EW_PACK_SIGNATURE', /signed but no trusted public key/);
    const unsigned = await build('unsigned.tar.gz', '0.2.0');
    await expectRefused(updatePack(unsigned, { dataRoot, keys: [await loadPublicKey(keyA)] }), 'EW_PACK_SIGNATURE', /not signed .* a signature is required/);
    // A manifest edited after signing (here: a file dropped together with its manifest line).
    const forged = await tamperedArchive(signed, 'manifest.json', (m) => {
      const j = JSON.parse(m.toString());
      j.description = 'forged';
      return Buffer.from(JSON.stringify(j, null, 2));
    });
    await expectRefused(updatePack(forged, { dataRoot, keys: [await loadPublicKey(keyA)] }), 'EW_PACK_SIGNATURE', /bad signature/);
    const r = await updatePack(signed, { dataRoot, keys: [await loadPublicKey(keyB), await loadPublicKey(keyA)] });
    expect(r).toMatchObject({ action: 'installed', pack: { signedBy: keyA } });
  });

  it('pack_keys in the config (relative to the config file) make a signature mandatory', async () => {
    const cfgDir = join(work, 'cfg');
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(join(cfgDir, 'trusted.pub'), a.publicPem);
    writeFileSync(join(cfgDir, 'edgewatch.yaml'), `data_dir: ${JSON.stringify(dataRoot)}\npack_keys: [trusted.pub]\n`);
    const unsigned = await build('cfg-unsigned.tar.gz', '0.2.0');
    await expect(cli('checks', 'update', unsigned, '--config', join(cfgDir, 'edgewatch.yaml'))).rejects.toMatchObject({ code: 'EW_PACK_SIGNATURE' });
    expect(existsSync(dataRoot)).toBe(false);
    const signed = await build('cfg-signed.tar.gz', '0.2.0', undefined, { signingKeyPem: a.privatePem });
    const r = await cli('checks', 'update', signed, '--config', join(cfgDir, 'edgewatch.yaml'));
    expect(r.out).toMatch(/signature verified with .*cfg\/trusted\.pub/);
    expect(existsSync(join(dataRoot, 'packs', 'edgewatch-checks@0.2.0', 'manifest.json.sig'))).toBe(true);
  });

  it('checks update --key on the command line', async () => {
    const signed = await build('signed2.tar.gz', '0.4.0', undefined, { signingKeyPem: b.privatePem });
    await expect(cli('checks', 'update', signed, '--key', keyA, '--data-dir', dataRoot)).rejects.toMatchObject({ code: 'EW_PACK_SIGNATURE' });
    const r = await cli('checks', 'update', signed, '--key', keyB, '--data-dir', dataRoot);
    expect(r.out).toMatch(/installed pack edgewatch-checks 0\.4\.0: \d+ files verified \(SHA-256\), signature verified with .*b\.pub/);
  });
});

describe('checks update: install', () => {
  it('installs atomically, then the loader and checks list -j use the new pack', async () => {
    const before = await loadChecks(undefined, { packDataRoot: dataRoot });
    expect(before.map((c) => c.id)).not.toContain('CVE-2099-0001');
    const f = await build('new.tar.gz', '0.2.0');
    const r = await cli('checks', 'update', f, '--data-dir', dataRoot);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/installed pack edgewatch-checks 0\.2\.0: \d+ files verified \(SHA-256\), unsigned, all check files valid/);
    expect(r.out).toMatch(/pack in use: edgewatch-checks 0\.2\.0 \(installed, .*edgewatch-checks@0\.2\.0\) \(was edgewatch-checks 0\.1\.0, bundled\)/);
    expect(snapshot(join(dataRoot, 'packs')).filter((l) => l.startsWith('.'))).toEqual([]);

    const after = await loadChecks(undefined, { packDataRoot: dataRoot });
    expect(after.map((c) => c.id)).toContain('CVE-2099-0001');
    expect(after[0].file).toContain('edgewatch-checks@0.2.0');

    const list = await cli('checks', 'list', '-j', '--data-dir', dataRoot);
    const rows = list.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.find((x) => x.id === 'CVE-2099-0001')).toMatchObject({
      kind: 'cve',
      cves: ['CVE-2099-0001'],
      vendor: 'citrix',
      product: 'citrix-adc',
      pack: 'edgewatch-checks',
      pack_version: '0.2.0',
    });
    expect(new Set(rows.map((x) => x.pack_version))).toEqual(new Set(['0.2.0']));
    const table = await cli('checks', 'list', '--data-dir', dataRoot);
    expect(table.err).toMatch(/^pack: edgewatch-checks 0\.2\.0 \(installed, /);

    // EDGEWATCH_DATA_DIR drives the default loader (what `edgewatch scan` uses).
    const old = process.env.EDGEWATCH_DATA_DIR;
    process.env.EDGEWATCH_DATA_DIR = dataRoot;
    try {
      expect((await loadChecks()).map((c) => c.id)).toContain('CVE-2099-0001');
    } finally {
      if (old === undefined) delete process.env.EDGEWATCH_DATA_DIR;
      else process.env.EDGEWATCH_DATA_DIR = old;
    }

    // The same pack again: nothing to do.
    expect((await cli('checks', 'update', f, '--data-dir', dataRoot)).out).toMatch(/already in use \(installed\); nothing to do/);
  });

  it('a pack folder (not only .tar.gz) installs, and a tarball with one top folder works', async () => {
    const dir = await build('folder-pack', '0.2.0');
    expect((await updatePack(dir, { dataRoot })).action).toBe('installed');
    const inner = await readPack(await build('wrapped-src.tar.gz', '0.3.0'));
    const wrapped = join(work, 'wrapped.tar.gz');
    writeFileSync(wrapped, tarGz([{ name: 'mypack', type: 'Directory' }, ...[...inner.files].map(([name, data]) => ({ name: `mypack/${name}`, data }))]));
    expect((await updatePack(wrapped, { dataRoot })).after.version).toBe('0.3.0');
  });

  it('a forced downgrade replaces the newer installed pack; the bundled pack is never removed', async () => {
    await updatePack(await build('d3.tar.gz', '0.3.0'), { dataRoot });
    const r = await updatePack(await build('d2.tar.gz', '0.2.0'), { dataRoot, force: true });
    expect(r.removed).toHaveLength(1);
    expect(r.after).toMatchObject({ origin: 'installed', version: '0.2.0' });
  });

  it('an installed pack altered on disk is skipped (the bundled pack is used) and reported', async () => {
    await updatePack(await build('alter.tar.gz', '0.2.0'), { dataRoot });
    const file = join(dataRoot, 'packs', 'edgewatch-checks@0.2.0', 'checks', 'CVE-2099-0001.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}# edited\n`);
    const a = await activePack(dataRoot);
    expect(a.origin).toBe('bundled');
    expect(a.skipped[0].reason).toMatch(/checksum mismatch: checks\/CVE-2099-0001\.yaml/);
    expect((await loadChecks(undefined, { packDataRoot: dataRoot })).map((c) => c.id)).not.toContain('CVE-2099-0001');
    expect((await cli('checks', 'packs', '--data-dir', dataRoot)).out).toMatch(/not usable: .*edgewatch-checks@0\.2\.0: .*checksum mismatch/);
  });

  it('verifyPack reports the exact file sha256 the manifest expects', async () => {
    const dir = await build('plain', '0.2.0');
    const v = verifyPack(await readPack(dir));
    const csv = v.manifest.files.find((f) => f.path === 'data/netscaler-versions.csv');
    expect(csv?.sha256).toBe(sha256Hex(readFileSync(join(REPO_ROOT, 'data', 'netscaler-versions.csv'))));
    mkdirSync(join(work, 'x'), { recursive: true });
  });
});
