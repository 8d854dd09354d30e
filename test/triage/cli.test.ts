/**
 * `edgewatch triage` and `edgewatch collect-script` through the real bin: exit codes 0/1/2, the
 * table and --json output, --host storing the run joined to the host's scan history, and the
 * collect-script run with sh against a fake appliance root, then triaged.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { openStore } from '../../src/store/index.js';
import { listTriageForHost } from '../../src/store/triage.js';
import { syntheticRecord } from '../store/synthetic.js';
import { freshInstall, tempDir, writeCollection } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/edgewatch.js');
let work: string;

/** In process, through the CLI's main() (fast); `spawn` below goes through the real bin. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => out.push(String(c)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => err.push(String(c)) > 0) as typeof process.stderr.write;
  try {
    const code = await main(args);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = undefined;
  }
}

function spawn(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8', ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  work = tempDir();
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('edgewatch triage', () => {
  it('exit 0 on a clean collection, 1 on a compromised one, 2 on a corrupt archive', async () => {
    const clean = writeCollection(join(work, 'clean'), freshInstall());
    const c = await run(['triage', clean]);
    expect(c.code, c.err).toBe(0);
    expect(c.out).toContain('Verdict: no finding');
    expect(c.out).toContain('Findings: none');

    const spec = freshInstall();
    spec.files = { ...spec.files, '/var/vpn/themes/imgs/tiny.php': { content: '<?php eval($_REQUEST["c"]); ?>\u001b[31m', mode: 0o644 } };
    const bad = writeCollection(join(work, 'bad'), spec);
    const b = await run(['triage', bad]);
    expect(b.code, b.err).toBe(1);
    expect(b.out).toContain('Findings — high confidence');
    expect(b.out).toContain('/var/vpn/themes/imgs/tiny.php:1');
    expect(b.out).not.toContain('\u001b[31m');

    writeFileSync(join(work, 'broken.tgz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]));
    const x = spawn(['triage', join(work, 'broken.tgz')]);
    expect(x.code).toBe(2);
    expect(x.err).toContain('EW_TRIAGE_ARCHIVE_CORRUPT');
    expect((await run(['triage'])).code).toBe(2);
  });

  it('attempts only (failed exploitation, mode 644) exit 0 with low findings; --json is the TriageReport', async () => {
    const spec = freshInstall();
    spec.files = {
      ...spec.files,
      '/var/vpn/bookmark/custom.xml': { content: '<user/>', mode: 0o644 },
      '/var/log/httpaccess.log':
        '203.0.113.5 - - [11/Jan/2020:10:00:00 +0000] "POST /vpn/../vpns/portal/scripts/newbm.pl HTTP/1.1" 403 100 "-" "curl"\n',
    };
    const dir = writeCollection(join(work, 'attempts'), spec);
    const r = await run(['triage', dir, '--json']);
    expect(r.code, r.err).toBe(0);
    const rep = JSON.parse(r.out);
    expect(Object.keys(rep).sort()).toEqual(['collection', 'findings', 'host', 'not_checked', 'stats', 'summary', 'timeline']);
    expect(rep.summary.verdict).toBe('attempts_only');
    expect(rep.findings.every((f: { confidence: string }) => f.confidence === 'low')).toBe(true);
    expect(rep.findings.some((f: { rule: string }) => f.rule === 'portal-file-permissions')).toBe(true);
    for (const f of rep.findings)
      expect(Object.keys(f)).toEqual(expect.arrayContaining(['rule', 'title', 'kind', 'confidence', 'path', 'excerpt']));
  });

  it('--host stores the run joined to the host; --history lists scans and triage runs', async () => {
    const db = join(work, 'ew.db');
    const rec = syntheticRecord(5);
    const store = await openStore({ dialect: 'sqlite', file: db });
    const scan = await store.createScan({ settings: {} });
    await store.insertRecords(scan.id, [rec]);
    await store.close();

    const spec = freshInstall();
    spec.files = { ...spec.files, '/var/tmp/netscalerd': { content: 'x', copy: false } };
    const dir = writeCollection(join(work, 'hosted'), spec);
    const r = await run(['triage', dir, '--host', rec.ip, '--db', db]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/stored triage run t\d{8}T\d{6}-[0-9a-f]{4} for 10\.0\.0\.5 \(1 scan observation/);

    const s2 = await openStore({ dialect: 'sqlite', file: db });
    const runs = await listTriageForHost(s2, rec.ip);
    await s2.close();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ ip: '10.0.0.5', verdict: 'compromised', high: 1, version: '13.0-47.22' });

    const h = await run(['triage', '--host', rec.ip, '--history', '--db', db, '--json']);
    expect(h.code, h.err).toBe(0);
    const hist = JSON.parse(h.out);
    expect(hist.scans).toHaveLength(1);
    expect(hist.scans[0].scan_id).toBe(scan.id);
    expect(hist.triage.map((t: { verdict: string }) => t.verdict)).toEqual(['compromised']);
    const table = await run(['triage', '--host', rec.ip, '--history', '--db', db]);
    expect(table.out).toContain('Triage runs (1)');
    expect(table.out).toContain('Scan observations (1)');
  });
});

/** Every path under `dir` with its size and mtime. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      const st = statSync(p);
      out.push(`${p} ${st.size} ${st.mtimeMs} ${st.mode}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

describe('edgewatch collect-script', () => {
  it('prints a read-only sh script', async () => {
    const r = await run(['collect-script']);
    expect(r.code).toBe(0);
    expect(r.out.startsWith('#!/bin/sh\n')).toBe(true);
    expect(r.out).not.toMatch(/\brm\s|\bchmod\s|\bchown\s|\bmv\s+(?!"\$OUT\/MANIFEST)/);
    expect(spawnSync('sh', ['-n'], { input: r.out }).status).toBe(0);
  });

  it('run with sh on a fake appliance root: the collection triages as expected and the root is untouched', async () => {
    const root = join(work, 'fakeroot');
    const put = (p: string, body: string, mode = 0o444, mtime?: number) => {
      mkdirSync(join(root, p, '..'), { recursive: true });
      writeFileSync(join(root, p), body);
      chmodSync(join(root, p), mode);
      if (mtime) utimesSync(join(root, p), mtime, mtime);
    };
    put('/netscaler/portal/scripts/newbm.pl', '#!/usr/bin/perl\nuse strict;\n', 0o555);
    put(
      '/netscaler/portal/templates/ab12.xml',
      `<user username="../../../netscaler/portal/templates/ab12"><bookmark title="[% template.new({'BLOCK'='print readpipe(chr(105))'}) %]"/></user>\n`,
      0o644,
    );
    put('/var/tmp/netscalerd', 'ELF', 0o755);
    put('/var/netscaler/logon/LogonPoint/uiareas/config.php', '<?php http_response_code(201); eval($_POST["c"]);', 0o644);
    put('/var/vpn/themes/old.css', 'a{}', 0o444, 1_500_000_000);
    put('/flash/boot/loader.conf', 'kernel="/ns-12.1-55.18"\n', 0o444);
    put(
      '/flash/nsconfig/ns.conf',
      '#NS12.1 Build 55.18\nset ns config -IPAddress 192.0.2.20 -netmask 255.255.255.0\nadd system user nsroot 0123456789abcdef -encrypted -hashmethod SHA512\nset ns hostName gw2\n',
      0o600,
    );
    put(
      '/var/log/httpaccess.log',
      '198.51.100.9 - - [12/Jan/2020:01:02:03 +0000] "GET /vpn/index.html HTTP/1.1" 200 512 "-" "Mozilla"\n',
      0o644,
    );
    put('/.live/crontab.txt', '# user: root\n0 * * * * /usr/bin/newsyslog\n# user: nobody\n* * * * * /var/nstmp/.nscache/httpd\n', 0o644);
    put('/.live/hostname', 'gw2\n', 0o644);
    const out = join(work, 'collect-out');
    mkdirSync(out);
    const before = snapshot(root);
    const script = spawn(['collect-script']).out;
    writeFileSync(join(work, 'collect.sh'), script);
    const sh = spawnSync('sh', [join(work, 'collect.sh'), out], { encoding: 'utf8', env: { ...process.env, ROOT: root }, timeout: 30_000 });
    expect(sh.status, sh.stderr).toBe(0);
    expect(snapshot(root)).toEqual(before);
    const archive = sh.stdout.trim();
    expect(archive).toMatch(/edgewatch-collect-gw2-\d{8}T\d{6}Z\.tar\.gz$/);
    expect(readdirSync(out).sort()).toEqual([archive.slice(out.length + 1, -'.tar.gz'.length), archive.slice(out.length + 1)].sort());

    const r = spawn(['triage', archive, '--json']);
    expect(r.code, r.err).toBe(1);
    const rep = JSON.parse(r.out);
    expect(rep.host).toMatchObject({ hostname: 'gw2', ip: '192.0.2.20', version: '12.1-55.18' });
    const rules = [...new Set(rep.findings.map((f: { rule: string; confidence: string }) => `${f.rule}:${f.confidence}`))].sort();
    expect(rules).toEqual([
      'cron-nobody:high',
      'ioc-2023-file:high',
      'miner-netscalerd:high',
      'php-content:high',
      'php-permission:medium',
      'portal-file-permissions:low',
      'template-payload:high',
      'timestomp:medium',
    ]);
    // No secret left the box: of ns.conf only the header, host name and address lines.
    const dir = archive.slice(0, -'.tar.gz'.length);
    const conf = spawnSync('cat', [join(dir, 'fs/nsconfig/ns.conf')], { encoding: 'utf8' }).stdout;
    expect(conf).not.toContain('nsroot');
    expect(conf).toContain('#NS12.1 Build 55.18');
    const manifest = spawnSync('cat', [join(dir, 'MANIFEST.sha256')], { encoding: 'utf8' }).stdout;
    expect(manifest).toMatch(/^[0-9a-f]{64} {2}fs\/netscaler\/portal\/templates\/ab12\.xml$/m);
    expect(manifest).toMatch(/^[0-9a-f]{64} {2}meta\/stat\.txt$/m);
  });
});
