import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRefusal, ScopeGuard } from '../../src/scope/index.js';
import { readTargets } from '../../src/targets/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ew-scope-t-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('targets through the guard', () => {
  it('explicitly listed targets are still refused when excluded, reserved or out of scope', async () => {
    const optout = join(dir, 'optout.conf');
    writeFileSync(optout, '# hospital asked us to stop\n127.0.0.2\n');
    const list = join(dir, 'targets.txt');
    writeFileSync(list, '127.0.0.1\n127.0.0.2\n127.0.0.3,vpn.example.nl\n10.1.2.3\n192.0.2.7:8443\n::1\n');
    const guard = new ScopeGuard({
      scope: ['127.0.0.0/8', '192.0.2.0/24'],
      exclude: ['127.0.0.3'],
      excludeFiles: [optout],
      allowReserved: ['127.0.0.0/8'],
    });
    const lines: string[] = [];
    for await (const t of readTargets([{ kind: 'file', path: list }], { ports: [443] })) {
      const d = guard.check(t.ip as string);
      lines.push(d.allowed ? `probe ${t.ip}:${t.port}` : formatRefusal(t, d));
    }
    expect(lines).toEqual([
      'probe 127.0.0.1:443',
      `refused 127.0.0.2:443: excluded by 127.0.0.2 (${optout}:2)`,
      'refused 127.0.0.3:443 (vpn.example.nl): excluded by 127.0.0.3 (exclude)',
      'refused 10.1.2.3:443: reserved range 10.0.0.0/8 (private-use); lift it with allowReserved only if you own it',
      'refused 192.0.2.7:8443: reserved range 192.0.2.0/24 (documentation (TEST-NET-1)); lift it with allowReserved only if you own it',
      'refused [::1]:443: reserved range ::1 (loopback); lift it with allowReserved only if you own it',
    ]);
  });
});
