/**
 * A batch cannot smuggle a target out of scope: a job written straight into Redis (bypassing the
 * coordinator and its scope guard) with 10.0.0.1, a private address, and a loopback address the
 * WORKER excludes ends with those targets recorded as out_of_scope, and no connection reaches the
 * excluded listener; a control address in the worker's scope is dialled.
 */
import { createServer, type Server } from 'node:net';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, SCAN_QUEUE } from '../../src/queue/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { REDIS_URL, serviceGate } from '../helpers/services.js';
import { DIALECTS } from '../store/dialects.js';
import { createDistributedScan, dialectStore, inProcessWorker, until } from './fixtures.js';
import { freePort, testPrefix } from './helpers.js';

const gate = await serviceGate('redis');

describe.skipIf(!gate.ok).each(DIALECTS)('workers apply their own scope guard (%s store)', (dialect) => {
  const servers: Server[] = [];
  const hits = new Map<string, number>();
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    for (const ip of ['127.61.0.5', '127.61.0.6']) {
      const s = createServer((sock) => {
        hits.set(ip, (hits.get(ip) ?? 0) + 1);
        sock.destroy();
      });
      await new Promise<void>((r) => s.listen(port, ip, () => r()));
      servers.push(s);
    }
  });
  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('records smuggled targets as out_of_scope and never dials them', async () => {
    const prefix = testPrefix('smuggle');
    const { store, cleanup } = await dialectStore(dialect);
    const scan = await createDistributedScan(store, { total: 5, batchSize: 8, prefix });
    const q = new Queue(SCAN_QUEUE, { connection: connectionOptions(REDIS_URL), prefix });
    const w = await inProcessWorker({ redis: REDIS_URL, prefix, store, scope: ['127.61.0.0/24'], exclude: ['127.61.0.5'] });
    try {
      // Straight into Redis: no coordinator, no addJob validation.
      await q.add(
        'scan-batch',
        {
          v: 1,
          scan: scan.id,
          batch: 0,
          t: [
            [0, '10.0.0.1', port, null],
            [1, '127.61.0.5', port, null],
            [2, '127.61.0.6', port, null],
            [3, '192.168.1.1', port, null],
            [4, '127.61.0.5', port, 'smuggled.example'],
          ],
        },
        { jobId: `${scan.id}-b0`, attempts: 1 },
      );
      await until(async () => (await store.getScan(scan.id))?.done === 5, 20_000, 'the batch to be recorded');
      const recs: ScanRecord[] = [];
      for await (const r of store.iterateRecords(scan.id)) recs.push(r);
      const by = new Map(recs.map((r) => [r.seq, r]));
      for (const seq of [0, 1, 3, 4]) {
        expect(by.get(seq)?.reason, `seq ${seq}`).toBe('out_of_scope');
        expect(by.get(seq)?.status).toBe('error');
      }
      expect(by.get(1)?.detail).toMatch(/excluded/);
      expect(by.get(0)?.detail).toMatch(/reserved|out_of_scope/);
      // The control target inside the worker's scope was probed (it is not out_of_scope) …
      expect(by.get(2)?.reason).not.toBe('out_of_scope');
      expect(hits.get('127.61.0.6') ?? 0).toBeGreaterThan(0);
      // … while the listener on the excluded address never saw a connection.
      expect(hits.get('127.61.0.5') ?? 0).toBe(0);
    } finally {
      await w.close();
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
      await cleanup();
    }
  }, 60_000);
});
