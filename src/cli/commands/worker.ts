/**
 * CLI of distributed scans: `edgewatch worker` (takes scan batches and enrichment jobs from the
 * queue), `edgewatch queue enrich` (enqueues enrichment of a stored scan), and the coordinator side
 * used by `edgewatch scan --distributed` and `edgewatch scan status`. Parses flags, builds the
 * worker's OWN scope guard from its own flags/config/environment, and prints.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createEngine, loadChecks } from '../../checks/index.js';
import type { Config } from '../../config.js';
import { dataDir } from '../../data-dir.js';
import { enrichScan, parseEnrichPipelineConfig } from '../../enrich/pipeline.js';
import { EdgewatchError } from '../../errors.js';
import {
  type CoordinatorProgress,
  DEFAULT_QUEUE_PREFIX,
  DEFAULT_TUNING,
  ENRICH_QUEUE,
  type EnrichJobResult,
  enqueueEnrich,
  pingRedis,
  type QueueSettings,
  queueStatus,
  redactRedisUrl,
  renderStatus,
  runCoordinator,
  scanStatusOf,
  startEnrichWorker,
  startScanWorker,
  storeRetry,
  waitForJob,
} from '../../queue/index.js';
import type { RecordSink } from '../../report/output.js';
import { ScopeGuard } from '../../scope/index.js';
import type { ScanRow, Store } from '../../store/types.js';
import type { TargetInput } from '../../targets/types.js';
import { baseConfig, openConfiguredStore, parseIntFlag, parseNumberFlag } from '../context.js';
import { pickScan } from '../scan-ref.js';

/** Flags shared by the coordinator, the worker and `scan status`. */
export interface QueueFlags {
  redis?: string;
  queuePrefix?: string;
}

export function queueSettings(cfg: Config, flags: QueueFlags): QueueSettings {
  const redis = flags.redis ?? process.env.EDGEWATCH_REDIS ?? cfg.redis;
  const prefix = flags.queuePrefix ?? process.env.EDGEWATCH_QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX;
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(prefix))
    throw new EdgewatchError('EW_CLI_USAGE', '--queue-prefix must be 1-100 letters, digits, _ . -');
  return { redis, prefix };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

function fmtEta(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--';
  if (sec < 60) return `${Math.round(sec)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(Math.round(sec % 60)).padStart(2, '0')}s`;
  return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
}

// ───────────────────────────── coordinator (scan --distributed) ─────────────────────────────

export interface DistributedRunInput {
  store: Store;
  scan: ScanRow;
  inputs: TargetInput[];
  ports: number[];
  scheme: 'http' | 'https';
  scope: ScopeGuard;
  queue: QueueSettings;
  batchSize: number;
  maxQueued: number;
  attempts: number;
  retryDelayMs: number;
  done?: ReadonlySet<number>;
  sinks: RecordSink[];
  silent: boolean;
  statsIntervalMs: number;
  onRefused: (t: string, why: string) => void;
  dbFlag?: string;
  /** Enrich the finished scan as a queue job on a worker, waiting for it (`scan --distributed --enrich-on-workers`). */
  enrich?: boolean;
}

/** Throws EW_QUEUE_REDIS_DOWN when Redis does not answer (before anything is written). */
export async function assertRedis(q: QueueSettings): Promise<void> {
  if (!(await pingRedis(q.redis, 3000))) {
    throw new EdgewatchError('EW_QUEUE_REDIS_DOWN', `Redis at ${redactRedisUrl(q.redis)} is not reachable; start it or give --redis URL`);
  }
}

