/**
 * `scan --distributed --resume`: a coordinator stopped (Ctrl-C) while batches are queued leaves
 * them queued; a worker finishes them; the resumed coordinator skips what is stored, leaves
 * nothing twice, enqueues the rest, and the scan ends with exactly one record per target.
 * Also: with Redis unreachable, `scan --distributed` refuses to start and writes nothing.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../src/lab/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { compareWithTruth, readJsonl, runCli, startCli, tempDir } from '../e2e/helpers.js';
import { REDIS_URL, serviceGate } from '../helpers/services.js';
import { freePort, testPrefix } from './helpers.js';

const RANGE = '127.64.0.0/25';
const gate = await serviceGate('redis');

describe.skipIf(!gate.ok)('distributed resume', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ range: RANGE, seed: 23, httpsPort: 0, httpPort: 0, listen: 'auto' });
  }, 60_000);
  afterAll(async () => {
    await lab?.close();
  });

  it('interrupted coordinator, resumed: exact record set', async () => {
    const dir = tempDir('ew-dresume-');
    const db = join(dir, 'r.db');
    const prefix = testPrefix('resume');
    const q = ['--db', db, '--redis', REDIS_URL, '--queue-prefix', prefix];
    const scanArgs = ['--lab', '--scope', RANGE, '--timeout', '2', '--total-timeout', '5', '--batch-size', '16', '--max-queued', '3', '--stats', '-si', '1'];
    const first = startCli(['scan', '--distributed', RANGE, '-p', String(lab.httpsPort), ...q, ...scanArgs]);
    let err = '';
    first.child.stderr?.on('data', (d) => (err += String(d)));
    // No worker yet: the coordinator fills the queue to --max-queued and waits.
    const end = Date.now() + 90_000;
    while (!/batches queued 3/.test(err) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(err, err).toMatch(/batches queued 3/);
    first.child.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.code, r1.stderr).toBe(130);
    const id = /scan (s\d{8}T\d{6}-[0-9a-f]+) interrupted/.exec(r1.stderr)?.[1];
    expect(id).toBeTruthy();

    // A worker takes the three queued batches (and then anything the resume adds).
    const worker = startCli(['worker', ...q, '--lab', '--scope', RANGE, '-c', '32', '--stats-interval', '0', '--verbose']);
    try {
      const resumed = await runCli(['scan', '--distributed', '--resume', id as string, ...q, '--lab', '--scope', RANGE, '--no-summary', '--silent', '-o', join(dir, 'out.jsonl')]);
      expect(resumed.code, resumed.stderr).toBe(0);
      const records = readJsonl<ScanRecord>(join(dir, 'out.jsonl'));
      expect(records.length).toBe(128);
      expect(new Set(records.map((r) => r.seq)).size).toBe(128);
      const { mismatches } = compareWithTruth(records, lab.truth());
      expect(mismatches.slice(0, 10)).toEqual([]);
      const st = await runCli(['scan', 'status', id as string, ...q]);
      expect(st.stdout).toMatch(/finished, distributed/);
      expect(st.stdout).toMatch(/records 128 of 128/);
    } finally {
      worker.child.kill('SIGTERM');
      const w = await worker.done;
      // Each of the 8 batches ran exactly once (the resume did not re-enqueue queued ones).
      const starts = [...w.stderr.matchAll(/batch (\S+) start/g)].map((m) => m[1]);
      expect(new Set(starts).size).toBe(8);
      expect(starts.length).toBe(8);
    }
  }, 180_000);

  it('refuses to start when Redis is unreachable, writing nothing', async () => {
    const dir = tempDir('ew-dnoredis-');
    const db = join(dir, 'n.db');
    const port = await freePort();
    const r = await runCli(['scan', '--distributed', '127.64.0.1', '--lab', '--scope', RANGE, '--db', db, '--redis', `redis://127.0.0.1:${port}`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/EW_QUEUE_REDIS_DOWN/);
    const scans = await runCli(['scans', '--db', db]);
    expect(scans.stdout).not.toMatch(/s\d{8}T/);
  }, 60_000);
});
