/**
 * The coordinator of a distributed scan: streams the scan's targets (same deterministic seqs as a
 * local scan), records the targets its own scope guard refuses (no packet sent, nothing queued),
 * cuts the rest into batches by seq and enqueues them as scan-batch jobs, with back-pressure (at
 * most `maxQueued` batches outstanding, so 50 million targets never sit in Redis at once). It
 * follows its outstanding batches until each is completed or failed, and reports aggregated
 * progress. Resume: seqs already stored are skipped; a batch still queued or running is left
 * alone (same job id), a failed one is removed and enqueued again. Redis and store (PostgreSQL)
 * outages pause the coordinator (retried with back-off, logged once) instead of ending it.
 */
import type { Job, Queue } from 'bullmq';
import { EdgewatchError } from '../errors.js';
import { failureRecord } from '../scan/build-record.js';
import type { ScanRecord } from '../scan/record.js';
import type { ScopeGuard } from '../scope/index.js';
import type { Store } from '../store/types.js';
import { readTargets } from '../targets/index.js';
import type { Target, TargetInput } from '../targets/types.js';
import { batchJobId, SCAN_BATCH, SCAN_QUEUE, type ScanBatch, toTuple } from './batch.js';
import { liveWorkers } from './heartbeat.js';
import { addJob, closeWithin, openQueue, type QueueSettings } from './jobs.js';
import { openRedis } from './redis.js';
import { storeRetry } from './store-wait.js';

export interface CoordinatorOptions {
  store: Store;
  scanId: string;
  inputs: TargetInput[];
  ports: number[];
  scheme: 'http' | 'https';
  scope: ScopeGuard;
  queue: QueueSettings;
  batchSize: number;
  /** Most batches queued or running at once. */
  maxQueued: number;
  /** Attempts per batch before it lands in the failed set. */
  attempts: number;
  /** First retry delay (exponential back-off), ms. */
  backoffMs: number;
  /** Seqs already stored (resume). */
  done?: { has(seq: number): boolean };
  signal?: AbortSignal;
  onRefused?: (target: string, why: string) => void;
  /** Called about once a second with the aggregated state. */
  onProgress?: (p: CoordinatorProgress) => void;
  log(line: string): void;
  /** How often outstanding batches are polled, ms (default 500). */
  pollMs?: number;
}

export interface FailedBatch {
  id: string;
  batch: number;
  attempts: number;
  error: string;
}

export interface CoordinatorProgress {
  /** Records stored for the scan (all workers, all runs). */
  stored: number;
  total: number | null;
  enqueued: number;
  outstanding: number;
  active: number;
  failed: number;
  workers: number;
  streaming: boolean;
}

export interface CoordinatorResult {
  completed: boolean;
  failed: FailedBatch[];
  enqueued: number;
  refused: number;
}

const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Retry a Redis call until it works (Redis restarting) or the signal aborts. */
async function retrying<T>(what: string, fn: () => Promise<T>, o: CoordinatorOptions): Promise<T> {
  let warned = false;
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await fn();
      if (warned) o.log(`Redis is back (${what})`);
      return r;
    } catch (e) {
      if (e instanceof EdgewatchError) throw e;
      if (o.signal?.aborted) throw e;
      if (!warned) o.log(`waiting for Redis (${what}): ${(e as Error).message.slice(0, 200)}`);
      warned = true;
      await sleep(Math.min(2000, 200 * 2 ** Math.min(attempt, 4)));
    }
  }
}

