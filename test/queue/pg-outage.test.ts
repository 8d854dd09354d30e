/**
 * A PostgreSQL restart pauses a distributed scan and it continues. The machine's PostgreSQL is
 * shared, so it is not restarted: the coordinator and two worker processes reach it through a
 * loopback TCP proxy (tcp-proxy.ts) that, in the middle of the scan, cuts every connection and
 * refuses new ones for 4 s — what clients see during a server restart. The scan must end with
 * exactly one record per target, matching the lab truth, without a batch attempt failing, and the
 * coordinator must have said it waited for PostgreSQL and that the store came back. Also:
 * `scan status` mid-scan aggregates the progress of both workers.
 */
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab } from '../../src/lab/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { compareWithTruth, readJsonl, runCli, startCli, tempDir } from '../e2e/helpers.js';
import { PG_URL, REDIS_URL, serviceGate } from '../helpers/services.js';
import { createPgSchema, dropPgSchemas, PG_OK, pgUrlFor } from '../store/dialects.js';
import { testPrefix } from './helpers.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

const RANGE = '127.65.0.0/22';
const HOSTS = 1024;
const redisGate = await serviceGate('redis');

describe.skipIf(!redisGate.ok || !PG_OK)('distributed scan through a PostgreSQL outage', () => {
  let lab: Lab;
  let proxy: TcpProxy;
  let schema = '';
  beforeAll(async () => {
    lab = await startLab({ range: RANGE, seed: 29, httpsPort: 0, httpPort: 0, listen: 'auto' });
    proxy = await startTcpProxy(Number(new URL(PG_URL).port || 5432));
    schema = await createPgSchema('pgoutage');
  }, 120_000);
  afterAll(async () => {
    await proxy?.close();
    await lab?.close();
    if (schema) await dropPgSchemas([schema]);
  });

  it('pauses while PostgreSQL is away and ends with exactly one record per target', async () => {
    const dir = tempDir('ew-pgout-');
    const base = new URL(PG_URL);
    base.port = String(proxy.port);
    const viaProxy = pgUrlFor(schema, base.toString());
    const direct = pgUrlFor(schema);
    const prefix = testPrefix('pgout');
    const common = ['--redis', REDIS_URL, '--queue-prefix', prefix, '--lab', '--scope', RANGE];
    const migrate = await runCli(['db', 'migrate', '--db', direct]);
    expect(migrate.code, migrate.stderr).toBe(0);

    const workers = [0, 1].map(() =>
      startCli([
        'worker',
        '--db',
        viaProxy,
        ...common,
        '-c',
        '16',
        '--stats-interval',
        '0',
        '--verbose',
        '--lock-ms',
        '5000',
        '--stalled-ms',
        '1000',
      ]),
    );
    const wOut = ['', ''];
    workers.forEach((w, i) => w.child.stderr?.on('data', (d) => (wOut[i] += String(d))));
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const coord = startCli([
        'scan',
        '--distributed',
        RANGE,
        '-p',
        String(lab.httpsPort),
        '--db',
        viaProxy,
        ...common,
        '--batch-size',
        '32',
        '--max-queued',
        '8',
        '--retry-delay',
        '0.5',
        // A scan-wide rate keeps the scan running long enough (~10 s) to cut it in the middle.
        '--rate-limit',
        '100',
        '--timeout',
        '2',
        '--total-timeout',
        '5',
        '--stats',
        '-si',
        '1',
        '--no-summary',
        // The finished scan is enriched as a queue job by one of the workers, not by the coordinator.
        '--enrich-on-workers',
      ]);
      let cErr = '';
      coord.child.stderr?.on('data', (d) => (cErr += String(d)));
      // Wait until a quarter of the targets are stored (read directly, not through the proxy).
      const end = Date.now() + 90_000;
      let done = 0;
      while (done < HOSTS / 4 && Date.now() < end && coord.child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 100));
        const r = await admin.query(`SELECT coalesce(max(done), 0)::int AS n FROM ${schema}.scans`).catch(() => ({ rows: [{ n: 0 }] }));
        done = Number(r.rows[0].n);
      }
      expect(done, cErr.slice(-2000)).toBeGreaterThanOrEqual(HOSTS / 4);
      expect(done, 'the outage must land before the scan ends').toBeLessThan(HOSTS);
      // Progress aggregates across workers: `scan status` (read from the store and Redis directly,
      // while the outage runs) counts the records of both workers. Heartbeats lag the work, so a
      // worker that just took its first batch may not have reported yet: ask again (bounded).
      type Status = {
        scan: { id: string; done: number };
        queue: { workers: Array<{ scan: string | null; hosts: number }>; totals: { workers: number; on_scan: number; rate: number } };
      };
      const outage = proxy.outage(4000);
      let ms: Status | null = null;
      let onScan: Status['queue']['workers'] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        const mid = await runCli(['scan', 'status', '--db', direct, '--redis', REDIS_URL, '--queue-prefix', prefix, '--json']);
        expect(mid.code, mid.stderr).toBe(0);
        ms = JSON.parse(mid.stdout) as Status;
        const id = ms.scan.id;
        onScan = ms.queue.workers.filter((w) => w.scan === id);
        if (onScan.length === 2 && onScan.every((w) => w.hosts > 0)) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      await outage;
      expect(proxy.cut).toBeGreaterThan(0);
      expect(ms?.queue.totals).toMatchObject({ workers: 2, on_scan: 2 });
      expect(
        onScan.every((w) => w.hosts > 0),
        JSON.stringify(onScan),
      ).toBe(true);
      // Heartbeats lag the store: the store's count is at least what the workers have reported.
      expect(ms?.scan.done).toBeGreaterThanOrEqual(onScan.reduce((a, w) => a + w.hosts, 0));

      const res = await coord.done;
      expect(res.code, res.stderr.slice(-3000)).toBe(0);
      // The outage was seen, waited out, and over.
      expect(res.stderr).toMatch(/waiting for PostgreSQL/);
      expect(res.stderr).toMatch(/the store is back/);
      // No batch attempt was spent on it.
      expect(wOut.join('\n')).not.toMatch(/failed \(attempt/);
      // Enrichment ran on a worker, for every answering address of the scan.
      expect(res.stderr).toMatch(/enriched \d+ host\(s\), \d+ attributed to an organisation \(\d+ ms, on a worker\)/);
      const enriched = await admin.query(`SELECT count(*)::int AS n FROM ${schema}.ip_enrichment`);
      const answering = await admin.query(
        `SELECT count(DISTINCT h.ip)::int AS n FROM ${schema}.observations o JOIN ${schema}.hosts h ON h.id = o.host_id WHERE o.status = 'ok'`,
      );
      expect(Number(enriched.rows[0].n)).toBe(Number(answering.rows[0].n));
      expect(Number(enriched.rows[0].n)).toBeGreaterThan(0);

      const out = join(dir, 'export.jsonl');
      const ex = await runCli(['export', '--db', direct, '-o', out]);
      expect(ex.code, ex.stderr).toBe(0);
      const records = readJsonl<ScanRecord>(out);
      expect(records.length).toBe(HOSTS);
      expect(new Set(records.map((r) => r.seq)).size).toBe(HOSTS);
      const { mismatches } = compareWithTruth(records, lab.truth());
      expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
      const st = await runCli(['scan', 'status', '--db', direct, '--redis', REDIS_URL, '--queue-prefix', prefix]);
      expect(st.stdout).toMatch(/finished, distributed/);
      expect(st.stdout).toMatch(new RegExp(`records ${HOSTS} of ${HOSTS}`));
      expect(st.stdout).toMatch(/0 failed/);
    } finally {
      await admin.end();
      for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.done));
    }
  }, 240_000);
});
