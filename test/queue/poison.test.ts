/**
 * A poison batch (one that always fails) ends in the failed set after N attempts with its error,
 * is not retried forever, and `edgewatch scan status` shows it.
 */
import { Queue } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { connectionOptions, SCAN_QUEUE } from '../../src/queue/index.js';
import { runCli } from '../e2e/helpers.js';
import { REDIS_URL, serviceGate } from '../helpers/services.js';
import { DIALECTS } from '../store/dialects.js';
import { createDistributedScan, dialectStore, inProcessWorker, until } from './fixtures.js';
import { testPrefix } from './helpers.js';

const gate = await serviceGate('redis');

describe.skipIf(!gate.ok).each(DIALECTS)('poison batches (%s store)', (dialect) => {
  it('end in the failed set after N attempts, visible in scan status', async () => {
    const prefix = testPrefix('poison');
    const { store, db: file, cleanup } = await dialectStore(dialect);
    const scan = await createDistributedScan(store, { total: 8, batchSize: 4, prefix });
    const q = new Queue(SCAN_QUEUE, { connection: connectionOptions(REDIS_URL), prefix });
    const log: string[] = [];
    const w = await inProcessWorker({ redis: REDIS_URL, prefix, store, scope: ['127.63.0.0/24'], log });
    try {
      // Batch 1 carries a seq outside its range (an always-failing payload); batch 0 is fine.
      const opts = { attempts: 3, backoff: { type: 'fixed', delay: 100 } } as const;
      await q.add('scan-batch', { v: 1, scan: scan.id, batch: 1, t: [[1, '127.63.0.1', 9, null]] }, { ...opts, jobId: `${scan.id}-b1` });
      await q.add('scan-batch', { v: 1, scan: scan.id, batch: 0, t: [[0, '127.63.0.9', 9, null]] }, { ...opts, jobId: `${scan.id}-b0` });
      await until(async () => (await q.getJobState(`${scan.id}-b1`)) === 'failed', 20_000, 'the poison batch to fail');
      const job = await q.getJob(`${scan.id}-b1`);
      expect(job?.attemptsMade).toBe(3);
      expect(job?.failedReason).toMatch(/^EW_QUEUE_BAD_JOB: .*seq 1 outside its range 4-7/);
      // Not an endless loop: no further attempts after it failed.
      await new Promise((r) => setTimeout(r, 800));
      expect(log.filter((l) => l.includes(`${scan.id}-b1 failed`)).length).toBe(3);
      expect((await q.getJob(`${scan.id}-b1`))?.attemptsMade).toBe(3);
      // The good batch went through.
      await until(async () => (await store.getScan(scan.id))?.done === 1, 10_000, 'the good batch');

      const st = await runCli(['scan', 'status', scan.id, '--db', file, '--redis', REDIS_URL, '--queue-prefix', prefix]);
      expect(st.code, st.stderr).toBe(0);
      expect(st.stdout).toMatch(/records 1 of 8/);
      expect(st.stdout).toMatch(/1 failed/);
      expect(st.stdout).toMatch(new RegExp(`FAILED ${scan.id}-b1 after 3 attempts: EW_QUEUE_BAD_JOB`));
      const js = await runCli(['scan', 'status', scan.id, '--db', file, '--redis', REDIS_URL, '--queue-prefix', prefix, '--json']);
      const parsed = JSON.parse(js.stdout) as { queue: { failed: Array<{ id: string; attempts: number }>; workers: unknown[] } };
      expect(parsed.queue.failed).toEqual([expect.objectContaining({ id: `${scan.id}-b1`, attempts: 3 })]);
      expect(parsed.queue.workers.length).toBe(1);
    } finally {
      await w.close();
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
      await cleanup();
    }
  }, 60_000);
});
