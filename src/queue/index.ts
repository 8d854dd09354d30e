/**
 * Work distribution (src/queue): BullMQ on Redis. Generic named job types (jobs.ts), the scan-batch
 * job (batch.ts), the enrichment job (enrich.ts), the coordinator that enqueues a scan
 * (coordinator.ts), the worker that scans batches (worker.ts), the Redis-wide rate limiter
 * (rate.ts), worker heartbeats (heartbeat.ts), `scan status` (status.ts), riding out store outages
 * (store-wait.ts), and the small RESP driver BullMQ runs on (resp.ts, redis.ts).
 */
export { batchJobId, MAX_BATCH, SCAN_BATCH, SCAN_QUEUE, type ScanBatch, ScanBatchSchema } from './batch.js';
export { type CoordinatorOptions, type CoordinatorProgress, type CoordinatorResult, type FailedBatch, runCoordinator } from './coordinator.js';
export {
  ENRICH_QUEUE,
  ENRICH_SCAN,
  type EnrichJob,
  type EnrichJobResult,
  EnrichJobSchema,
  enqueueEnrich,
  enrichJobId,
  startEnrichWorker,
  waitForJob,
} from './enrich.js';
export { LIVE_MS, liveWorkers, type WorkerInfo } from './heartbeat.js';
export {
  addJob,
  DEFAULT_QUEUE_PREFIX,
  DEFAULT_TUNING,
  defineJobType,
  type JobType,
  openQueue,
  type QueueSettings,
  startQueueWorker,
  type WorkerTuning,
} from './jobs.js';
export { SharedRateLimiter } from './rate.js';
export { connectionOptions, openRedis, parseRedisUrl, pingRedis, redactRedisUrl, useRespDriver } from './redis.js';
export { type DistributedSettings, readWorkerView } from './settings.js';
export { isStoreOutage, STORE_WAIT_MS, storeRetry, waitForStore } from './store-wait.js';
export { type QueueStatus, queueStatus, renderStatus, type ScanStatus, scanStatusOf } from './status.js';
export { type RunningWorker, type ScanWorkerOptions, startScanWorker, type WorkerStats } from './worker.js';
