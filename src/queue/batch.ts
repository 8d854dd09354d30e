/**
 * The scan-batch job type: a slice of one scan's target stream with the targets' seqs, as the
 * coordinator enqueues it and a worker reads it back. Batches are numbered by seq
 * (batch b = seqs [b·size, (b+1)·size)), so a resumed coordinator rebuilds the same batches and
 * the same job ids. A payload is validated field by field: every address must be an IP literal
 * or a host name (workers resolve names and run their own scope guard before any socket opens).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { Target } from '../targets/types.js';
import { defineJobType } from './jobs.js';

export const SCAN_QUEUE = 'scan';
/** Most targets one batch may carry. */
export const MAX_BATCH = 10_000;

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

const Ip = z
  .string()
  .max(45)
  .refine((s) => isIP(s) !== 0, 'not an IP address');
const Host = z.string().max(253).regex(HOSTNAME, 'not a host name');

/** One target: [seq, ip | null, port, host | null]. */
const TargetTuple = z
  .tuple([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), Ip.nullable(), z.number().int().min(1).max(65535), Host.nullable()])
  .refine((t) => t[1] !== null || t[3] !== null, 'a target needs an ip or a host');

export const ScanBatchSchema = z
  .object({
    v: z.literal(1),
    scan: z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/, 'bad scan id'),
    batch: z.number().int().min(0),
    t: z.array(TargetTuple).min(1).max(MAX_BATCH),
  })
  .strict();

export type ScanBatch = z.infer<typeof ScanBatchSchema>;

export const SCAN_BATCH = defineJobType<ScanBatch>(SCAN_QUEUE, 'scan-batch', ScanBatchSchema);

export function batchJobId(scanId: string, batch: number): string {
  return `${scanId}-b${batch}`;
}

export function toTuple(t: Target): ScanBatch['t'][number] {
  return [t.seq, t.ip ?? null, t.port, t.host ?? null];
}

export function fromTuple(x: ScanBatch['t'][number]): Target {
  const t: Target = { seq: x[0], port: x[2] };
  if (x[1] !== null) t.ip = x[1];
  if (x[3] !== null) t.host = x[3];
  return t;
}
