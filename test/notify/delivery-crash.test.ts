/**
 * Exactly once across a crash, through the real CLI: `notify send` with
 * EDGEWATCH_FAULT=notify-after-accept SIGKILLs itself right after the server accepted the message
 * and before recording it. The server holds one message; the next run sends nothing and reports
 * the message `uncertain` with its Message-ID (also in `notify list --state uncertain`);
 * `--retry-uncertain` sends it again with the SAME Message-ID.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCase, addMessage, type Seeded, seededStore } from './delivery-seed.js';
import { startSmtp, type TestSmtp } from './smtp-server.js';

const BIN = resolve(import.meta.dirname, '../../bin/edgewatch.js');

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      done({ code, signal, stdout, stderr });
    });
  });
}

let s: Seeded;
let smtp: TestSmtp;
let cfgFile: string;
let mid: string;

beforeAll(async () => {
  s = await seededStore();
  smtp = await startSmtp();
  await addCase(s.store, 'EW-2020-000042');
  mid = await addMessage(s.store, { id: 'ew-crash1', case_id: 'EW-2020-000042', to: ['security@hospital.example'] });
  await s.store.close();
  cfgFile = join(s.dir, 'edgewatch.yaml');
  writeFileSync(
    cfgFile,
    `notify:\n  from: "CERT Example <cert@example.org>"\n  max_attempts: 2\n  retry_delay_ms: 20\n  smtp:\n    host: 127.0.0.1\n    port: ${smtp.port}\n    starttls: never\n    timeout_ms: 5000\n`,
  );
});
afterAll(async () => {
  await smtp.close();
  await s.cleanup();
});

describe('notify send: crash between acceptance and recording', () => {
  it('never sends a second mail silently, never loses one', async () => {
    const common = ['--config', cfgFile, '--db', s.file];
    const killed = await run(['notify', 'send', ...common], { EDGEWATCH_FAULT: 'notify-after-accept' });
    expect(killed.signal).toBe('SIGKILL');
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].parsed.messageId).toBe(mid);

    const rerun = await run(['notify', 'send', ...common]);
    expect(rerun.code).toBe(1);
    expect(rerun.stdout).toContain('sent 0, failed 0, uncertain 0');
    expect(rerun.stdout).toMatch(/1 message\(s\) were interrupted/);
    expect(rerun.stdout).toContain(`uncertain ew-crash1 (EW-2020-000042) ${mid}`);
    expect(smtp.received).toHaveLength(1);

    const list = await run(['notify', 'list', '--state', 'uncertain', ...common]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('ew-crash1');
    expect(list.stdout).toContain(mid);

    const retry = await run(['notify', 'send', '--retry-uncertain', ...common]);
    expect(retry.stderr).not.toMatch(/internal error/);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('sent 1, failed 0, uncertain 0');
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1].parsed.messageId).toBe(mid);

    const json = await run(['notify', 'send', '--json', ...common]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ considered: 0, sent: 0, pendingUncertain: [] });
    expect(smtp.received).toHaveLength(2);
  });
});
