/**
 * A worker's batches wait for their slowest hosts (up to a timeout each). In auto mode a batch
 * whose targets have all been started counts as a tail and lets the worker take another batch, so
 * those waits do not idle its host slots (issue #6: two workers must keep up with one process).
 * With `--batches` fixed, the worker takes exactly that many at once.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addJob, connectionOptions, SCAN_BATCH, SCAN_QUEUE } from '../../src/queue/index.js';
import { REDIS_URL, serviceGate } from '../helpers/services.js';
import { createDistributedScan, dialectStore, inProcessWorker, until } from './fixtures.js';
import { freePort, testPrefix } from './helpers.js';

const gate = await serviceGate('redis');
const BATCHES = 16;
const BATCH_SIZE = 10;
const CONCURRENCY = 20;

describe.skipIf(!gate.ok)('batches in their tail', () => {
  let silent: Server;
  const held: Socket[] = [];
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    // Accepts and never answers: the TLS handshake of each batch's slow host times out (1 s).
    silent = createServer((sock) => held.push(sock));
    await new Promise<void>((r) => silent.listen(port, '127.63.0.1', () => r()));
  });
  afterAll(async () => {
    for (const s of held) s.destroy();
    await new Promise((r) => silent.close(r));
  });

  async function peakBatches(autoBatches: boolean, fixed: number): Promise<{ peak: number; ms: number }> {
    const prefix = testPrefix('tail');
    const { store, cleanup } = await dialectStore('sqlite');
    const total = BATCHES * BATCH_SIZE;
    const scan = await createDistributedScan(store, { total, batchSize: BATCH_SIZE, prefix });
    const q = new Queue(SCAN_QUEUE, { connection: connectionOptions(REDIS_URL), prefix });
    // Each batch: one silent host (slow) and nine refused ports (answered at once).
    for (let b = 0; b < BATCHES; b++) {
      const t: Array<[number, string, number, null]> = [];
      for (let i = 0; i < BATCH_SIZE; i++) {
        const seq = b * BATCH_SIZE + i;
        t.push(i === 0 ? [seq, '127.63.0.1', port, null] : [seq, `127.63.1.${seq % 250}`, port, null]);
      }
      await addJob(q, SCAN_BATCH, { v: 1, scan: scan.id, batch: b, t }, { jobId: `${scan.id}-b${b}`, attempts: 1 });
    }
    const w = await inProcessWorker({
      redis: REDIS_URL,
      prefix,
      store,
      scope: ['127.63.0.0/16'],
      concurrency: CONCURRENCY,
      autoBatches,
      tuning: { concurrency: fixed },
    });
    let peak = 0;
    const t0 = performance.now();
    try {
      await until(
        async () => {
          peak = Math.max(peak, w.stats.active);
          return (await store.getScan(scan.id))?.done === total;
        },
        60_000,
        'all targets',
      );
      return { peak, ms: performance.now() - t0 };
    } finally {
      await w.close();
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
      await cleanup();
    }
  }

  it('auto mode takes more batches while earlier ones wait for their slow hosts; a fixed --batches holds', async () => {
    // Auto: 2 × 20 / 10 + 1 = 5 batches to fill the slots, plus one per batch in its tail.
    const auto = await peakBatches(true, 5);
    expect(auto.peak).toBeGreaterThan(5);
    expect(auto.peak).toBeLessThanOrEqual(BATCHES);
    const fixed = await peakBatches(false, 5);
    expect(fixed.peak).toBeLessThanOrEqual(5);
    // Fixed: 16 batches, 5 at a time, each at least 1 s: at least 4 rounds. Auto needs fewer.
    expect(fixed.ms).toBeGreaterThan(3_000);
  }, 120_000);
});
