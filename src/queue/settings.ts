/**
 * What a distributed scan stores in its `settings` (beside the ordinary scan settings) and how a
 * worker reads the parts it needs back from the shared store. Read with zod: the store row is
 * shared between machines, so a worker checks what it uses.
 */
import { z } from 'zod';
import { DEFAULT_PROBE_OPTIONS, type ProbeOptions } from '../net/types.js';

export interface DistributedSettings {
  batch_size: number;
  /** Ids of the checks the coordinator ran with; workers must have the same set. */
  check_ids: string[];
  prefix: string;
}

const Probe = z
  .object({
    tls: z.boolean(),
    connectTimeoutMs: z.number().positive().max(600_000),
    tlsTimeoutMs: z.number().positive().max(600_000),
    firstByteTimeoutMs: z.number().positive().max(600_000),
    idleTimeoutMs: z.number().positive().max(600_000),
    totalTimeoutMs: z.number().positive().max(3_600_000),
    maxHeaderBytes: z.number().int().positive().max(16 * 1024 * 1024),
    maxBodyBytes: z.number().int().positive().max(256 * 1024 * 1024),
    maxHostBytes: z.number().int().positive().max(1024 * 1024 * 1024),
    userAgent: z.string().min(1).max(300),
    closeDelimitedGraceMs: z.number().min(0).max(600_000),
  })
  .partial();

const WorkerView = z.object({
  scheme: z.enum(['http', 'https']),
  rate_limit: z.number().min(0).default(0),
  rate_limit_net: z.number().min(0).default(0),
  exclude: z.array(z.string().max(200)).max(100_000).default([]),
  probe: Probe.default({}),
  distributed: z.object({
    batch_size: z.number().int().min(1).max(10_000),
    check_ids: z.array(z.string().max(200)).max(10_000),
    prefix: z.string().max(200),
  }),
});

export interface WorkerScanView {
  scheme: 'http' | 'https';
  rateLimit: number;
  rateLimitNet: number;
  exclude: string[];
  probe: ProbeOptions;
  batchSize: number;
  checkIds: string[];
}

/** The worker's view of a scan's settings, or an error message. */
export function readWorkerView(settings: unknown): WorkerScanView | string {
  const p = WorkerView.safeParse(settings);
  if (!p.success) {
    const i = p.error.issues[0];
    return `scan settings are not those of a distributed scan (${i?.path.join('.') || '(root)'}: ${i?.message})`;
  }
  const s = p.data;
  return {
    scheme: s.scheme,
    rateLimit: s.rate_limit,
    rateLimitNet: s.rate_limit_net,
    exclude: s.exclude,
    probe: { ...DEFAULT_PROBE_OPTIONS, ...s.probe } as ProbeOptions,
    batchSize: s.distributed.batch_size,
    checkIds: s.distributed.check_ids,
  };
}