/** Run the coordinator for a created (or resumed) scan; returns the exit status. */
export async function runDistributedScan(d: DistributedRunInput): Promise<number> {
  await assertRedis(d.queue);
  const cpuAtStart = process.cpuUsage();
  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    process.stderr.write('\n[edgewatch] stopping the coordinator (queued batches stay queued; workers go on with them)…\n');
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = Boolean(process.stderr.isTTY);
  const samples: Array<[number, number]> = [];
  let lastLine = 0;
  const show = (p: CoordinatorProgress, final = false) => {
    if (d.silent) return;
    const now = Date.now();
    samples.push([now, p.stored]);
    while (samples.length > 2 && now - samples[0][0] > 15_000) samples.shift();
    const [t0, n0] = samples[0];
    const rate = now > t0 ? ((p.stored - n0) * 1000) / (now - t0) : 0;
    const eta = p.total !== null && rate > 0 ? (p.total - p.stored) / rate : Number.POSITIVE_INFINITY;
    const pct = p.total ? ` (${((100 * p.stored) / p.total).toFixed(1)}%)` : '';
    const line = `[edgewatch] scan ${d.scan.id}: ${p.stored}/${p.total ?? '?'}${pct} ${rate.toFixed(0)} hosts/s ETA ${fmtEta(eta)} | batches queued ${p.outstanding - p.active} running ${p.active} failed ${p.failed} | workers ${p.workers}${p.streaming ? ' | enqueueing' : ''}`;
    if (tty) process.stderr.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else if (final || now - lastLine >= d.statsIntervalMs) {
      lastLine = now;
      process.stderr.write(`${line}\n`);
    }
  };
  let result: Awaited<ReturnType<typeof runCoordinator>>;
  let lastP: CoordinatorProgress | null = null;
  try {
    result = await runCoordinator({
      store: d.store,
      scanId: d.scan.id,
      inputs: d.inputs,
      ports: d.ports,
      scheme: d.scheme,
      scope: d.scope,
      queue: d.queue,
      batchSize: d.batchSize,
      maxQueued: d.maxQueued,
      attempts: d.attempts,
      backoffMs: d.retryDelayMs,
      done: d.done,
      signal: ac.signal,
      onRefused: d.onRefused,
      onProgress: (p) => {
        lastP = p;
        show(p);
      },
      log: (l) => process.stderr.write(`${tty ? '\n' : ''}[edgewatch] ${l}\n`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (lastP) show(lastP, true);
  const storeWait = { log: (l: string) => process.stderr.write(`[edgewatch] ${l}\n`) };
  const row = (await storeRetry('final count', () => d.store.getScan(d.scan.id), storeWait)) as ScanRow;
  const resume = `edgewatch scan --distributed --resume ${d.scan.id}${d.dbFlag ? ` --db ${d.dbFlag}` : ''}`;
  if (ac.signal.aborted) {
    // A Redis that went away may leave reconnect timers behind: never hang after Ctrl-C.
    setTimeout(() => process.exit(130), 3000).unref();
    await d.store.setScanState(d.scan.id, 'interrupted');
    process.stderr.write(`[edgewatch] scan ${d.scan.id} interrupted at ${row.done}/${row.total ?? '?'}. Resume with:\n  ${resume}\n`);
    return 130;
  }
  if (result.failed.length > 0 || (row.total !== null && row.done < row.total)) {
    await storeRetry('scan state', () => d.store.setScanState(d.scan.id, 'interrupted'), storeWait);
    const why =
      result.failed.length > 0
        ? `${result.failed.length} batch${result.failed.length === 1 ? '' : 'es'} failed after all attempts (first: ${result.failed[0].id}: ${result.failed[0].error.slice(0, 200)})`
        : `only ${row.done} of ${row.total} targets are recorded`;
    throw new EdgewatchError(
      'EW_QUEUE_INCOMPLETE',
      `scan ${d.scan.id} incomplete: ${why}; see \`edgewatch scan status ${d.scan.id}\`, fix the cause, then: ${resume}`,
    );
  }
  await storeRetry('scan state', () => d.store.setScanState(d.scan.id, 'finished'), storeWait);
  if (d.enrich) await enrichOnWorkers(d);
  if (d.sinks.length) {
    for await (const r of d.store.iterateRecords(d.scan.id)) for (const s of d.sinks) await s.write([r]);
  }
  const cpu = process.cpuUsage(cpuAtStart);
  process.stderr.write(
    `[edgewatch] scan ${d.scan.id} finished (distributed): ${row.done} records, ${result.enqueued} batches enqueued this run, ${result.refused} refused here; coordinator cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB\n`,
  );
  return 0;
}

/** How long the coordinator waits for a worker to enrich the finished scan. */
const ENRICH_WAIT_MS = 30 * 60_000;

/**
 * Enrichment as a queue job: enqueue it and wait (bounded) for a worker to finish it, so whatever
 * runs after the scan (case update) sees the enriched hosts. Never throws: a failure is reported
 * with the command that retries it, and the scan stays finished.
 */
async function enrichOnWorkers(d: DistributedRunInput): Promise<void> {
  const say = (l: string) => {
    if (!d.silent) process.stderr.write(`[edgewatch] ${l}\n`);
  };
  const retry = `edgewatch queue enrich ${d.scan.id}${d.dbFlag ? ` --db ${d.dbFlag}` : ''} --wait 600`;
  try {
    const e = await enqueueEnrich(d.queue, d.scan.id, { attempts: d.attempts, backoffMs: d.retryDelayMs });
    say(`enrichment of scan ${d.scan.id} ${e.added ? 'queued' : 'already queued'} (job ${e.id}); waiting for a worker…`);
    const r = await waitForJob(d.queue, ENRICH_QUEUE, e.id, ENRICH_WAIT_MS);
    if (r.state === 'completed') {
      const x = r.result as EnrichJobResult;
      say(`enriched ${x.enriched} host(s), ${x.attributed} attributed to an organisation (${x.ms} ms, on a worker)`);
    } else {
      say(
        `enrichment job ${e.id} ${r.state === 'failed' ? `failed: ${String(r.error).slice(0, 300)}` : `still ${r.state}`}; the scan is kept — retry with: ${retry}`,
      );
    }
  } catch (err) {
    say(`enrichment could not be queued: ${(err as Error).message.slice(0, 300)}; the scan is kept — retry with: ${retry}`);
  }
}

// ───────────────────────────── scan status ─────────────────────────────

async function pickScanRow(store: Store, ref: string | undefined): Promise<ScanRow> {
  const id = await pickScan(store, ref);
  const row = await store.getScan(id);
  if (!row) throw new EdgewatchError('EW_SCAN_NOT_FOUND', `no scan with id ${id}`);
  return row;
}

interface StatusFlags extends QueueFlags {
  db?: string;
  config?: string;
  json?: boolean;
}

export function registerScanStatusCommand(scan: Command): void {
  scan
    .command('status')
    .description(
      'progress of a scan: records stored, and for distributed scans its batches (waiting, running, failed with errors) and live workers',
    )
    .argument('[scan]', 'scan id, id prefix or label (default: the latest scan)')
    .option('--db <file>', 'database (SQLite file or postgres:// URL; default edgewatch.db, or EDGEWATCH_DB)')
    .option('--config <file>', 'YAML config file')
    .option('--redis <url>', 'Redis of the queue (default: config `redis`, EDGEWATCH_REDIS, redis://127.0.0.1:6379)')
    .option('--queue-prefix <prefix>', `key prefix of the queues (default ${DEFAULT_QUEUE_PREFIX})`)
    .option('--json', 'print the status as JSON')
    .action(async (ref: string | undefined, _own: StatusFlags, cmd: Command) => {
      // `scan` has --db/--config/--redis/--queue-prefix too and commander gives them to the parent.
      const flags = cmd.optsWithGlobals() as StatusFlags;
      const cfg = baseConfig(flags);
      const store = await openConfiguredStore(cfg);
      try {
        const row = await pickScanRow(store, ref);
        const distributed = typeof row.settings === 'object' && row.settings !== null && 'distributed' in row.settings;
        const q = distributed ? await queueStatus(queueSettings(cfg, flags), row.id) : null;
        const st = scanStatusOf(row, q);
        process.stdout.write(flags.json ? `${JSON.stringify(st, null, 2)}\n` : renderStatus(st));
        process.exitCode = 0;
      } finally {
        await store.close();
      }
    });
}

// ───────────────────────────── worker ─────────────────────────────

interface WorkerFlags extends QueueFlags {
  db?: string;
  config?: string;
  lab?: boolean;
  scope?: string;
  excludeHosts?: string;
  excludeFile?: string[];
  concurrency?: number;
  rateLimit?: number;
  rateLimitNet?: number;
  checks?: string;
  batches?: number;
  lockMs?: number;
  stalledMs?: number;
  maxStalled?: number;
  exitWhenIdle?: number;
  statsInterval?: number;
  silent?: boolean;
  verbose?: boolean;
  /** false with --no-enrich: take no enrichment jobs. */
  enrich?: boolean;
}

export async function workerCommand(flags: WorkerFlags): Promise<number> {
  const layer: Partial<Config> = {};
  if (flags.scope) layer.scope = flags.scope.split(/[\s,]+/).filter(Boolean);
  if (flags.excludeHosts) layer.exclude = flags.excludeHosts.split(/[\s,]+/).filter(Boolean);
  if (flags.excludeFile) layer.exclude_files = flags.excludeFile.map((f) => resolve(f));
  if (flags.concurrency) layer.concurrency = flags.concurrency;
  if (flags.rateLimit !== undefined) layer.rate_limit = flags.rateLimit;
  if (flags.rateLimitNet !== undefined) layer.rate_limit_net = flags.rateLimitNet;
  if (flags.checks) layer.checks = resolve(flags.checks);
  const cfg = baseConfig(flags, layer);
  const queue = queueSettings(cfg, flags);
  // The worker's own guard: its own scope, exclusions and reserved-range policy. A scan's saved
  // exclusions are added on top (they can only narrow it).
  const ownExclude = cfg.exclude;
  const scopeFor = (extra: string[]) =>
    new ScopeGuard({
      scope: cfg.scope,
      exclude: [...new Set([...ownExclude, ...extra])],
      excludeFiles: cfg.exclude_files,
      applyReserved: cfg.reserved,
      allowReserved: cfg.allow_reserved,
    });
  const probeGuard = scopeFor([]); // fail at start (EW_SCOPE_REQUIRED …), not on the first batch
  const checks = await loadChecks(cfg.checks);
  const engine = createEngine(checks);
  const store = await openConfiguredStore(cfg);
  const log = (l: string) => {
    if (!flags.silent) process.stderr.write(`[edgewatch worker] ${l}\n`);
  };
  const tuning = {
    // Enough batches to keep -c hosts busy while earlier batches wait for their slowest hosts.
    concurrency: flags.batches ?? Math.min(64, Math.max(DEFAULT_TUNING.concurrency, Math.ceil(cfg.concurrency / 128) + 1)),
    lockDurationMs: flags.lockMs ?? DEFAULT_TUNING.lockDurationMs,
    stalledIntervalMs: flags.stalledMs ?? DEFAULT_TUNING.stalledIntervalMs,
    maxStalledCount: flags.maxStalled ?? DEFAULT_TUNING.maxStalledCount,
  };
  let refusedShown = 0;
  const w = startScanWorker({
    queue,
    store,
    scopeFor,
    engine,
    concurrency: cfg.concurrency,
    rateLimit: cfg.rate_limit,
    rateLimitNet: cfg.rate_limit_net,
    tuning,
    log,
    verbose: Boolean(flags.verbose),
    autoBatches: flags.batches === undefined,
    onRefused: (t, why) => {
      if (refusedShown++ < 20) log(`REFUSED ${t}: ${why} — no packet sent`);
    },
  });
  // Enrichment jobs (queue "enrich"), one at a time, offline lookups only (geo, AS, organisations
  // from the store; no reverse DNS or RDAP from workers).
  const pipe = parseEnrichPipelineConfig(cfg.enrich, flags.config);
  const ew =
    flags.enrich === false
      ? null
      : startEnrichWorker({
          queue,
          store,
          tuning: { ...tuning, concurrency: 1 },
          log,
          enrich: async (scanId, signal) => {
            const r = await enrichScan(store, scanId, {
              dataDir: dataDir(cfg),
              labIdentities: pipe.lab_identities ?? null,
              concurrency: pipe.concurrency,
              batchSize: pipe.batch_size,
              signal,
            });
            return { hosts: r.hosts, enriched: r.enriched, attributed: r.attributed, uncovered: r.uncovered, ms: r.ms };
          },
        });
  log(
    `${w.id} on ${redactRedisUrl(queue.redis)} (prefix ${queue.prefix}); ${probeGuard.summary()}; -c ${cfg.concurrency}, ${tuning.concurrency} batches at once, lock ${tuning.lockDurationMs} ms`,
  );
  const done = new Promise<number>((resolveDone) => {
    let stopping = false;
    const stop = (code: number) => {
      if (stopping) return;
      stopping = true;
      clearInterval(tick);
      Promise.all([w.close(), ew?.close()])
        .catch(() => {})
        .then(() => {
          const cpu = process.cpuUsage();
          const st = w.stats;
          const work = st.cpuAtFirstBatch ? process.cpuUsage(st.cpuAtFirstBatch) : { user: 0, system: 0 };
          log(
            `exiting: batches ${st.batches}, hosts ${st.hosts}, skipped ${st.skipped}, failed ${st.failed}; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (${((work.user + work.system) / 1e6).toFixed(2)} s since the first batch); in batches ${(st.jobMs / 1000).toFixed(2)} s, of which scanning ${(st.scanMs / 1000).toFixed(2)} s; peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
          );
        })
        .then(() => store.close())
        .then(
          () => resolveDone(code),
          () => resolveDone(code),
        )
        .finally(() => {
          // A Redis connection that never came up may keep retrying in the background: do not let
          // it hold the process once everything is closed.
          setTimeout(() => process.exit(code), 1000).unref();
        });
    };
    let signals = 0;
    const onSignal = () => {
      signals++;
      if (signals > 1) process.exit(130); // the batch under way stalls and another worker retries it
      log('stopping: finishing the batches under way (signal again to quit at once)…');
      stop(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let lastStats = Date.now();
    const tick = setInterval(() => {
      const now = Date.now();
      const every = Math.round((flags.statsInterval ?? 10) * 1000);
      if (every > 0 && now - lastStats >= every) {
        lastStats = now;
        log(
          `batches ${w.stats.batches}, hosts ${w.stats.hosts}, skipped ${w.stats.skipped}, failed ${w.stats.failed}, running ${w.stats.active}`,
        );
      }
      const idleSince = Math.max(w.stats.lastActivity, ew?.lastActivity ?? 0);
      if (flags.exitWhenIdle !== undefined && w.stats.active === 0 && !ew?.active && now - idleSince >= flags.exitWhenIdle * 1000) {
        log(`idle for ${flags.exitWhenIdle} s: exiting`);
        stop(0);
      }
    }, 250);
  });
  return done;
}

export function registerWorkerCommands(program: Command): void {
  program
    .command('worker')
    .summary('take scan batches of distributed scans from the queue (Redis) and scan them')
    .description(
      'Run a worker of distributed scans: takes batches queued by `edgewatch scan --distributed`, scans them with its own limits and its OWN scope guard (--scope / EDGEWATCH_SCOPE, exclusions), and writes observations to the shared store (--db). Also takes enrichment jobs (`edgewatch queue enrich`) unless --no-enrich. Start any number, on any number of machines.',
    )
    .option('--redis <url>', 'Redis of the queue (default: config `redis`, EDGEWATCH_REDIS, redis://127.0.0.1:6379)')
    .option('--queue-prefix <prefix>', `key prefix of the queues (default ${DEFAULT_QUEUE_PREFIX})`)
    .option('--db <file>', 'shared store: SQLite file or postgres:// URL (default edgewatch.db, or EDGEWATCH_DB)')
    .option('--config <file>', 'YAML config file')
    .option('--scope <cidrs>', 'CIDRs this worker may probe (default: EDGEWATCH_SCOPE); required')
    .option('--exclude-hosts <list>', 'comma-separated addresses/CIDRs never probed (-eh)')
    .option('--exclude-file <file>', 'file of addresses/CIDRs never probed (-ef); repeatable', collect)
    .option('--lab', 'lab profile: lift loopback from the reserved-range exclusions')
    .option('-c, --concurrency <n>', 'hosts probed at once by this worker (default 300)', parseIntFlag('concurrency', 1, 20000))
    .option(
      '--rate-limit <n>',
      "this worker's own new hosts per second (-rl; the scan's global limit applies too)",
      parseNumberFlag('rate-limit', 0),
    )
    .option('--rate-limit-net <n>', "this worker's own new hosts per second per /24", parseNumberFlag('rate-limit-net', 0))
    .option('--checks <dir>', 'directory of check files (must match the scan’s checks; default: the shipped pack)')
    .option(
      '--batches <n>',
      'batches taken at once; they share the -c host slots, so new batches start while earlier ones wait for slow hosts (default: about 2 × -c / batch size + 1, at least 2, plus one for each batch whose targets have all started and that only waits for its slowest hosts; at most 128)',
      parseIntFlag('batches', 1, 64),
    )
    .option(
      '--lock-ms <ms>',
      "a batch's lock; a killed worker's batch is retried after it (default 30000)",
      parseIntFlag('lock-ms', 1000, 3_600_000),
    )
    .option(
      '--stalled-ms <ms>',
      'how often to look for batches of dead workers (default 15000)',
      parseIntFlag('stalled-ms', 500, 3_600_000),
    )
    .option('--max-stalled <n>', 'a batch that stalls more often than this fails (default 3)', parseIntFlag('max-stalled', 1, 100))
    .option(
      '--exit-when-idle <seconds>',
      'exit after this long without work (default: run until stopped)',
      parseNumberFlag('exit-when-idle', 0),
    )
    .option('--stats-interval <seconds>', 'seconds between stats lines (default 10; 0 = none)', parseNumberFlag('stats-interval', 0))
    .option('--silent', 'no log lines')
    .option('--verbose', 'log the start and end of every batch')
    .option('--no-enrich', 'take no enrichment jobs (queue "enrich"), only scan batches')
    .action(async (flags: WorkerFlags) => {
      process.exitCode = await workerCommand(flags);
    });

  const queueCmd = program.command('queue').description('jobs for `edgewatch worker` besides scan batches (BullMQ on Redis)');
  queueCmd
    .command('enrich')
    .description(
      'enqueue enrichment of a stored scan (geo, AS, organisation attribution into the store) for an `edgewatch worker`; idempotent while one is pending',
    )
    .argument('[scan]', 'scan id, id prefix or label (default: the latest scan)')
    .option('--db <file>', 'database (SQLite file or postgres:// URL; default edgewatch.db, or EDGEWATCH_DB)')
    .option('--config <file>', 'YAML config file')
    .option('--redis <url>', 'Redis of the queue (default: config `redis`, EDGEWATCH_REDIS, redis://127.0.0.1:6379)')
    .option('--queue-prefix <prefix>', `key prefix of the queues (default ${DEFAULT_QUEUE_PREFIX})`)
    .option('--attempts <n>', 'attempts before the job is failed (default 3)', parseIntFlag('attempts', 1, 100))
    .option(
      '--wait <seconds>',
      'wait for a worker to finish the job, at most this long; exit 1 if it failed or did not finish',
      parseNumberFlag('wait', 0),
    )
    .option('--json', 'print the outcome as JSON')
    .action(async (ref: string | undefined, flags: StatusFlags & { attempts?: number; wait?: number }) => {
      const cfg = baseConfig(flags);
      const q = queueSettings(cfg, flags);
      await assertRedis(q);
      const store = await openConfiguredStore(cfg);
      let scanId: string;
      try {
        scanId = await pickScan(store, ref);
      } finally {
        await store.close();
      }
      const e = await enqueueEnrich(q, scanId, { attempts: flags.attempts ?? 3, backoffMs: 2000 });
      const say = (o: Record<string, unknown>, line: string) => process.stdout.write(flags.json ? `${JSON.stringify(o)}\n` : `${line}\n`);
      if (flags.wait === undefined) {
        say(
          { scan: scanId, job: e.id, added: e.added },
          `enrichment of scan ${scanId} ${e.added ? 'queued' : 'already queued'} (job ${e.id})`,
        );
        process.exitCode = 0;
        return;
      }
      const r = await waitForJob(q, ENRICH_QUEUE, e.id, Math.round(flags.wait * 1000));
      if (r.state !== 'completed') {
        throw new EdgewatchError(
          'EW_QUEUE_JOB_FAILED',
          r.state === 'failed'
            ? `enrichment job ${e.id} failed after ${r.attempts} attempts: ${String(r.error).slice(0, 300)}`
            : `enrichment job ${e.id} is still ${r.state} after ${flags.wait} s (is an \`edgewatch worker\` running on this Redis and prefix?)`,
          { exitCode: 1 },
        );
      }
      const res = r.result as EnrichJobResult;
      say(
        { job: e.id, ...res },
        `scan ${scanId}: ${res.enriched} host(s) enriched of ${res.hosts}, ${res.attributed} attributed to an organisation, ${res.uncovered} not covered by the data (${res.ms} ms, by a worker)`,
      );
      process.exitCode = 0;
    });
}
