/**
 * Enrichment jobs run on the same queue machinery as scan batches: a scan of the lab is stored,
 * `edgewatch queue enrich --wait` enqueues an `enrich-scan` job, an `edgewatch worker` process
 * takes it and enriches the scan into the store (one `ip_enrichment` row per observed address),
 * and a job for a scan the worker's store does not know ends in the failed set with its error.
 * Both dialects (SQLite always; PostgreSQL when available, always under CI=true).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../src/lab/index.js';
import { addJob, ENRICH_QUEUE, ENRICH_SCAN, openQueue } from '../../src/queue/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { readJsonl, runCli, startCli, tempDir } from '../e2e/helpers.js';
import { REDIS_URL, serviceGate } from '../helpers/services.js';
import { DIALECTS } from '../store/dialects.js';
import { dialectStore, until } from './fixtures.js';
import { testPrefix } from './helpers.js';

const RANGE = '127.66.0.0/26';
const gate = await serviceGate('redis');

describe.skipIf(!gate.ok)('enrichment jobs on the queue', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ range: RANGE, seed: 31, httpsPort: 0, httpPort: 0, listen: 'auto' });
  }, 60_000);
  afterAll(async () => {
    await lab?.close();
  });

  it.each(DIALECTS)('a worker enriches a stored scan; an unknown scan fails (%s store)', async (dialect) => {
    const { store, db, cleanup } = await dialectStore(dialect);
    const prefix = testPrefix('enrich');
    const q = ['--db', db, '--redis', REDIS_URL, '--queue-prefix', prefix];
    const dir = tempDir('ew-qenrich-');
    const out = join(dir, 'r.jsonl');
    const scan = await runCli(['scan', RANGE, '-p', String(lab.httpsPort), '--lab', '--scope', RANGE, '--db', db, '-o', out, '--silent', '--no-summary']);
    expect(scan.code, scan.stderr).toBe(0);
    const records = readJsonl<ScanRecord>(out);
    expect(records.length).toBe(64);
    const okIps = new Set(records.filter((r) => r.status === 'ok').map((r) => r.ip));
    expect(okIps.size).toBeGreaterThan(0);
    expect(okIps.size).toBeLessThan(64); // the lab has unreachable/erroring personas too: a real filter

    const worker = startCli(['worker', ...q, '--lab', '--scope', RANGE, '--stats-interval', '0']);
    const jobs = openQueue(ENRICH_QUEUE, { redis: REDIS_URL, prefix });
    try {
      const r = await runCli(['queue', 'enrich', ...q, '--wait', '60', '--json']);
      expect(r.code, `${r.stderr}\n${r.stdout}`).toBe(0);
      const res = JSON.parse(r.stdout) as { hosts: number; enriched: number; scan: string };
      expect(res.hosts).toBe(okIps.size);
      expect(res.enriched).toBe(okIps.size);
      const rows = await store.db.selectFrom('ip_enrichment').select('ip').execute();
      expect(new Set(rows.map((x) => x.ip))).toEqual(okIps);

      // A job naming a scan this store does not have: retried, then failed with its error.
      await addJob(jobs, ENRICH_SCAN, { v: 1, scan: 's20000101T000000-dead' }, { jobId: 'nope', attempts: 2, backoff: { type: 'fixed', delay: 50 } });
      await until(async () => (await jobs.getJobState('nope')) === 'failed', 20_000, 'the unknown-scan job to fail');
      const bad = await jobs.getJob('nope');
      expect(bad?.attemptsMade).toBe(2);
      expect(bad?.failedReason).toMatch(/^EW_QUEUE_SCAN_UNKNOWN: enrichment job for scan s20000101T000000-dead/);
    } finally {
      worker.child.kill('SIGTERM');
      const w = await worker.done;
      expect(w.stderr).toMatch(/enrich \S+-enrich done: \d+ hosts enriched/);
      await jobs.obliterate({ force: true }).catch(() => {});
      await jobs.close();
      await cleanup();
    }
  }, 120_000);
});
