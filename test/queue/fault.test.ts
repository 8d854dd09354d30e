/**
 * THE distributed fault test: a 1,024-host lab, a private redis-server (AOF on), three worker
 * processes and a coordinator. One worker is killed with SIGKILL in the middle of a batch and
 * Redis is restarted once; the scan still ends with exactly one record per target, matching the
 * lab truth, and the killed worker's batch was taken over by another worker.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../src/lab/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { compareWithTruth, readJsonl, runCli, startCli, tempDir } from '../e2e/helpers.js';
import { type PrivateRedis, redisBinaryGate, startPrivateRedis } from './helpers.js';

const RANGE = '127.60.0.0/22';
const gate = redisBinaryGate();

function waitFor(cond: () => boolean, ms: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (cond()) {
        clearInterval(t);
        resolve();
      } else if (Date.now() > end) {
        clearInterval(t);
        reject(new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`));
      }
    }, 25);
  });
}

describe.skipIf(!gate.ok)('distributed scan survives a killed worker and a Redis restart', () => {
  let lab: Lab;
  let redis: PrivateRedis;
  beforeAll(async () => {
    lab = await startLab({ range: RANGE, seed: 17, httpsPort: 0, httpPort: 0, listen: 'auto' });
    redis = await startPrivateRedis();
  }, 120_000);
  afterAll(async () => {
    await redis?.stop();
    await lab?.close();
  });

  it('exactly one record per target, matching the lab truth', async () => {
    const dir = tempDir('ew-fault-');
    const db = join(dir, 'shared.db');
    const common = ['--db', db, '--redis', redis.url, '--lab', '--scope', RANGE];
    // Create the store first, as the deployment steps do: this test is about faults during the
    // scan, not about several processes creating a fresh store at the same moment.
    const mig = await runCli(['db', 'migrate', '--db', db]);
    expect(mig.code, mig.stderr).toBe(0);
    const workers = [0, 1, 2].map(() =>
      startCli([
        'worker',
        ...common,
        '-c',
        '24',
        '--batches',
        '1',
        '--lock-ms',
        '5000',
        '--stalled-ms',
        '1000',
        '--stats-interval',
        '0',
        '--verbose',
      ]),
    );
    const workersOut = ['', '', ''];
    const stderr = (i: number) => workersOut[i];
    workers.forEach((w, i) => w.child.stderr?.on('data', (d) => (workersOut[i] += String(d))));
    try {
      const coord = startCli([
        'scan',
        '--distributed',
        RANGE,
        '-p',
        String(lab.httpsPort),
        ...common,
        '--batch-size',
        '64',
        '--max-queued',
        '12',
        '--retry-delay',
        '0.5',
        '--timeout',
        '2',
        '--total-timeout',
        '5',
        '--stats',
        '-si',
        '2',
        '--no-summary',
      ]);
      let coordErr = '';
      coord.child.stderr?.on('data', (d) => (coordErr += String(d)));
      // Kill worker 0 in the middle of a batch: after it logged a batch start (its second or later
      // batch, so the kill lands inside the scan) and while that batch has not ended.
      let victimBatch = '';
      const deadline = Date.now() + 90_000;
      for (let n = 1; !victimBatch; n++) {
        await waitFor(
          () => [...stderr(0).matchAll(/batch (\S+) start/g)].length > n || coord.child.exitCode !== null,
          deadline - Date.now(),
          () =>
            `worker 0 to start batch #${n + 1}; its log:\n${stderr(0).slice(-2000)}\nothers:\n${stderr(1).slice(-1000)}\ncoordinator:\n${coordErr.slice(-2000)}`,
        );
        expect(coord.child.exitCode, `the coordinator ended before the kill:\n${coordErr.slice(-3000)}`).toBeNull();
        const b = [...stderr(0).matchAll(/batch (\S+) start/g)][n][1];
        await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 150)));
        if (!stderr(0).includes(`batch ${b} done`)) victimBatch = b;
      }
      workers[0].child.kill('SIGKILL');
      const killed = await workers[0].done;
      expect(killed.signal).toBe('SIGKILL');

      // Restart Redis once while the other workers and the coordinator are busy.
      await new Promise((r) => setTimeout(r, 500));
      await redis.restart(1500);

      const res = await coord.done;
      if (process.env.EW_FAULT_LOG) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(process.env.EW_FAULT_LOG, `${res.stderr}\n----\n${workersOut.join('\n----\n')}`);
      }
      expect(res.code, res.stderr.slice(-3000)).toBe(0);
      // The restart really happened under load: the coordinator waited for Redis and went on.
      expect(res.stderr).toMatch(/waiting for Redis/);
      // The killed worker's batch was taken over by another worker.
      expect(stderr(1) + stderr(2)).toContain(`batch ${victimBatch} start`);

      const exported = join(dir, 'export.jsonl');
      const ex = await runCli(['export', '--db', db, '-o', exported]);
      expect(ex.code, ex.stderr).toBe(0);
      const records = readJsonl<ScanRecord>(exported);
      expect(records.length).toBe(1024);
      expect(new Set(records.map((r) => r.seq)).size).toBe(1024);
      expect(new Set(records.map((r) => r.ip)).size).toBe(1024);
      const { mismatches } = compareWithTruth(records, lab.truth());
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
      const scans = await runCli(['scans', '--db', db]);
      expect(scans.stdout).toMatch(/finished\s.*\s1024\s+1024/);
    } finally {
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.done));
    }
  }, 300_000);
});
