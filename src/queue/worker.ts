/**
 * A scan worker: takes scan batches from the queue, scans them through the ordinary scan loop
 * (src/scan/run.ts) with its OWN limits and its OWN scope guard, and writes observations to the
 * shared store. Writes are idempotent by (scan, seq), and seqs already stored are skipped, so a
 * batch retried after a crash adds no duplicate. Rate: the worker's own limits (`-rl`, per-/24)
 * plus the scan's global limits shared by all workers through Redis (rate.ts).
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { IRedisClient, Job, Worker } from 'bullmq';
import type { CheckEngine } from '../checks/types.js';
import { EdgewatchError } from '../errors.js';
import { RateLimiter } from '../net/rate.js';
import { runScan } from '../scan/run.js';
import type { ScopeGuard } from '../scope/index.js';
import type { Store } from '../store/types.js';
import { fromTuple, SCAN_BATCH, SCAN_QUEUE, type ScanBatch } from './batch.js';
import { beat, leave, type WorkerInfo } from './heartbeat.js';
import { closeWithin, type QueueSettings, startQueueWorker, type WorkerTuning } from './jobs.js';
import { SharedRateLimiter } from './rate.js';
import { openRedis } from './redis.js';
import { readWorkerView, type WorkerScanView } from './settings.js';
import { isStoreOutage, storeRetry, waitForStore } from './store-wait.js';

/** Passes over one batch across store outages before the attempt fails. */
const STORE_PASSES = 5;
/**
 * Most batches a worker takes at once in auto mode, tails included. A batch in its tail holds only
 * its targets' seqs and its slow hosts' slots; this bounds what one worker can take from the others
 * at the end of a scan.
 */
const MAX_BATCHES_AT_ONCE = 128;

export interface ScanWorkerOptions {
  queue: QueueSettings;
  store: Store;
  /** The worker's scope guard for a scan, given the scan's own extra exclusions. */
  scopeFor(extraExclude: string[]): ScopeGuard;
  engine: CheckEngine;
  /** Hosts probed at once by this process (over all its batches). */
  concurrency: number;
  /** This worker's own limits (hosts/s; 0 = unlimited). */
  rateLimit: number;
  rateLimitNet: number;
  tuning: WorkerTuning;
  log(line: string): void;
  /** Log the start and end of every batch. */
  verbose?: boolean;
  /**
   * Adjust the batches taken at once to the scan's batch size (about 2 × concurrency / batch size
   * + 1), plus one for every batch whose targets have all been started and that only waits for its
   * slowest hosts (up to a timeout each): the host slots stay busy through those tails. Off when
   * the operator fixed `--batches`.
   */
  autoBatches?: boolean;
  onRefused?: (target: string, why: string) => void;
}

export interface WorkerStats {
  batches: number;
  hosts: number;
  skipped: number;
  failed: number;
  active: number;
  /** ms since epoch of the last batch start or end. */
  lastActivity: number;
  /** Time spent inside the scan loop vs in the job handler as a whole (ms), for overhead figures. */
  scanMs: number;
  jobMs: number;
  /** process.cpuUsage() when the first batch started (start-up cost excluded from figures). */
  cpuAtFirstBatch: NodeJS.CpuUsage | null;
}

export interface RunningWorker {
  readonly id: string;
  readonly stats: WorkerStats;
  readonly bull: Worker;
  /** Stop taking batches; waits for the batches under way. */
  close(): Promise<void>;
}

/** A counting semaphore with abort, shared by the batches of one worker. */
class Gate {
  #free: number;
  #waiters: Array<() => void> = [];
  constructor(n: number) {
    this.#free = n;
  }
  acquire(signal?: AbortSignal): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const w = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(w);
    });
  }
  release(): void {
    const w = this.#waiters.shift();
    if (w) w();
    else this.#free++;
  }
}

interface ScanCtx {
  view: WorkerScanView;
  scope: ScopeGuard;
  shared: SharedRateLimiter;
  total: number | null;
  state: string;
  at: number;
}

