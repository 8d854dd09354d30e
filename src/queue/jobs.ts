/**
 * The generic queue layer: named job types on BullMQ queues. A job type is a name plus a zod
 * schema for its payload; the worker side validates every payload read from Redis before use
 * (Redis is shared infrastructure: whatever is in it is input, not trusted state). Scan batches
 * are the first job type (batch.ts); enrichment and notification jobs can be added the same way.
 */
import { Queue, type JobsOptions, Worker, type Job } from 'bullmq';
import type { z } from 'zod';
import { EdgewatchError } from '../errors.js';
import { connectionOptions } from './redis.js';

/** Where the queues live. `prefix` namespaces every key (several deployments may share a Redis). */
export interface QueueSettings {
  redis: string;
  prefix: string;
}

export const DEFAULT_QUEUE_PREFIX = 'edgewatch';

/** A named job type with its payload schema. */
export interface JobType<T> {
  readonly queue: string;
  readonly name: string;
  readonly schema: z.ZodType<T>;
}

export function defineJobType<T>(queue: string, name: string, schema: z.ZodType<T>): JobType<T> {
  return { queue, name, schema };
}

/** Fault-tolerance knobs of a worker (BullMQ stalled-job detection). */
export interface WorkerTuning {
  /** Jobs processed at once by this process. */
  concurrency: number;
  /** A job's lock lasts this long and is renewed every half; a dead worker's job stalls after it. */
  lockDurationMs: number;
  /** How often this worker looks for stalled jobs (of any worker). */
  stalledIntervalMs: number;
  /** A job that stalls more often than this is failed (crash loop guard). */
  maxStalledCount: number;
}

export const DEFAULT_TUNING: WorkerTuning = {
  concurrency: 2,
  lockDurationMs: 30_000,
  stalledIntervalMs: 15_000,
  maxStalledCount: 3,
};

/** Close a queue/worker/client, giving up after `ms` (a connection that never came up can hang close()). */
export async function closeWithin(p: () => Promise<unknown>, ms = 3000): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p().catch(() => {}), new Promise((r) => (t = setTimeout(r, ms)))]);
  clearTimeout(t);
}

export function openQueue(name: string, s: QueueSettings): Queue {
  const q = new Queue(name, { connection: connectionOptions(s.redis), prefix: s.prefix });
  q.on('error', () => {}); // connection loss surfaces on the calls; BullMQ reconnects
  return q;
}

/** Enqueue a job of a type (payload validated first, so a producer bug cannot poison the queue). */
export async function addJob<T>(q: Queue, type: JobType<T>, data: T, opts: JobsOptions): Promise<Job> {
  const parsed = type.schema.safeParse(data);
  if (!parsed.success) throw badJob(type.name, parsed.error);
  return q.add(type.name, parsed.data, opts);
}

export function badJob(name: string, err: z.ZodError): EdgewatchError {
  const i = err.issues[0];
  return new EdgewatchError('EW_QUEUE_BAD_JOB', `${name} job payload invalid at ${i?.path.join('.') || '(root)'}: ${i?.message ?? 'invalid'}`);
}

export type Handler<T> = (data: T, job: Job) => Promise<unknown>;

/**
 * Start a worker for one queue. `handlers` maps job names to a type and a handler; a job of an
 * unknown name or with an invalid payload throws EW_QUEUE_BAD_JOB (retried, then failed: a poison
 * job ends in the failed set with that error instead of looping).
 */
export function startQueueWorker(
  name: string,
  s: QueueSettings,
  // biome-ignore lint/suspicious/noExplicitAny: heterogeneous handler map
  handlers: Array<{ type: JobType<any>; handle: Handler<any> }>,
  tuning: WorkerTuning,
): Worker {
  const byName = new Map(handlers.map((h) => [h.type.name, h]));
  const w = new Worker(
    name,
    async (job) => {
      const h = byName.get(job.name);
      if (!h) throw new Error(`EW_QUEUE_BAD_JOB: unknown job type "${String(job.name).slice(0, 60)}" on queue ${name}`);
      const parsed = h.type.schema.safeParse(job.data);
      if (!parsed.success) throw new Error(`EW_QUEUE_BAD_JOB: ${badJob(h.type.name, parsed.error).message}`);
      try {
        return await h.handle(parsed.data, job);
      } catch (e) {
        // The failed set keeps only a message: put the stable code in front of it.
        if (e instanceof EdgewatchError && !e.message.startsWith(e.code)) throw new Error(`${e.code}: ${e.message}`, { cause: e });
        throw e;
      }
    },
    {
      connection: connectionOptions(s.redis),
      prefix: s.prefix,
      concurrency: tuning.concurrency,
      lockDuration: tuning.lockDurationMs,
      stalledInterval: tuning.stalledIntervalMs,
      maxStalledCount: tuning.maxStalledCount,
      autorun: true,
    },
  );
  return w;
}
