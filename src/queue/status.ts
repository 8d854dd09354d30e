/**
 * `edgewatch scan status`: one scan's progress as the store sees it (records stored of the total)
 * and, when Redis answers, its batches in the queue (waiting, running, delayed for retry, failed
 * with their errors) and the live workers, with their summed rate. Read-only. The records figure
 * is the store's own count, so it aggregates every worker (on every machine) exactly.
 */
import type { Job } from 'bullmq';
import type { ScanRow } from '../store/types.js';
import { SCAN_QUEUE } from './batch.js';
import { liveWorkers, type WorkerInfo } from './heartbeat.js';
import { closeWithin, openQueue, type QueueSettings } from './jobs.js';
import { openRedis, pingRedis, redactRedisUrl } from './redis.js';

export interface QueueStatus {
  redis: string;
  reachable: boolean;
  waiting: number;
  active: number;
  delayed: number;
  failed: Array<{ id: string; batch: number; attempts: number; error: string; finished_at: string | null }>;
  workers: WorkerInfo[];
  /**
   * Aggregates over the live workers: how many, how many last worked on this scan, and their
   * summed hosts/s (each worker's rate over its last heartbeat interval).
   */
  totals: { workers: number; on_scan: number; rate: number };
}

export interface ScanStatus {
  scan: { id: string; label: string | null; state: string; started_at: string; finished_at: string | null; done: number; total: number | null };
  distributed: boolean;
  queue: QueueStatus | null;
}

/** Most jobs read per state (a status call stays bounded whatever is in Redis). */
const MAX_JOBS = 10_000;

function ofScan(jobs: Array<Job | undefined>, scanId: string): Job[] {
  return jobs.filter((j): j is Job => !!j && typeof j.id === 'string' && j.id.startsWith(`${scanId}-b`));
}

export async function queueStatus(s: QueueSettings, scanId: string | null): Promise<QueueStatus> {
  const base: QueueStatus = { redis: redactRedisUrl(s.redis), reachable: false, waiting: 0, active: 0, delayed: 0, failed: [], workers: [], totals: { workers: 0, on_scan: 0, rate: 0 } };
  if (!(await pingRedis(s.redis))) return base;
  const q = openQueue(SCAN_QUEUE, s);
  const redis = openRedis(s.redis);
  try {
    const count = async (state: 'waiting' | 'active' | 'delayed' | 'prioritized'): Promise<number> => {
      const jobs = await q.getJobs([state], 0, MAX_JOBS - 1);
      return scanId ? ofScan(jobs, scanId).length : jobs.length;
    };
    base.waiting = (await count('waiting')) + (await count('prioritized'));
    base.active = await count('active');
    base.delayed = await count('delayed');
    const failedJobs = await q.getJobs(['failed'], 0, MAX_JOBS - 1);
    base.failed = (scanId ? ofScan(failedJobs, scanId) : failedJobs.filter((j): j is Job => !!j)).map((j) => ({
      id: String(j.id),
      batch: Number((j.data as { batch?: unknown })?.batch ?? -1),
      attempts: j.attemptsMade,
      error: String(j.failedReason ?? ''),
      finished_at: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
    }));
    base.workers = await liveWorkers(redis, s.prefix);
    const mine = scanId ? base.workers.filter((w) => w.scan === scanId) : base.workers;
    base.totals = {
      workers: base.workers.length,
      on_scan: mine.length,
      rate: mine.reduce((a, w) => a + (Number.isFinite(w.rate) ? w.rate : 0), 0),
    };
    base.reachable = true;
    return base;
  } finally {
    await closeWithin(() => q.close());
    await closeWithin(() => redis.quit());
  }
}

function clean(s: string, max = 300): string {
  // Errors come from Redis (shared infrastructure): strip control characters before printing.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, max);
}

export function renderStatus(st: ScanStatus): string {
  const s = st.scan;
  const pct = s.total ? ` (${((100 * s.done) / s.total).toFixed(1)}%)` : '';
  const lines = [
    `scan ${s.id}${s.label ? ` "${clean(s.label, 100)}"` : ''}: ${s.state}${st.distributed ? ', distributed' : ''}`,
    `  started ${s.started_at}${s.finished_at ? `, ended ${s.finished_at}` : ''}`,
    `  records ${s.done} of ${s.total ?? '?'}${pct}`,
  ];
  const q = st.queue;
  if (q) {
    if (!q.reachable) lines.push(`  queue: Redis at ${q.redis} not reachable; store figures only`);
    else {
      lines.push(`  batches: ${q.waiting} waiting, ${q.active} running, ${q.delayed} waiting to retry, ${q.failed.length} failed`);
      for (const f of q.failed.slice(0, 20)) lines.push(`    FAILED ${clean(f.id, 120)} after ${f.attempts} attempts: ${clean(f.error)}`);
      if (q.failed.length > 20) lines.push(`    … ${q.failed.length - 20} more failed batches`);
      lines.push(`  workers live: ${q.totals.workers}, ${q.totals.on_scan} on this scan, together ${q.totals.rate} hosts/s`);
      for (const w of q.workers.slice(0, 50)) {
        lines.push(`    ${clean(w.id, 120)}  batches ${w.batches}  hosts ${w.hosts}  ${w.rate} hosts/s  failed ${w.failed}`);
      }
      if (q.failed.length > 0) lines.push(`  retry the failed batches with: edgewatch scan --distributed --resume ${s.id}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function scanStatusOf(row: ScanRow, queue: QueueStatus | null): ScanStatus {
  return {
    scan: {
      id: row.id,
      label: row.label,
      state: row.state,
      started_at: row.started_at,
      finished_at: row.finished_at,
      done: row.done,
      total: row.total,
    },
    distributed: typeof row.settings === 'object' && row.settings !== null && 'distributed' in row.settings,
    queue,
  };
}