export function startScanWorker(o: ScanWorkerOptions): RunningWorker {
  const id = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
  const redis: IRedisClient = openRedis(o.queue.redis);
  const local = new RateLimiter({ rate: o.rateLimit, perNetRate: o.rateLimitNet });
  const gate = new Gate(o.concurrency);
  const myChecks = o.engine.checks.map((c) => c.id).sort();
  const stats: WorkerStats = {
    batches: 0,
    hosts: 0,
    skipped: 0,
    failed: 0,
    active: 0,
    lastActivity: Date.now(),
    scanMs: 0,
    jobMs: 0,
    cpuAtFirstBatch: null,
  };
  const started = new Date().toISOString();
  const ctxs = new Map<string, ScanCtx>();
  const controller = new AbortController();
  // Every host waiting for a rate slot or a host slot listens on this one signal.
  setMaxListeners(0, controller.signal);
  let lastScan: string | null = null;
  let bullRef: Worker | null = null;
  // Batches taken at once (autoBatches): enough to fill the host slots, plus the batches in their tail.
  let baseBatches = 0;
  let tails = 0;
  const retune = () => {
    if (!o.autoBatches || bullRef === null || baseBatches === 0) return;
    const want = Math.min(MAX_BATCHES_AT_ONCE, baseBatches + tails);
    if (bullRef.concurrency !== want) bullRef.concurrency = want;
  };
  let redisWarned = false;

  const scanCtx = async (scanId: string): Promise<ScanCtx> => {
    const hit = ctxs.get(scanId);
    if (hit && Date.now() - hit.at < 30_000) return hit;
    const row = await o.store.getScan(scanId);
    if (!row)
      throw new EdgewatchError('EW_QUEUE_SCAN_UNKNOWN', `batch for scan ${scanId}, which is not in this worker's store (check --db)`);
    const view = readWorkerView(row.settings);
    if (typeof view === 'string') throw new EdgewatchError('EW_QUEUE_BAD_JOB', `scan ${scanId}: ${view}`);
    const want = [...view.checkIds].sort();
    if (want.join('\n') !== myChecks.join('\n')) {
      throw new EdgewatchError(
        'EW_QUEUE_CHECKS',
        `scan ${scanId} runs checks [${want.join(', ')}] but this worker has [${myChecks.join(', ')}]; start it with the same --checks`,
      );
    }
    const ctx: ScanCtx = {
      view,
      scope: hit?.scope ?? o.scopeFor(view.exclude),
      shared:
        hit?.shared ??
        new SharedRateLimiter(redis, {
          rate: view.rateLimit,
          perNetRate: view.rateLimitNet,
          keyPrefix: `${o.queue.prefix}:rl:${scanId}`,
          onWait: (e) => o.log(`waiting for Redis (rate limiter): ${e.message}`),
        }),
      total: row.total,
      state: row.state,
      at: Date.now(),
    };
    ctxs.set(scanId, ctx);
    if (ctxs.size > 32) ctxs.delete(ctxs.keys().next().value as string);
    return ctx;
  };

  /** One pass over a batch: skip the seqs already stored, scan the rest through the scan loop. */
  const runBatchOnce = async (
    data: ScanBatch,
    job: Job,
    ctx: ScanCtx,
    pass: number,
    onDispatched: () => void,
  ): Promise<{ recorded: number; skipped: number }> => {
    const lo = data.batch * ctx.view.batchSize;
    const hi = lo + ctx.view.batchSize - 1;
    const rows = await storeRetry(
      `stored seqs of batch ${job.id}`,
      () =>
        o.store.db
          .selectFrom('observations')
          .select('seq')
          .where('scan_id', '=', data.scan)
          .where('seq', '>=', lo)
          .where('seq', '<=', hi)
          .execute(),
      { log: o.log, signal: controller.signal },
    );
    const stored = new Set(rows.map((r) => Number(r.seq)));
    const seen = new Set<number>();
    const targets = [];
    for (const t of data.t) {
      if (stored.has(t[0]) || seen.has(t[0])) continue;
      seen.add(t[0]);
      targets.push(fromTuple(t));
    }
    if (pass === 0) stats.skipped += data.t.length - targets.length;
    if (o.verbose) {
      o.log(
        `batch ${job.id} ${pass === 0 ? 'start' : 'again'}: ${targets.length} targets (${data.t.length - targets.length} already stored), attempt ${job.attemptsMade + 1}${pass ? `, pass ${pass + 1} after a store outage` : ''}`,
      );
    }
    const shared = ctx.shared;
    const limiter = shared.active
      ? {
          acquire: async (ip: string, signal?: AbortSignal) => {
            await local.acquire(ip, signal);
            await shared.acquire(ip, signal);
          },
        }
      : local;
    const s0 = performance.now();
    try {
      const run = runScan({
        scanId: data.scan,
        inputs: [],
        ports: [],
        targets,
        scheme: ctx.view.scheme,
        concurrency: o.concurrency,
        rateLimit: 0,
        rateLimitNet: 0,
        limiter,
        gate,
        probe: ctx.view.probe,
        scope: ctx.scope,
        engine: o.engine,
        store: o.store,
        signal: controller.signal,
        onRefused: o.onRefused,
        onDispatched,
        batchMs: 200,
      });
      const r = await run.done;
      if (!r.completed) throw new EdgewatchError('EW_QUEUE_ABORTED', `worker ${id} stopped during batch ${job.id}; it will be retried`);
      stats.hosts += r.counters.recorded;
      return { recorded: r.counters.recorded, skipped: data.t.length - targets.length };
    } finally {
      stats.scanMs += performance.now() - s0;
    }
  };

  const handle = async (data: ScanBatch, job: Job): Promise<unknown> => {
    const t0 = performance.now();
    // Once every target of this batch has been started, count it as a tail: another batch may start.
    let tail = false;
    const inTail = () => {
      if (tail) return;
      tail = true;
      tails++;
      retune();
    };
    stats.cpuAtFirstBatch ??= process.cpuUsage();
    stats.active++;
    stats.lastActivity = Date.now();
    lastScan = data.scan;
    try {
      const ctx = await storeRetry(`scan ${data.scan}`, () => scanCtx(data.scan), { log: o.log, signal: controller.signal });
      if (ctx.state === 'finished') return { skipped: data.t.length, note: 'scan already finished' };
      baseBatches = Math.min(64, Math.max(2, Math.ceil((2 * o.concurrency) / ctx.view.batchSize) + 1));
      retune();
      const lo = data.batch * ctx.view.batchSize;
      const hi = lo + ctx.view.batchSize - 1;
      for (const t of data.t) {
        if (t[0] < lo || t[0] > hi || (ctx.total !== null && t[0] >= ctx.total)) {
          throw new EdgewatchError(
            'EW_QUEUE_BAD_JOB',
            `batch ${data.batch} of scan ${data.scan} carries seq ${t[0]} outside its range ${lo}-${hi}`,
          );
        }
      }
      // A store outage that outlasts the writer's own retries (PostgreSQL restarting) pauses the
      // batch: wait for the store, then go on with what is not stored yet, within this attempt (the
      // batch's lock is kept alive meanwhile). Bounded: STORE_PASSES passes, each wait bounded.
      let recorded = 0;
      for (let pass = 0; ; pass++) {
        try {
          const r = await runBatchOnce(data, job, ctx, pass, inTail);
          recorded += r.recorded;
          break;
        } catch (e) {
          if (!isStoreOutage(e) || pass + 1 >= STORE_PASSES || controller.signal.aborted) throw e;
          o.log(`batch ${job.id}: store write failed (${String((e as Error).message).slice(0, 160)}); pausing until the store answers`);
          await waitForStore(o.store, { log: o.log, signal: controller.signal });
        }
      }
      stats.batches++;
      if (o.verbose) o.log(`batch ${job.id} done: ${recorded} recorded`);
      return { recorded };
    } finally {
      if (tail) {
        tails--;
        retune();
      }
      stats.active--;
      stats.lastActivity = Date.now();
      stats.jobMs += performance.now() - t0;
    }
  };

  const bull = startQueueWorker(SCAN_QUEUE, o.queue, [{ type: SCAN_BATCH, handle }], o.tuning);
  bullRef = bull;
  bull.on('failed', (job, err) => {
    stats.failed++;
    o.log(`batch ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message.slice(0, 300)}`);
  });
  bull.on('error', (e) => {
    if (!redisWarned) o.log(`queue connection problem (work pauses and resumes when Redis is back): ${e.message.slice(0, 200)}`);
    redisWarned = true;
  });
  bull.on('ready', () => {
    redisWarned = false;
  });

  let lastHosts = 0;
  let lastBeat = Date.now();
  const heartbeat = async () => {
    const now = Date.now();
    const rate = ((stats.hosts - lastHosts) * 1000) / Math.max(1, now - lastBeat);
    lastHosts = stats.hosts;
    lastBeat = now;
    const info: WorkerInfo = {
      id,
      host: hostname(),
      pid: process.pid,
      started,
      batches: stats.batches,
      hosts: stats.hosts,
      failed: stats.failed,
      rate: Math.round(rate),
      scan: lastScan,
    };
    try {
      await beat(redis, o.queue.prefix, info);
    } catch {
      // Redis away: the next beat tries again
    }
  };
  void heartbeat();
  const hb = setInterval(() => void heartbeat(), 2000);
  hb.unref();

  return {
    id,
    stats,
    bull,
    async close() {
      clearInterval(hb);
      // Waits for the batches under way (they end on their own: every host has a time budget).
      await bull.close();
      await closeWithin(() => leave(redis, o.queue.prefix, id), 1000);
      await closeWithin(() => redis.quit(), 1000);
    },
  };
}
