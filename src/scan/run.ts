/**
 * The scan loop: stream targets → scope guard → (resolve names) → rate limit → one HostSession per
 * target → check engine → one ScanRecord → batched, idempotent store writes → outputs.
 *
 * Exactly-once: a record exists when its batch is committed; outputs see it only after the commit.
 * `--resume` re-streams the same inputs (their seq is deterministic), skips the seqs already
 * stored, and re-emits the stored records to the outputs first, so a scan killed at any moment
 * (even kill -9) ends with every target recorded exactly once. On abort (Ctrl-C) nothing that was
 * cut short is recorded: it is scanned again on resume.
 *
 * Distributed workers (src/queue/worker.ts) run one batch through this same loop: `targets` gives
 * the batch's targets with their seqs instead of streaming `inputs`, `limiter` adds the scan-wide
 * Redis limiter, and `gate` shares the worker's host slots between the batches it runs at once.
 */
import type { CheckEngine } from '../checks/types.js';
import { RateLimiter } from '../net/rate.js';
import { createHostSession } from '../net/session.js';
import type { ProbeOptions } from '../net/types.js';
import type { ScopeGuard } from '../scope/index.js';
import type { Store } from '../store/types.js';
import { readTargets, resolveTarget } from '../targets/index.js';
import type { Target, TargetInput } from '../targets/types.js';
import { failureRecord, type RecordContext, verdictRecord } from './build-record.js';
import type { ScanRecord } from './record.js';

export interface ScanRunOptions {
  scanId: string;
  inputs: TargetInput[];
  ports: number[];
  scheme: 'http' | 'https';
  concurrency: number;
  rateLimit: number;
  rateLimitNet: number;
  probe: ProbeOptions;
  scope: ScopeGuard;
  engine: CheckEngine;
  store: Store;
  /** Seqs already stored (resume). */
  done?: { has(seq: number): boolean };
  /** Called after each committed batch, in commit order. */
  onCommitted?: (records: ScanRecord[]) => void | Promise<void>;
  /** Called for each refused (out-of-scope / excluded) target, before its record is written. */
  onRefused?: (target: string, why: string) => void;
  signal?: AbortSignal;
  /** Batch size / max latency for store writes. */
  batchSize?: number;
  batchMs?: number;
  /**
   * Targets given directly (a distributed batch) instead of streaming `inputs`; their seqs are
   * used as given. `inputs` is ignored when this is set.
   */
  targets?: Iterable<Target> | AsyncIterable<Target>;
  /**
   * Extra rate limiter consulted after the local one (e.g. the Redis-wide limiter of distributed
   * scans). It must resolve when the host may be probed, or reject when `signal` aborts.
   */
  limiter?: { acquire(ip: string, signal?: AbortSignal): Promise<void> };
  /** A host-slot gate shared between several runs of one process (a worker's `-c`). */
  gate?: { acquire(signal?: AbortSignal): Promise<void>; release(): void };
  /**
   * Called once when every target has been started: only the slowest hosts are still running (a
   * distributed worker then takes another batch, so their wait does not idle its host slots).
   */
  onDispatched?: () => void;
}

export interface ScanCounters {
  /** Targets handled in this run (recorded), excluding those done before a resume. */
  recorded: number;
  skipped: number;
  ok: number;
  unreachable: number;
  error: number;
  inFlight: number;
}

export interface ScanHandle {
  counters: ScanCounters;
  /** Resolves when the scan ended (finished or aborted). `completed` is false after an abort. */
  done: Promise<{ completed: boolean; counters: ScanCounters }>;
}

function hostLabel(t: Target): string {
  const addr = t.ip ?? t.host ?? '?';
  return `${addr.includes(':') ? `[${addr}]` : addr}:${t.port}`;
}

