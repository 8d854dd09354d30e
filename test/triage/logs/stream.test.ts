/**
 * Reading hostile and rotated logs: gzip rotations read oldest first (recognised by magic bytes,
 * not by name), a gzip bomb, a corrupt gzip, binary junk, overlong lines, line numbers across
 * chunk boundaries, abort. Uses a directory-backed collection in a temp dir for the files on disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../../src/errors.js';
import { analyzeLogs, selectLogFiles } from '../../../src/triage/logs/index.js';
import { access, DirCollection, MemCollection, writeCollection } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'ew-triage-logs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ORDINARY = (i: number): string =>
  access(`10.0.0.${i % 250}`, '16/Jan/2020:08:00:00 +0000', `GET /vpn/index.html?i=${i} HTTP/1.1`, 200);

describe('rotations', () => {
  it('reads plain and gzip rotations oldest first and links a write in .1.gz to the render in the live file', async () => {
    const root = join(tmp, 'rot');
    writeCollection(
      root,
      {
        '/var/log/httpaccess.log': `${ORDINARY(1)}\n${access('192.0.2.5', '17/Jan/2020:20:00:09 +0000', 'GET /vpns/portal/tpl.xml HTTP/1.1', 200)}\n`,
        '/var/log/httpaccess.log.0.gz': `${ORDINARY(2)}\n`,
        '/var/log/httpaccess.log.1.gz': `${ORDINARY(3)}\n${ORDINARY(4)}\n${access('192.0.2.5', '17/Jan/2020:20:00:00 +0000', 'POST /vpns/portal/scripts/newbm.pl HTTP/1.1', 200)}\n`,
        '/var/log/httpaccess.log.2': `${access('198.51.100.1', '15/Jan/2020:01:00:00 +0000', 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', 403)}\n`,
        '/var/log/httpaccess.log.3.gz': `${access('198.51.100.2', '14/Jan/2020:01:00:00 +0000', 'GET /vpn/../vpns/portal/a.xml HTTP/1.1', 404)}\n`,
        '/var/log/httpaccess.log.notes': 'not a rotation\n',
      },
      ['/var/log/httpaccess.log.0.gz', '/var/log/httpaccess.log.1.gz', '/var/log/httpaccess.log.3.gz'],
    );
    const c = new DirCollection(root);
    expect(selectLogFiles(c.files(), ['httpaccess.log']).map((f) => f.path)).toEqual([
      '/var/log/httpaccess.log.3.gz',
      '/var/log/httpaccess.log.2',
      '/var/log/httpaccess.log.1.gz',
      '/var/log/httpaccess.log.0.gz',
      '/var/log/httpaccess.log',
    ]);
    const r = await analyzeLogs(c);
    expect(r.findings.map((f) => `${f.path}:${f.line} ${f.rule}`)).toEqual([
      '/var/log/httpaccess.log.3.gz:1 access-exploit-failed',
      '/var/log/httpaccess.log.2:1 access-probe-blocked',
      '/var/log/httpaccess.log.1.gz:3 access-scan-success',
      '/var/log/httpaccess.log:2 access-exploit-success',
    ]);
    expect(r.checked[0]).toMatch(/^access logs \(5 files, 3 gzip; /);
    expect(r.timeline.map((e) => e.time)).toEqual([...r.timeline.map((e) => e.time)].sort());
    expect(r.timeline.some((e) => e.what.startsWith('template written') && e.path === '/var/log/httpaccess.log')).toBe(true);
  });

  it('detects gzip by magic bytes, not by name', async () => {
    const line = access('192.0.2.7', '17/Jan/2020:20:00:00 +0000', 'GET /vpns/portal/x.xml HTTP/1.1', 200);
    const r = await analyzeLogs(
      new MemCollection({
        '/var/log/httpaccess.log.1': gzipSync(`${line}\n`), // gzip without .gz
        '/var/log/httpaccess.log.0.gz': `${line}\n`, // plain with .gz
      }),
    );
    expect(r.findings.map((f) => f.path)).toEqual(['/var/log/httpaccess.log.1', '/var/log/httpaccess.log.0.gz']);
    expect(r.checked[0]).toMatch(/2 files, 1 gzip/);
  });
});

describe('hostile input', () => {
  it('stops a gzip bomb at the cap with a note, and still reads the other files', async () => {
    const bomb = gzipSync(Buffer.alloc(96 * 1024 * 1024, 0x41)); // ~96 KiB → 96 MiB of 'A', no newline
    const good = access('192.0.2.8', '17/Jan/2020:20:00:00 +0000', 'GET /vpns/portal/x.xml HTTP/1.1', 200);
    const c = new MemCollection({ '/var/log/httpaccess.log.0.gz': bomb, '/var/log/httpaccess.log': `${good}\n` }, {}, 64 * 1024);
    const t = Date.now();
    const r = await analyzeLogs(c);
    expect(Date.now() - t).toBeLessThan(10_000);
    expect(
      r.notChecked.some((s) => s.startsWith('/var/log/httpaccess.log.0.gz: stopped after 64.0 MiB decompressed (cap; possible gzip bomb)')),
    ).toBe(true);
    expect(r.findings.map((f) => f.path)).toEqual(['/var/log/httpaccess.log']);
    expect(r.checked[0]).toMatch(/1 overlong lines skipped/);
  });

  it('honours maxBytesPerFile on plain files', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => ORDINARY(i));
    lines.push(access('192.0.2.8', '17/Jan/2020:20:00:00 +0000', 'GET /vpns/portal/x.xml HTTP/1.1', 200));
    const r = await analyzeLogs(new MemCollection({ '/var/log/httpaccess.log': `${lines.join('\n')}\n` }), { maxBytesPerFile: 10_000 });
    expect(r.findings).toEqual([]);
    expect(r.bytes).toBe(10_000);
    expect(r.notChecked[0]).toMatch(
      /^\/var\/log\/httpaccess\.log: stopped after 9\.8 KiB \(per-file cap\) after line \d+; the rest was not checked$/,
    );
  });

  it('keeps what a truncated gzip gave before the damage', async () => {
    const lines = [access('192.0.2.9', '17/Jan/2020:20:00:00 +0000', 'GET /vpns/portal/early.xml HTTP/1.1', 200)];
    for (let i = 0; i < 5000; i++) lines.push(`${ORDINARY(i)} ${Math.sin(i)}`);
    const gz = gzipSync(`${lines.join('\n')}\n`);
    const r = await analyzeLogs(new MemCollection({ '/var/log/httpaccess.log.0.gz': gz.subarray(0, gz.length >> 1) }, {}, 1024));
    expect(r.findings.map((f) => f.line)).toEqual([1]);
    expect(r.notChecked[0]).toMatch(/^\/var\/log\/httpaccess\.log\.0\.gz: gzip data corrupt or truncated/);
  });

  it('survives binary junk and overlong lines, escapes excerpts and keeps line numbers', async () => {
    let seed = 7;
    const junk = Buffer.alloc(200_000);
    for (let i = 0; i < junk.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      junk[i] = seed >> 16;
    }
    junk.write('vpns %76 .php', 5000, 'latin1');
    const nlInJunk = junk.reduce((n, b) => n + (b === 10 ? 1 : 0), 0);
    const overlong = `1.2.3.4 - - [17/Jan/2020:20:00:00 +0000] "GET /vpns/portal/${'a'.repeat(100_000)}.xml HTTP/1.1" 200 1 "-" "-"`;
    const evil = `1.2.3.4 - - [17/Jan/2020:20:00:01 +0000] "GET /vpns/portal/x\x00\x1b[31m\xff.xml HTTP/1.1" 200 1 "-" "-"`;
    const body = Buffer.concat([junk, Buffer.from(`\n${overlong}\n${evil}\n`, 'latin1')]);
    const r = await analyzeLogs(new MemCollection({ '/var/log/httpaccess.log': body }, {}, 3000));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect(f.line).toBe(nlInJunk + 3);
    expect(f.excerpt).toContain('x\\x00\\x1b[31m\\xff.xml');
    expect(f.excerpt).not.toMatch(/[\x00-\x1f\x7f-\xff]/);
    expect(r.checked[0]).toMatch(/overlong lines skipped/);
  });

  it('numbers lines the same whatever the chunk size', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 97 === 5) lines.push(access('192.0.2.1', '17/Jan/2020:20:00:00 +0000', `GET /vpn/../vpns/portal/f${i}.xml HTTP/1.1`, 404));
      else if (i % 101 === 0) lines.push('');
      else if (i % 103 === 0) lines.push(`${ORDINARY(i)}\r`);
      else lines.push(ORDINARY(i));
    }
    const text = lines.join('\n');
    const expected = lines.flatMap((l, i) => (l.includes('/vpns/') ? [i + 1] : [])).slice(0, 50);
    for (const chunk of [7, 100, 4096, 1 << 20]) {
      const r = await analyzeLogs(new MemCollection({ '/var/log/httpaccess.log': text }, {}, chunk));
      expect(r.findings.slice(0, 50).map((f) => f.line)).toEqual(expected);
      expect(r.checked[0]).toContain('3,000 lines');
    }
    const head = lines.slice(0, 400).join('\n');
    const r1 = await analyzeLogs(new MemCollection({ '/var/log/httpaccess.log': head }, {}, 1));
    expect(r1.findings.map((f) => f.line)).toEqual(expected.filter((n) => n <= 400));
  });

  it('lists what is missing and throws EW_TRIAGE_ABORTED when aborted', async () => {
    const empty = await analyzeLogs(new MemCollection({ '/var/log/ns.log': 'x\n' }));
    expect(empty.notChecked).toEqual([
      'access logs: no /var/log/httpaccess.log* in the collection',
      'error logs: no /var/log/httperror.log* in the collection',
      'shell history: no /var/log/bash.log*, /var/log/notice.log*, /var/log/sh.log* in the collection',
      'cron logs: no /var/log/cron* in the collection',
    ]);
    const ac = new AbortController();
    ac.abort();
    await expect(analyzeLogs(new MemCollection({ '/var/log/httpaccess.log': 'x\n' }), { signal: ac.signal })).rejects.toSatisfy((e) =>
      isEdgewatchError(e, 'EW_TRIAGE_ABORTED'),
    );
  });

  it('notes a file the collection cannot open and goes on', async () => {
    const c = new MemCollection({ '/var/log/httperror.log': 'curl: x\n' });
    const files = [...c.files(), { path: '/var/log/httperror.log.0.gz', size: 10 }];
    c.files = () => files;
    const r = await analyzeLogs(c);
    expect(r.notChecked).toContain('/var/log/httperror.log.0.gz: cannot be read (no /var/log/httperror.log.0.gz)');
    expect(r.findings).toHaveLength(1);
  });
});

describe('line splitter', () => {
  it('hands on every non-empty line with its number, whatever the chunk size', async () => {
    const { forEachLine } = await import('../../../src/triage/logs/lines.js');
    const text = Buffer.from('a\n\nbb\r\n\n\nccc\nlast', 'latin1');
    for (const size of [1, 2, 3, 5, 64]) {
      const got: string[] = [];
      async function* chunks(): AsyncGenerator<Buffer> {
        for (let i = 0; i < text.length; i += size) yield text.subarray(i, i + size);
      }
      const st = { lines: 0, overlong: 0 };
      await forEachLine(chunks(), { prefilter: null, line: (s, n) => got.push(`${n}:${s}`) }, st);
      expect(got).toEqual(['1:a', '3:bb', '6:ccc', '7:last']);
      expect(st.lines).toBe(7);
    }
  });

  it('counts a newline flood fast', async () => {
    const flood = gzipSync(Buffer.alloc(48 * 1024 * 1024, 10));
    const t = Date.now();
    const r = await analyzeLogs(new MemCollection({ '/var/log/httpaccess.log.0.gz': flood, '/var/log/httperror.log': flood }, {}, 1 << 20));
    expect(Date.now() - t).toBeLessThan(15_000);
    expect(r.checked.map((s) => s.includes('50,331,648 lines'))).toEqual([true, true]);
  });
});
