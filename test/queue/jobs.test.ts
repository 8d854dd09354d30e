/**
 * The generic job layer: a second job type (not a scan batch) runs on the same machinery; payloads
 * are validated on both sides; unknown job names end in the failed set with EW_QUEUE_BAD_JOB.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isEdgewatchError } from '../../src/errors.js';
import { addJob, defineJobType, openQueue, startQueueWorker } from '../../src/queue/index.js';
import { REDIS_URL, serviceGate } from '../helpers/services.js';
import { until } from './fixtures.js';
import { testPrefix } from './helpers.js';

const gate = await serviceGate('redis');

describe.skipIf(!gate.ok)('named job types', () => {
  it('runs a custom job type, validates payloads, fails unknown names', async () => {
    const s = { redis: REDIS_URL, prefix: testPrefix('jobs') };
    const NOTIFY = defineJobType('notify', 'notify-case', z.object({ org: z.string().min(1), n: z.number().int() }).strict());
    const q = openQueue('notify', s);
    const seen: Array<{ org: string; n: number }> = [];
    const w = startQueueWorker('notify', s, [{ type: NOTIFY, handle: async (d) => seen.push(d) }], {
      concurrency: 1,
      lockDurationMs: 5000,
      stalledIntervalMs: 5000,
      maxStalledCount: 1,
    });
    try {
      let err: unknown;
      try {
        await addJob(q, NOTIFY, { org: '', n: 1 } as { org: string; n: number }, {});
      } catch (e) {
        err = e;
      }
      expect(isEdgewatchError(err, 'EW_QUEUE_BAD_JOB')).toBe(true);
      await addJob(q, NOTIFY, { org: 'acme', n: 2 }, { removeOnComplete: true });
      await q.add('no-such-type', { x: 1 }, { jobId: 'stray', attempts: 2, backoff: { type: 'fixed', delay: 50 } });
      await q.add('notify-case', { org: 'x', n: 'not a number' }, { jobId: 'bad', attempts: 1 });
      await until(async () => (await q.getJobState('stray')) === 'failed' && (await q.getJobState('bad')) === 'failed', 10_000, 'failures');
      expect(seen).toEqual([{ org: 'acme', n: 2 }]);
      expect((await q.getJob('stray'))?.failedReason).toMatch(/^EW_QUEUE_BAD_JOB: unknown job type "no-such-type"/);
      expect((await q.getJob('stray'))?.attemptsMade).toBe(2);
      expect((await q.getJob('bad'))?.failedReason).toMatch(/^EW_QUEUE_BAD_JOB: notify-case job payload invalid at n/);
    } finally {
      await w.close();
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
    }
  }, 30_000);
});
