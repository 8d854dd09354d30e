/**
 * In-process fixtures for queue tests: a SQLite store with a distributed scan in it (as the
 * coordinator would create it), the shipped check engine, and a worker with its own scope guard.
 */
import { createEngine, loadChecks } from '../../src/checks/index.js';
import type { CheckEngine } from '../../src/checks/types.js';
import { DEFAULT_PROBE_OPTIONS } from '../../src/net/types.js';
import { DEFAULT_TUNING, type RunningWorker, startScanWorker, type WorkerTuning } from '../../src/queue/index.js';
import { ScopeGuard } from '../../src/scope/index.js';
import { openStore } from '../../src/store/index.js';
import type { ScanRow, Store } from '../../src/store/types.js';
import { type DialectName, storePlaces } from '../store/dialects.js';

let enginePromise: Promise<CheckEngine> | null = null;
export function engine(): Promise<CheckEngine> {
  enginePromise ??= loadChecks().then(createEngine);
  return enginePromise;
}

/**
 * A fresh store of one dialect (PostgreSQL: its own schema, dropped by cleanup) and the `--db`
 * value that names it for the CLI.
 */
export async function dialectStore(dialect: DialectName): Promise<{ store: Store; db: string; cleanup(): Promise<void> }> {
  const places = storePlaces(dialect, 'ew-queue-');
  const cfg = await places.config('q');
  const store = await openStore(cfg);
  return {
    store,
    db: cfg.dialect === 'sqlite' ? cfg.file : cfg.url,
    async cleanup() {
      await store.close();
      await places.cleanup();
    },
  };
}

export async function createDistributedScan(
  store: Store,
  o: { total: number; batchSize: number; prefix: string; rate?: number; rateNet?: number; exclude?: string[] },
): Promise<ScanRow> {
  const e = await engine();
  return store.createScan({
    total: o.total,
    settings: {
      inputs: [],
      ports: [443],
      scheme: 'https',
      concurrency: 50,
      rate_limit: o.rate ?? 0,
      rate_limit_net: o.rateNet ?? 0,
      exclude: o.exclude ?? [],
      exclude_files: [],
      allow_reserved: ['127.0.0.0/8'],
      reserved: true,
      probe: {
        ...DEFAULT_PROBE_OPTIONS,
        connectTimeoutMs: 1000,
        tlsTimeoutMs: 1000,
        firstByteTimeoutMs: 1000,
        idleTimeoutMs: 1000,
        totalTimeoutMs: 3000,
      },
      checks: null,
      version: 1,
      distributed: { batch_size: o.batchSize, check_ids: e.checks.map((c) => c.id), prefix: o.prefix },
    },
  });
}

export async function inProcessWorker(o: {
  redis: string;
  prefix: string;
  store: Store;
  scope: string[];
  exclude?: string[];
  concurrency?: number;
  tuning?: Partial<WorkerTuning>;
  log?: string[];
  autoBatches?: boolean;
}): Promise<RunningWorker> {
  const e = await engine();
  return startScanWorker({
    queue: { redis: o.redis, prefix: o.prefix },
    store: o.store,
    scopeFor: (extra) =>
      new ScopeGuard({ scope: o.scope, exclude: [...(o.exclude ?? []), ...extra], allowReserved: ['127.0.0.0/8', '::1/128'] }),
    engine: e,
    concurrency: o.concurrency ?? 20,
    rateLimit: 0,
    rateLimitNet: 0,
    tuning: { ...DEFAULT_TUNING, ...o.tuning },
    log: (l) => o.log?.push(l),
    autoBatches: o.autoBatches,
  });
}

export async function until(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
