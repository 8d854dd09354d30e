import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { LookupFn } from '../../src/targets/index.js';
import { resolveTarget, spoolInputs, spoolStdin, validateAndCount } from '../../src/targets/index.js';
import { collect, errorOf, keys, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('stdin spooling', () => {
  it('copies the stream to a file that can be read again and again', async () => {
    const src = Readable.from([Buffer.from('127.0.0.1\n127.0.0.'), Buffer.from('2:8443\n# c\nlocal'), Buffer.from('host\n')]);
    const inputs = await spoolInputs([{ kind: 'arg', value: '127.0.0.9' }, { kind: 'stdin' }], join(tmp.dir, 'spool'), src);
    expect(inputs[1]).toMatchObject({ kind: 'file', label: 'stdin' });
    const path = (inputs[1] as { path: string }).path;
    expect(readFileSync(path, 'utf8')).toBe('127.0.0.1\n127.0.0.2:8443\n# c\nlocalhost\n');
    const a = await collect(inputs);
    expect(keys(a)).toEqual(['127.0.0.9:443', '127.0.0.1:443', '127.0.0.2:8443', '|localhost:443']);
    expect(await collect(inputs)).toEqual(a);
    expect((await validateAndCount(inputs, { ports: [443] })).total).toBe(4);
  });

  it('never overwrites an earlier spool and enforces a size bound', async () => {
    const dir = join(tmp.dir, 'spool2');
    const p1 = await spoolStdin(dir, Readable.from([Buffer.from('127.0.0.1\n')]));
    const p2 = await spoolStdin(dir, Readable.from([Buffer.from('127.0.0.2\n')]));
    expect(p1).not.toBe(p2);
    expect(readFileSync(p1, 'utf8')).toBe('127.0.0.1\n');
    const err = await errorOf(() => spoolStdin(dir, Readable.from([Buffer.alloc(600, 0x31), Buffer.alloc(600, 0x31)]), 1000));
    expect(err).toMatchObject({ code: 'EW_TARGET_STDIN' });
    expect(readdirSync(dir).length).toBe(2); // the partial copy was removed
    await expect(spoolInputs([{ kind: 'stdin' }, { kind: 'stdin' }], dir, Readable.from([]))).rejects.toMatchObject({
      code: 'EW_TARGET_STDIN',
    });
  });

  it('reads the real process stdin in a child process', () => {
    const script = join(tmp.dir, 'child.mts');
    const src = join(process.cwd(), 'src/targets/index.ts');
    writeFileSync(
      script,
      `import { spoolInputs, readTargets } from ${JSON.stringify(src)};\n` +
        `const inputs = await spoolInputs([{ kind: 'stdin' }], ${JSON.stringify(join(tmp.dir, 'spool3'))});\n` +
        `const out = [];\nfor await (const t of readTargets(inputs, { ports: [443] })) out.push(t.ip + ':' + t.port);\n` +
        `console.log(JSON.stringify(out));\n`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
      input: '#masscan\nopen tcp 8443 127.0.0.7 1\n# end\n',
      encoding: 'utf8',
      timeout: 30_000,
      cwd: process.cwd(),
    });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual(['127.0.0.7:8443']);
    expect(existsSync(join(tmp.dir, 'spool3'))).toBe(true);
  });
});

describe('resolveTarget', () => {
  const fake =
    (table: Record<string, string>): LookupFn =>
    async (host) => {
      const address = table[host];
      if (address === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return { address, family: address.includes(':') ? 6 : 4 };
    };

  it('returns targets that already have an address unchanged, without a lookup', async () => {
    const t = { ip: '127.0.0.1', host: 'vpn.example.nl', port: 443, seq: 3 };
    const never: LookupFn = async () => {
      throw new Error('must not be called');
    };
    expect(await resolveTarget(t, never)).toBe(t);
  });

  it('resolves names through the given lookup, keeping host, port and seq', async () => {
    const r = await resolveTarget({ host: 'vpn.example.nl', port: 8443, seq: 7 }, fake({ 'vpn.example.nl': '127.0.0.5' }));
    expect(r).toEqual({ host: 'vpn.example.nl', ip: '127.0.0.5', port: 8443, seq: 7 });
    const r6 = await resolveTarget({ host: 'v6.example.nl', port: 443, seq: 0 }, fake({ 'v6.example.nl': '0:0::1' }));
    expect(r6.ip).toBe('::1');
    const mapped = await resolveTarget({ host: 'm.example.nl', port: 443, seq: 0 }, async () => [
      { address: '::ffff:127.0.0.8', family: 6 },
    ]);
    expect(mapped.ip).toBe('127.0.0.8');
  });

  it('maps failures to EW_TARGET_DNS', async () => {
    const e1 = await errorOf(() => resolveTarget({ host: 'nx.example.nl', port: 443, seq: 0 }, fake({})));
    expect(e1).toMatchObject({ code: 'EW_TARGET_DNS' });
    expect(e1.message).toBe('cannot resolve "nx.example.nl": no such host (ENOTFOUND)');
    const e2 = await errorOf(() =>
      resolveTarget({ host: 'junk.example.nl', port: 443, seq: 0 }, async () => ({ address: 'not-an-ip', family: 4 })),
    );
    expect(e2).toMatchObject({ code: 'EW_TARGET_DNS' });
    const e3 = await errorOf(() => resolveTarget({ port: 443, seq: 0 }, fake({})));
    expect(e3).toMatchObject({ code: 'EW_TARGET_DNS' });
  });

  it('times out a lookup that never answers', async () => {
    const t0 = performance.now();
    const hang: LookupFn = () => new Promise(() => {});
    const e = await errorOf(() => resolveTarget({ host: 'slow.example.nl', port: 443, seq: 0 }, hang, 50));
    expect(e).toMatchObject({ code: 'EW_TARGET_DNS' });
    expect(e.message).toContain('timed out after 50 ms');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('resolves localhost through the OS resolver to a loopback address', async () => {
    const r = await resolveTarget({ host: 'localhost', port: 443, seq: 0 });
    expect(r.ip === '::1' || r.ip.startsWith('127.')).toBe(true);
  });
});
