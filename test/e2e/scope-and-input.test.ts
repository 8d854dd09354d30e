/**
 * The scope guard refuses targets outside scope (and excluded or reserved ones) before any
 * connection — proved with a server that would see the connection — and malformed input files
 * stop the scan with file and line named, leaving nothing written.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanRecord } from '../../src/scan/record.js';
import { readJsonl, runCli, tempDir } from './helpers.js';

describe('scope guard, before any connection', () => {
  let server: net.Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const scan = async (args: string[], env: Record<string, string> = {}) => {
    const dir = tempDir();
    const out = join(dir, 'r.jsonl');
    const res = await runCli(['scan', `127.0.0.1:${port}`, '--db', join(dir, 'x.db'), '-o', out, '--silent', '--timeout', '1', ...args], {
      env,
    });
    return { res, records: res.code === 0 ? readJsonl<ScanRecord>(out) : [] };
  };

  it('positive control: an in-scope loopback target is connected to', async () => {
    connections = 0;
    const { res, records } = await scan(['--lab', '--scope', '127.0.0.1/32']);
    expect(res.code, res.stderr).toBe(0);
    expect(connections).toBeGreaterThan(0);
    expect(records[0].status).not.toBe('ok');
  });

  it('a target outside the scope is refused with no connection', async () => {
    connections = 0;
    const { res, records } = await scan(['--lab', '--scope', '127.99.0.0/16']);
    expect(res.code, res.stderr).toBe(0);
    expect(connections).toBe(0);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 'error', reason: 'out_of_scope' });
    expect(res.stderr).toMatch(/REFUSED 127\.0\.0\.1:\d+/);
  });

  it('an exclusion wins over the target list and the scope', async () => {
    connections = 0;
    const dir = tempDir();
    const ef = join(dir, 'optout.txt');
    writeFileSync(ef, '# opt-out\n127.0.0.1\n');
    for (const extra of [
      ['-eh', '127.0.0.1'],
      ['-ef', ef],
    ]) {
      const { res, records } = await scan(['--lab', '--scope', '127.0.0.0/8', ...extra]);
      expect(res.code, res.stderr).toBe(0);
      expect(records[0]).toMatchObject({ status: 'error', reason: 'out_of_scope' });
      expect(records[0].detail).toMatch(/exclu/);
    }
    expect(connections).toBe(0);
  });

  it('loopback is reserved unless the lab profile lifts it', async () => {
    connections = 0;
    const { res, records } = await scan(['--scope', '127.0.0.0/8']);
    expect(res.code, res.stderr).toBe(0);
    expect(records[0].reason).toBe('out_of_scope');
    expect(records[0].detail).toMatch(/reserved/);
    expect(connections).toBe(0);
  });

  it('no scope at all: the scan refuses to start', async () => {
    connections = 0;
    const dir = tempDir();
    const res = await runCli(['scan', `127.0.0.1:${port}`, '--lab', '--db', join(dir, 'x.db'), '--silent'], {
      env: { EDGEWATCH_SCOPE: '' },
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/EW_SCOPE_REQUIRED/);
    expect(connections).toBe(0);
  });
});

describe('malformed target input', () => {
  it('names file and line, and writes nothing', async () => {
    const dir = tempDir();
    const list = join(dir, 'targets.txt');
    writeFileSync(list, '# a list\n127.0.0.1\n127.0.0.2:99999\n127.0.0.3\n');
    const db = join(dir, 'x.db');
    const res = await runCli(['scan', '-l', list, '--lab', '--scope', '127.0.0.0/8', '--db', db, '--silent']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(`${list}:3`);
    expect(res.stderr).toMatch(/EW_TARGET_PARSE/);
    const scans = await runCli(['scans', '--db', db, '-j']);
    expect(scans.stdout.trim()).toBe('');
  });

  it('binary junk is refused with a clear error', async () => {
    const dir = tempDir();
    const list = join(dir, 'junk.bin');
    writeFileSync(list, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3, 0xff, 0xfe, 10, 0x80, 0x81]));
    const res = await runCli(['scan', '-l', list, '--lab', '--scope', '127.0.0.0/8', '--db', join(dir, 'x.db'), '--silent']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(list);
  });

  it('nuclei-style flags and --help work', async () => {
    const res = await runCli(['scan', '--help']);
    expect(res.code).toBe(0);
    for (const f of [
      '--list',
      '--jsonl',
      '--output',
      '--concurrency',
      '--rate-limit',
      '--exclude-hosts',
      '--exclude-file',
      '--timeout',
      '--resume',
      '--stats',
    ]) {
      expect(res.stdout).toContain(f);
    }
  });
});
