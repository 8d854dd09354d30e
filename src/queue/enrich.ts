/**
 * Enrichment jobs on the same queue machinery as scan batches: the job type `enrich-scan` on queue
 * `enrich` asks a worker to enrich one stored scan (src/enrich/pipeline.ts `enrichScan`: geo, AS,
 * organisation attribution, upserted into `ip_enrichment`). `edgewatch worker` takes these jobs
 * beside scan batches; `edgewatch queue enrich SCAN` (or `scan --distributed --enrich` when the scan
 * ends) enqueues one. The job id is derived from the scan (`<scan>-enrich`), so enqueueing twice
 * while one is pending adds nothing; enrichment itself is an idempotent upsert, so a retried or
 * repeated job is harmless. The queue layer does not choose HOW to enrich: the caller passes the
 * function (the CLI wires enrichScan with the worker's config), keeping this module generic.
 */
import type { Job, Queue } from 'bullmq';
import { z } from 'zod';
import { EdgewatchError } from '../errors.js';
import type { Store } from '../store/types.js';
import { addJob, closeWithin, defineJobType, openQueue, type QueueSettings, startQueueWorker, type WorkerTuning } from './jobs.js';
import { storeRetry } from './store-wait.js';

export const ENRICH_QUEUE = 'enrich';

export const EnrichJobSchema = z
  .object({
    v: z.literal(1),
    scan: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/, 'bad scan id'),
  })
  .strict();
export type EnrichJob = z.infer<typeof EnrichJobSchema>;

export const ENRICH_SCAN = defineJobType<EnrichJob>(ENRICH_QUEUE, 'enrich-scan', EnrichJobSchema);

export function enrichJobId(scanId: string): string {
  return `${scanId}-enrich`;
}

const PENDING = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** What a worker reports back for one enriched scan (the job's return value). */
export interface EnrichJobResult {
  scan: string;
  hosts: number;
  enriched: number;
  attributed: number;
  uncovered: number;
  ms: number;
}

/**
 * Enqueue enrichment of a scan. Idempotent: a job for the scan still queued or running is left
 * alone (`added: false`); a finished or failed one is replaced by a new one.
 */
export async function enqueueEnrich(
  s: QueueSettings,
  scanId: string,
  o: { attempts?: number; backoffMs?: number } = {},
): Promise<{ id: string; added: boolean }> {
  const q = openQueue(ENRICH_QUEUE, s);
  const id = enrichJobId(scanId);
  try {
    const existing: Job | undefined = await q.getJob(id);
    if (existing) {
      if (PENDING.has(await existing.getState())) return { id, added: false };
      await existing.remove();
    }
    await addJob(q, ENRICH_SCAN, { v: 1, scan: scanId }, {
      jobId: id,
      attempts: o.attempts ?? 3,
      backoff: { type: 'exponential', delay: o.backoffMs ?? 5000 },
      removeOnComplete: { count: 1000 },
      removeOnFail: false,
    });
    return { id, added: true };
  } finally {
    await closeWithin(() => q.close());
  }
}

/** Poll a job of a queue until it completed or failed, for at most `ms`. */
export async function waitForJob(
  s: QueueSettings,
  queue: string,
  id: string,
  ms: number,
): Promise<{ state: string; result: unknown; error: string | null; attempts: number }> {
  const q: Queue = openQueue(queue, s);
  try {
    const end = Date.now() + ms;
    for (;;) {
      const job = await q.getJob(id);
      const state = job ? await job.getState() : 'unknown';
      if (state === 'completed' || state === 'failed' || state === 'unknown' || Date.now() > end) {
        return { state, result: job?.returnvalue ?? null, error: job?.failedReason ?? null, attempts: job?.attemptsMade ?? 0 };
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await closeWithin(() => q.close());
  }
}

export interface EnrichWorkerOptions {
  queue: QueueSettings;
  store: Store;
  tuning: WorkerTuning;
  /** Enrich one stored scan (the CLI passes enrichScan with the worker's data directory). */
  enrich(scanId: string, signal: AbortSignal): Promise<Omit<EnrichJobResult, 'scan'>>;
  log(line: string): void;
}

/** Take `enrich-scan` jobs. Close waits for the job under way (bounded by closeWithin in callers). */
export function startEnrichWorker(o: EnrichWorkerOptions): { close(): Promise<void>; readonly done: number; readonly active: number; readonly lastActivity: number } {
  const controller = new AbortController();
  let done = 0;
  let active = 0;
  let lastActivity = 0;
  const handle = async (data: EnrichJob, job: Job): Promise<EnrichJobResult> => {
    active++;
    lastActivity = Date.now();
    try {
      return await handleOne(data, job);
    } finally {
      active--;
      lastActivity = Date.now();
    }
  };
  const handleOne = async (data: EnrichJob, job: Job): Promise<EnrichJobResult> => {
    const row = await storeRetry(`scan ${data.scan}`, () => o.store.getScan(data.scan), { log: o.log, signal: controller.signal });
    if (!row) throw new EdgewatchError('EW_QUEUE_SCAN_UNKNOWN', `enrichment job for scan ${data.scan}, which is not in this worker's store (check --db)`);
    o.log(`enrich ${job.id} start: scan ${data.scan} (${row.done} records), attempt ${job.attemptsMade + 1}`);
    const r = await storeRetry(`enriching ${data.scan}`, () => o.enrich(data.scan, controller.signal), { log: o.log, signal: controller.signal });
    done++;
    o.log(`enrich ${job.id} done: ${r.enriched} hosts enriched of ${r.hosts}, ${r.attributed} attributed (${r.ms} ms)`);
    return { scan: data.scan, ...r };
  };
  const bull = startQueueWorker(ENRICH_QUEUE, o.queue, [{ type: ENRICH_SCAN, handle }], o.tuning);
  bull.on('failed', (job, err) => o.log(`enrich ${job?.id ?? '?'} failed (attempt ${job?.attemptsMade ?? '?'}): ${err.message.slice(0, 300)}`));
  bull.on('error', () => {}); // connection loss: BullMQ reconnects; the scan worker logs it once
  return {
    get done() {
      return done;
    },
    get active() {
      return active;
    },
    get lastActivity() {
      return lastActivity;
    },
    async close() {
      await bull.close();
      controller.abort();
    },
  };
}
