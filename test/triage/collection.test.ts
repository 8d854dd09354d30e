/**
 * Collection readers: directory, .tar, .tar.gz, .zip (with and without one top-level folder) give
 * the same result; hostile input (traversal and absolute names, links, devices, zip and gzip
 * bombs, a lying zip entry, a 2 GB sparse log, binary junk, corrupt archives) is read safely:
 * nothing written outside a private temp dir (removed on close), bounded time, clear messages.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../src/errors.js';
import { openCollection } from '../../src/triage/open.js';
import { triage } from '../../src/triage/run.js';
import { deflatedZeros, gzipWithZeros, tar, tarEntry, zip } from './archives.js';
import { tempDir, writeCollection } from './helpers.js';

let work: string;
const ourTemps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('edgewatch-triage-'));
let tempsBefore: string[];

const COLLECT = 'hostname: adc1\nns_version: 13.0-47.22\ncollected_at: 2020-02-01T10:00:00Z\n';
const STAT = '100755\t0\t0\t5\t1579500000\t1579500000\t/var/tmp/netscalerd\n';

function baseEntries(prefix = ''): Buffer[] {
  return [
    tarEntry(`${prefix}meta/collect.txt`, COLLECT),
    tarEntry(`${prefix}meta/stat.txt`, STAT),
    tarEntry(`${prefix}fs/var/tmp/netscalerd`, 'ELF!!'),
  ];
}

beforeAll(() => {
  work = tempDir();
  tempsBefore = ourTemps();
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(isEdgewatchError(e, code), `${(e as Error).message}`).toBe(true);
    return e as Error;
  }
  throw new Error(`expected ${code}`);
}

describe('formats', () => {
  it('directory, tar, tar.gz and zip, with or without a top folder, give the same findings', async () => {
    const dir = writeCollection(join(work, 'd1'), {
      top: 'edgewatch-collect-adc1',
      files: { '/var/tmp/netscalerd': { content: 'ELF!!', mode: 0o755 } },
    });
    writeFileSync(join(work, 'a.tar'), tar(baseEntries()));
    writeFileSync(join(work, 'a.tgz'), gzipSync(tar(baseEntries('top/'))));
    writeFileSync(join(work, 'a.tar.gz'), gzipSync(tar([tarEntry('top/', '', 'Directory'), ...baseEntries('top/')])));
    writeFileSync(
      join(work, 'a.zip'),
      zip([
        { name: 'c/meta/collect.txt', data: COLLECT },
        { name: 'c/meta/stat.txt', data: STAT },
        { name: 'c/fs/var/tmp/netscalerd', data: 'ELF!!' },
      ]),
    );
    for (const p of [dir, join(work, 'a.tar'), join(work, 'a.tgz'), join(work, 'a.tar.gz'), join(work, 'a.zip')]) {
      const r = await triage(p, { analyzeLogs: null });
      expect(
        r.findings.map((f) => [f.rule, f.path]),
        p,
      ).toEqual([['miner-netscalerd', '/var/tmp/netscalerd']]);
      expect(r.host.hostname).toBe('adc1');
      expect(r.summary.verdict).toBe('compromised');
    }
  });

  it('reads file bodies from tar and zip exactly', async () => {
    const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
    writeFileSync(join(work, 'b.tgz'), gzipSync(tar([...baseEntries(), tarEntry('fs/var/log/x.bin', body), tarEntry('fs/empty', '')])));
    const c = await openCollection(join(work, 'b.tgz'));
    const chunks: Buffer[] = [];
    for await (const ch of c.open('/var/log/x.bin')) chunks.push(ch as Buffer);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    const empty: Buffer[] = [];
    for await (const ch of c.open('/empty')) empty.push(ch as Buffer);
    expect(Buffer.concat(empty).length).toBe(0);
    await c.close();
  });
});

describe('hostile archives', () => {
  it('tar: traversal, absolute names, symlinks, hardlinks and devices are skipped with warnings; nothing lands outside', async () => {
    const evil = join(work, 'evil-tar');
    const entries = [
      ...baseEntries(),
      tarEntry('../../evil-tar', 'x'),
      tarEntry(`${'../'.repeat(12)}tmp/evil-abs`, 'x'),
      tarEntry('/etc/evil-abs', 'x'),
      tarEntry('fs/var/tmp/link', '', 'SymbolicLink', '/etc/passwd'),
      tarEntry('fs/var/tmp/hard', '', 'Link', '/etc/passwd'),
      tarEntry('fs/dev/null', '', 'CharacterDevice'),
      tarEntry('fs/a\\..\\..\\b', 'x'),
    ];
    for (const [name, data] of [
      ['h.tar', tar(entries)],
      ['h.tgz', gzipSync(tar(entries))],
    ] as const) {
      writeFileSync(join(work, name), data);
      const r = await triage(join(work, name), { analyzeLogs: null });
      const w = r.stats.warnings.join('\n');
      expect(w).toContain('path traversal');
      expect(w).toContain('absolute name');
      expect(w).toContain('symlink');
      expect(w).toContain('hardlink');
      expect(w).toContain('device');
      expect(w).toContain('backslash');
      expect(r.findings.map((f) => f.rule)).toEqual(['miner-netscalerd']);
      expect(r.not_checked.join('\n')).toContain('skipped');
    }
    expect(existsSync(evil)).toBe(false);
    expect(existsSync('/tmp/evil-abs')).toBe(false);
    expect(ourTemps()).toEqual(tempsBefore);
  });

  it('zip: traversal, absolute names and symlink entries are skipped', async () => {
    writeFileSync(
      join(work, 'h.zip'),
      zip([
        { name: 'meta/collect.txt', data: COLLECT },
        { name: '../../evil-zip', data: 'x' },
        { name: '/etc/evil-zip', data: 'x' },
        { name: 'fs/var/tmp/netscalerd', data: '/etc/passwd', mode: 0o120777 },
      ]),
    );
    const r = await triage(join(work, 'h.zip'), { analyzeLogs: null });
    const w = r.stats.warnings.join('\n');
    expect(w).toContain('path traversal');
    expect(w).toContain('absolute name');
    expect(w).toContain('symlink');
    expect(r.findings).toEqual([]);
    expect(existsSync(join(work, '..', 'evil-zip'))).toBe(false);
  });

  it('zip bomb: a 1 MB zip declaring 1 GiB is skipped over the per-file cap without inflating', async () => {
    const bomb = deflatedZeros(1024);
    writeFileSync(
      join(work, 'bomb.zip'),
      zip([
        { name: 'meta/collect.txt', data: COLLECT },
        // Not under /var/log/ (logs may be up to 1.5 GiB, streamed): the 512 MiB cap applies.
        { name: 'fs/var/core/nsppe.core', raw: bomb },
      ]),
    );
    const t0 = Date.now();
    const r = await triage(join(work, 'bomb.zip'));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stats.warnings.join('\n')).toMatch(/nsppe\.core: 1\.0 GiB is over the per-file cap of 512 MiB/);
  });

  it('zip bomb that lies about its size is stopped at the declared size', async () => {
    const lie = deflatedZeros(64);
    writeFileSync(
      join(work, 'lie.zip'),
      zip([
        { name: 'meta/collect.txt', data: COLLECT },
        { name: 'fs/netscaler/portal/templates/x.xml', raw: lie, declaredSize: 1000 },
      ]),
    );
    const before = process.memoryUsage().rss;
    const r = await triage(join(work, 'lie.zip'), { analyzeLogs: null });
    expect(r.stats.warnings.join('\n')).toMatch(/x\.xml: read failed/);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('gzip bomb in a .tar.gz: a 600 MiB entry is drained past, not kept; a small total cap stops with EW_TRIAGE_TOO_LARGE', async () => {
    const head = Buffer.concat([...baseEntries(), tarEntry('fs/var/core/nsppe.core', '', 'File', undefined, 600 * 1024 * 1024)]);
    writeFileSync(join(work, 'bomb.tgz'), gzipWithZeros(head, 600, Buffer.alloc(1024)));
    const r = await triage(join(work, 'bomb.tgz'), { analyzeLogs: null });
    expect(r.stats.warnings.join('\n')).toContain('over the per-file cap');
    expect(r.findings.map((f) => f.rule)).toEqual(['miner-netscalerd']);
    const e = await expectCode(
      triage(join(work, 'bomb.tgz'), { analyzeLogs: null, limits: { maxTotalBytes: 32 * 1024 * 1024 } }),
      'EW_TRIAGE_TOO_LARGE',
    );
    expect(e.message).toContain('cap on decompressed data');
    expect(ourTemps()).toEqual(tempsBefore);
  });

  it('a 2 GB sparse log in a directory collection is skipped with a warning, quickly', async () => {
    const dir = writeCollection(join(work, 'sparse'), { files: {} });
    mkdirSync(join(dir, 'fs/var/log'), { recursive: true });
    writeFileSync(join(dir, 'fs/var/log/httpaccess.log'), '');
    truncateSync(join(dir, 'fs/var/log/httpaccess.log'), 2 * 1024 * 1024 * 1024);
    const t0 = Date.now();
    const r = await triage(dir);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.stats.warnings.join('\n')).toContain('/var/log/httpaccess.log: 2.0 GiB is over the per-file cap');
    expect(r.not_checked.join('\n')).toContain('skipped');
  });

  it('binary junk in logs, templates and listings does not crash anything', async () => {
    const junk = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919 + (i >> 3)) % 256));
    const dir = writeCollection(join(work, 'junk'), {
      files: {
        '/var/log/httpaccess.log': { content: junk },
        '/var/log/httpaccess.log.1.gz': { content: junk },
        '/var/log/bash.log': { content: junk },
        '/netscaler/portal/templates/j.xml': { content: junk },
        '/var/vpn/x.php': { content: junk, mode: 0o444 },
      },
      meta: {
        'ps.txt': junk.toString('latin1'),
        'sockstat.txt': junk.toString('latin1'),
        'crontab.txt': junk.toString('latin1'),
        'suid.txt': junk.toString('latin1'),
      },
    });
    writeFileSync(join(dir, 'meta/stat.txt'), Buffer.concat([junk, Buffer.from('\n100444\t0\t0\t1\t1\t1\t/var/vpn/x.php\n')]));
    const r = await triage(dir);
    expect(['clean', 'attempts_only', 'compromised']).toContain(r.summary.verdict);
    for (const f of r.findings) expect(f.excerpt.length).toBeLessThanOrEqual(300);
    expect(JSON.stringify(r)).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  });
});

describe('errors (exit 2)', () => {
  it('corrupt, unknown, missing and non-collection inputs have clear codes', async () => {
    writeFileSync(join(work, 'corrupt.tgz'), Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 0x55)]));
    await expectCode(triage(join(work, 'corrupt.tgz')), 'EW_TRIAGE_ARCHIVE_CORRUPT');
    writeFileSync(join(work, 'corrupt.tar'), Buffer.alloc(2048, 0x41));
    await expectCode(triage(join(work, 'corrupt.tar')), 'EW_TRIAGE_ARCHIVE_CORRUPT');
    const good = zip([{ name: 'meta/collect.txt', data: COLLECT }]);
    writeFileSync(join(work, 'trunc.zip'), good.subarray(0, good.length - 30));
    await expectCode(triage(join(work, 'trunc.zip')), 'EW_TRIAGE_ARCHIVE_CORRUPT');
    writeFileSync(join(work, 'notes.txt'), 'hello');
    await expectCode(triage(join(work, 'notes.txt')), 'EW_TRIAGE_UNSUPPORTED');
    await expectCode(triage(join(work, 'does-not-exist')), 'EW_TRIAGE_NOT_FOUND');
    mkdirSync(join(work, 'plain/a/b'), { recursive: true });
    await expectCode(triage(join(work, 'plain')), 'EW_TRIAGE_NOT_COLLECTION');
    expect(ourTemps()).toEqual(tempsBefore);
  });
});