export function runScan(o: ScanRunOptions): ScanHandle {
  const counters: ScanCounters = { recorded: 0, skipped: 0, ok: 0, unreachable: 0, error: 0, inFlight: 0 };
  const signal = o.signal;
  const limiter = new RateLimiter({ rate: o.rateLimit, perNetRate: o.rateLimitNet });
  const batchSize = o.batchSize ?? 1000;
  const batchMs = o.batchMs ?? 250;

  let pending: ScanRecord[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  let writeChain: Promise<void> = Promise.resolve();
  let writeError: unknown = null;

  const flush = (): Promise<void> => {
    if (flushTimer) {
      clearTimeout(flushTimer);
      flushTimer = null;
    }
    if (pending.length === 0) return writeChain;
    const batch = pending;
    pending = [];
    writeChain = writeChain.then(async () => {
      if (writeError) return;
      try {
        await o.store.insertRecords(o.scanId, batch);
        for (const r of batch) {
          counters.recorded++;
          counters[r.status]++;
        }
        if (o.onCommitted) await o.onCommitted(batch);
      } catch (e) {
        writeError = e;
      }
    });
    return writeChain;
  };

  const push = (r: ScanRecord): void => {
    pending.push(r);
    if (pending.length >= batchSize) void flush();
    else if (!flushTimer) flushTimer = setTimeout(() => void flush(), batchMs);
  };

  const probeOne = async (t: Target): Promise<ScanRecord | null> => {
    const base: RecordContext = {
      ip: t.ip ?? '',
      port: t.port,
      host: t.host ?? null,
      scheme: o.scheme,
      scanId: o.scanId,
      seq: t.seq,
    };
    let ip = t.ip;
    if (!ip) {
      try {
        ip = (await resolveTarget(t)).ip;
      } catch (e) {
        return failureRecord(base, 'dns', (e as Error).message);
      }
      base.ip = ip;
    }
    const verdict = o.scope.check(ip);
    if (!verdict.allowed) {
      const why = `${verdict.reason}: ${verdict.rule}${verdict.source ? ` (${verdict.source})` : ''}`;
      o.onRefused?.(hostLabel({ ...t, ip }), why);
      return failureRecord(base, 'out_of_scope', why);
    }
    await limiter.acquire(ip, signal);
    if (o.limiter) await o.limiter.acquire(ip, signal);
    if (signal?.aborted) return null;
    const session = createHostSession({ ip, port: t.port, host: t.host }, o.probe, signal);
    try {
      const v = await o.engine.runHost(session, signal);
      if (signal?.aborted) return null; // cut short: scanned again on resume, never recorded half-done
      return verdictRecord(base, v, session.tls());
    } finally {
      session.close();
    }
  };

  const done = (async () => {
    let wake: (() => void) | null = null;
    const slotFreed = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    let fatal: unknown = null;
    try {
      for await (const t of o.targets ?? readTargets(o.inputs, { ports: o.ports })) {
        if (signal?.aborted || writeError || fatal) break;
        if (o.done?.has(t.seq)) {
          counters.skipped++;
          continue;
        }
        while (counters.inFlight >= o.concurrency) {
          await new Promise<void>((r) => {
            wake = r;
          });
        }
        if (signal?.aborted) break;
        if (o.gate) {
          try {
            await o.gate.acquire(signal);
          } catch {
            break;
          }
        }
        counters.inFlight++;
        probeOne(t)
          .then(
            (r) => {
              if (r && !signal?.aborted) push(r);
            },
            (e) => {
              // A bug, not host behaviour: record it as an internal error so the target is not lost.
              if (!signal?.aborted) {
                push(
                  failureRecord(
                    { ip: t.ip ?? '', port: t.port, host: t.host ?? null, scheme: o.scheme, scanId: o.scanId, seq: t.seq },
                    'internal',
                    String((e as Error)?.stack ?? e).slice(0, 500),
                  ),
                );
              }
            },
          )
          .finally(() => {
            counters.inFlight--;
            o.gate?.release();
            slotFreed();
          });
      }
      if (!signal?.aborted && !writeError) o.onDispatched?.();
    } catch (e) {
      fatal = e;
    }
    while (counters.inFlight > 0) {
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    await flush();
    await writeChain;
    if (fatal) throw fatal;
    if (writeError) throw writeError;
    return { completed: !signal?.aborted, counters };
  })();

  return { counters, done };
}
