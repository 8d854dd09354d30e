/**
 * The scan's rate limits hold across workers: two workers (separate Redis connections, separate
 * limiter instances) scanning one scan at a global 40 hosts/s and 12 hosts/s per /24 never exceed
 * either, measured where it matters: at the listeners, by connection arrival time.
 */
import { createServer, type Server } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addJob, connectionOptions, SCAN_BATCH, SCAN_QUEUE } from '../../src/queue/index.js';
import { REDIS_URL, serviceGate } from '../helpers/services.js';
import { DIALECTS } from '../store/dialects.js';
import { createDistributedScan, dialectStore, inProcessWorker, until } from './fixtures.js';
import { freePort, testPrefix } from './helpers.js';

const gate = await serviceGate('redis');
const NETS = [1, 2, 3, 4];
const PER_NET = 30;

/** Most arrivals within any window of `ms`. */
function peak(times: number[], ms: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i] - t[j] >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe.skipIf(!gate.ok).each(DIALECTS)('distributed rate limit (%s store)', (dialect) => {
  const servers: Server[] = [];
  const arrivals: Array<{ net: number; at: number }> = [];
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    for (const n of NETS) {
      for (let h = 1; h <= PER_NET; h++) {
        const s = createServer((sock) => {
          arrivals.push({ net: n, at: performance.now() });
          sock.destroy();
        });
        await new Promise<void>((r) => s.listen(port, `127.62.${n}.${h}`, () => r()));
        servers.push(s);
      }
    }
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('global and per-/24 rates hold over two workers', async () => {
    const prefix = testPrefix('rate');
    const total = NETS.length * PER_NET;
    const batchSize = 10;
    const { store, cleanup } = await dialectStore(dialect);
    arrivals.length = 0;
    const scan = await createDistributedScan(store, { total, batchSize, prefix, rate: 40, rateNet: 12 });
    const q = new Queue(SCAN_QUEUE, { connection: connectionOptions(REDIS_URL), prefix });
    const workers = await Promise.all([0, 1].map(() => inProcessWorker({ redis: REDIS_URL, prefix, store, scope: ['127.62.0.0/16'], concurrency: 30 })));
    try {
      // Targets interleaved over the four /24s so the global limit is the binding one overall.
      const targets: Array<[number, string, number, null]> = [];
      for (let i = 0; i < total; i++) targets.push([i, `127.62.${NETS[i % NETS.length]}.${Math.floor(i / NETS.length) + 1}`, port, null]);
      for (let b = 0; b * batchSize < total; b++) {
        await addJob(q, SCAN_BATCH, { v: 1, scan: scan.id, batch: b, t: targets.slice(b * batchSize, (b + 1) * batchSize) }, { jobId: `${scan.id}-b${b}`, attempts: 1 });
      }
      await until(async () => (await store.getScan(scan.id))?.done === total, 30_000, 'all targets');
      expect(arrivals.length).toBe(total);
      const times = arrivals.map((a) => a.at);
      const span = Math.max(...times) - Math.min(...times);
      // 120 hosts at 40/s: at least (120 - 1) / 40 s from first to last arrival. Slots are exact on
      // Redis's clock; arrivals add timer and connect jitter (everything shares this process), so
      // a 1 s window may catch a few more than 40. Unlimited, all 120 arrive within ~100 ms.
      expect(span).toBeGreaterThan(((total - 1) / 40) * 1000 - 150);
      expect(peak(times, 1000)).toBeLessThanOrEqual(48);
      expect(peak(times, 2000)).toBeLessThanOrEqual(88);
      for (const n of NETS) {
        const t = arrivals.filter((a) => a.net === n).map((a) => a.at);
        expect(peak(t, 1000), `/24 #${n}`).toBeLessThanOrEqual(15);
        // 30 hosts of one /24 at 12/s: at least (30 - 1) / 12 s.
        expect(Math.max(...t) - Math.min(...t), `/24 #${n} span`).toBeGreaterThan(((PER_NET - 1) / 12) * 1000 - 150);
      }
      // Both workers took part.
      expect(workers[0].stats.batches).toBeGreaterThan(0);
      expect(workers[1].stats.batches).toBeGreaterThan(0);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
      await cleanup();
    }
  }, 60_000);
});
