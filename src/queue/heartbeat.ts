/**
 * Live workers: each worker writes a heartbeat (id, host, pid, batches and hosts done, its rate)
 * every few seconds; the coordinator and `scan status` count the workers seen recently. Two keys:
 * a sorted set `<prefix>:workers` (member id, score last-seen ms) and a hash `<prefix>:workers:info`.
 */
import type { IRedisClient } from 'bullmq';
import { sendRaw } from './redis.js';

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  started: string;
  batches: number;
  hosts: number;
  failed: number;
  /** Hosts per second over the last interval. */
  rate: number;
  scan: string | null;
}

/** A worker missing this long is not counted as live. */
export const LIVE_MS = 15_000;

export function heartbeatKeys(prefix: string): { seen: string; info: string } {
  return { seen: `${prefix}:workers`, info: `${prefix}:workers:info` };
}

export async function beat(redis: IRedisClient, prefix: string, info: WorkerInfo): Promise<void> {
  const k = heartbeatKeys(prefix);
  const now = Date.now();
  await sendRaw(redis, 'ZADD', [k.seen, now, info.id]);
  await sendRaw(redis, 'HSET', [k.info, info.id, JSON.stringify(info)]);
  // Forget workers gone for an hour.
  await sendRaw(redis, 'ZREMRANGEBYSCORE', [k.seen, '-inf', now - 3_600_000]);
}

export async function leave(redis: IRedisClient, prefix: string, id: string): Promise<void> {
  const k = heartbeatKeys(prefix);
  await sendRaw(redis, 'ZREM', [k.seen, id]);
  await sendRaw(redis, 'HDEL', [k.info, id]);
}

/** Workers seen within LIVE_MS (their last heartbeat), at most 1,000. */
export async function liveWorkers(redis: IRedisClient, prefix: string): Promise<WorkerInfo[]> {
  const k = heartbeatKeys(prefix);
  const ids = await sendRaw<string[]>(redis, 'ZRANGEBYSCORE', [k.seen, Date.now() - LIVE_MS, '+inf', 'LIMIT', 0, 1000]);
  if (!ids?.length) return [];
  const raw = await sendRaw<Array<string | null>>(redis, 'HMGET', [k.info, ...ids]);
  const out: WorkerInfo[] = [];
  for (const r of raw ?? []) {
    if (!r) continue;
    try {
      out.push(JSON.parse(r) as WorkerInfo);
    } catch {
      // a damaged entry is skipped, not fatal
    }
  }
  return out;
}