export async function runCoordinator(o: CoordinatorOptions): Promise<CoordinatorResult> {
  const queue: Queue = openQueue(SCAN_QUEUE, o.queue);
  const redis = openRedis(o.queue.redis);
  const outstanding = new Map<string, number>(); // job id → batch
  const failed: FailedBatch[] = [];
  let enqueued = 0;
  let refused = 0;
  let active = 0;
  let workers = 0;
  let streaming = true;
  const pollMs = o.pollMs ?? 500;

  const refresh = async (): Promise<void> => {
    const ids = [...outstanding.keys()];
    let act = 0;
    const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
    for (let i = 0; i < ids.length; i++) {
      const st = states[i];
      if (st === 'active') act++;
      if (PENDING.has(st)) continue;
      const batch = outstanding.get(ids[i]) as number;
      outstanding.delete(ids[i]);
      if (st === 'failed') {
        const job = await queue.getJob(ids[i]);
        failed.push({ id: ids[i], batch, attempts: job?.attemptsMade ?? 0, error: job?.failedReason ?? 'unknown error' });
        o.log(`batch ${ids[i]} FAILED after ${job?.attemptsMade ?? '?'} attempts: ${(job?.failedReason ?? '').slice(0, 300)}`);
      }
      // 'completed' or 'unknown' (removed on completion): done.
    }
    active = act;
    try {
      workers = (await liveWorkers(redis, o.queue.prefix)).length;
    } catch {
      // keep the last count while Redis is away
    }
  };

  let lastProgress = 0;
  const progress = async (force = false): Promise<void> => {
    if (!o.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgress < 1000) return;
    lastProgress = now;
    const row = await storeRetry('progress', () => o.store.getScan(o.scanId), { log: o.log, signal: o.signal });
    o.onProgress({
      stored: row?.done ?? 0,
      total: row?.total ?? null,
      enqueued,
      outstanding: outstanding.size,
      active,
      failed: failed.length,
      workers,
      streaming,
    });
  };

  const enqueue = async (batch: number, targets: Target[]): Promise<void> => {
    const id = batchJobId(o.scanId, batch);
    while (outstanding.size >= o.maxQueued) {
      if (o.signal?.aborted) return;
      await sleep(pollMs);
      await retrying('polling batches', refresh, o);
      await progress();
    }
    if (o.signal?.aborted) return;
    const data: ScanBatch = { v: 1, scan: o.scanId, batch, t: targets.map(toTuple) };
    await retrying(
      'enqueueing',
      async () => {
        const existing: Job | undefined = await queue.getJob(id);
        if (existing) {
          const st = await existing.getState();
          if (PENDING.has(st)) return; // still queued or running from an earlier run
          await existing.remove();
        }
        await addJob(queue, SCAN_BATCH, data, {
          jobId: id,
          attempts: o.attempts,
          backoff: { type: 'exponential', delay: o.backoffMs },
          removeOnComplete: true,
          removeOnFail: false,
        });
      },
      o,
    );
    outstanding.set(id, batch);
    enqueued++;
  };

  // Refused targets are recorded here (idempotently), never queued.
  let refusedBuf: ScanRecord[] = [];
  const flushRefused = async () => {
    if (!refusedBuf.length) return;
    const b = refusedBuf;
    refusedBuf = [];
    await storeRetry('recording refused targets', () => o.store.insertRecords(o.scanId, b), { log: o.log, signal: o.signal });
  };

  try {
    let cur: Target[] = [];
    let curBatch = -1;
    for await (const t of readTargets(o.inputs, { ports: o.ports })) {
      if (o.signal?.aborted) break;
      if (o.done?.has(t.seq)) continue;
      if (t.ip) {
        const v = o.scope.check(t.ip);
        if (!v.allowed) {
          const why = `${v.reason}: ${v.rule}${v.source ? ` (${v.source})` : ''}`;
          o.onRefused?.(`${t.ip.includes(':') ? `[${t.ip}]` : t.ip}:${t.port}`, why);
          refusedBuf.push(
            failureRecord({ ip: t.ip, port: t.port, host: t.host ?? null, scheme: o.scheme, scanId: o.scanId, seq: t.seq }, 'out_of_scope', why),
          );
          refused++;
          if (refusedBuf.length >= 1000) await flushRefused();
          continue;
        }
      }
      const b = Math.floor(t.seq / o.batchSize);
      if (b !== curBatch) {
        if (cur.length) await enqueue(curBatch, cur);
        cur = [];
        curBatch = b;
        await progress();
      }
      cur.push(t);
    }
    if (cur.length && !o.signal?.aborted) await enqueue(curBatch, cur);
    await flushRefused();
    streaming = false;
    while (outstanding.size > 0 && !o.signal?.aborted) {
      await sleep(pollMs);
      await retrying('polling batches', refresh, o);
      await progress();
    }
    await progress(true);
    return { completed: !o.signal?.aborted && failed.length === 0, failed, enqueued, refused };
  } finally {
    await closeWithin(() => queue.close());
    await closeWithin(() => redis.quit());
  }
}
