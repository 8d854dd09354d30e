import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exchange } from './client.js';

const runner = fileURLToPath(new URL('./fixtures/lab-cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ew-lab-cli-'));
const children: ChildProcess[] = [];

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', runner, 'lab', ...args], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const waitFor = async (re: RegExp, ms = 20_000) => {
    const until = Date.now() + ms;
    while (!re.test(out)) {
      if (Date.now() > until) throw new Error(`timeout waiting for ${re}; stdout=${out} stderr=${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return out;
  };
  return { child, exited, waitFor, stderr: () => err, stdout: () => out };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('edgewatch lab (CLI)', () => {
  it('refuses a range outside 127.0.0.0/8', async () => {
    const p = run(['--range', '10.0.0.0/24', '--http-port', '0']);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('EW_LAB_RANGE');
  });

  it('prints a summary, serves, advances on SIGUSR2 (atomic truth rewrite) and closes on SIGTERM', async () => {
    const truth = join(dir, 'truth.jsonl');
    const mix = join(dir, 'mix.yaml');
    writeFileSync(mix, 'citrix-vulnerable-13.0: 3\nnginx-default: 1\n');
    const port = 40000 + Math.floor(Math.random() * 20000);
    const p = run([
      '--range',
      '127.4.0.0/27',
      '--seed',
      '3',
      '--https-port',
      '0',
      '--http-port',
      String(port),
      '--mix',
      mix,
      '--truth',
      truth,
    ]);
    const out = await p.waitFor(/personas:.*\n/);
    expect(out).toMatch(
      /^lab 127\.4\.0\.0\/27 size=32 mode=per-address listeners=32 https=off http=\d+ seed=3 step=0 personas: citrix-vulnerable-13.0=\d+ nginx-default=\d+\n/,
    );
    const lines = readFileSync(truth, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.length).toBe(32);
    expect(lines.every((l) => l.step === 0 && !('https' in l.expect))).toBe(true);
    const v = lines.find((l) => l.persona === 'citrix-vulnerable-13.0');
    const x = await exchange({ ip: v.ip, port, send: 'HEAD /vpn/../vpns/cfg/smb.conf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' });
    expect(x.data.toString()).toContain('Content-Length: 83');
    p.child.kill('SIGUSR2');
    await p.waitFor(/lab step=1/);
    expect(JSON.parse(readFileSync(truth, 'utf8').split('\n')[0] as string).step).toBe(1);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toContain('lab closed');
  });
});
