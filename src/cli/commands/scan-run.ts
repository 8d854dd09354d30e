/**
 * `edgewatch scan` itself: parses flags (nuclei conventions), validates the whole target input
 * before anything is written, creates or resumes a scan in the store, runs it with progress and a
 * clean Ctrl-C, and streams records to stdout (-j) and/or a file (-o). `scan status` is added by
 * scan.ts. What only some scans need (the distributed queue, enrichment and cases afterwards) is
 * imported when used, so a plain scan does not carry those modules (issue #2: bounded memory).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createEngine, loadChecks } from '../../checks/index.js';
import type { Config } from '../../config.js';
import { dataDir } from '../../data-dir.js';
import { EdgewatchError } from '../../errors.js';
import { DEFAULT_PROBE_OPTIONS, type ProbeOptions } from '../../net/types.js';
import { nucleiMetaOf } from '../../report/nuclei.js';
import { createRecordSink, formatFromPath, isRecordFormat, openFileSink, type RecordFormat, type RecordSink } from '../../report/output.js';
import { renderReport } from '../../report/render.js';
import { startProgress } from '../../scan/progress.js';
import { runScan } from '../../scan/run.js';
import { ScopeGuard } from '../../scope/index.js';
import type { ScanRow, Store } from '../../store/types.js';
import { spoolStdin, validateAndCount } from '../../targets/index.js';
import type { TargetInput } from '../../targets/types.js';
import type { AfterScanOptions } from '../after-scan.js';
import { baseConfig, openConfiguredStore, parseIntFlag, parseNumberFlag, parsePorts } from '../context.js';

/** SQLite page cache of a scan's store connection, KiB. */
const SCAN_CACHE_KIB = 8_192;

export interface ScanFlags {
  list?: string[];
  ports?: number[];
  scheme?: 'http' | 'https';
  jsonl?: boolean;
  output?: string;
  format?: RecordFormat;
  concurrency?: number;
  rateLimit?: number;
  rateLimitNet?: number;
  excludeHosts?: string;
  excludeFile?: string[];
  scope?: string;
  lab?: boolean;
  config?: string;
  db?: string;
  timeout?: number;
  totalTimeout?: number;
  resume?: string | boolean;
  stats?: boolean;
  statsInterval?: number;
  silent?: boolean;
  label?: string;
  checks?: string;
  userAgent?: string;
  summary?: boolean;
  /** Distributed scans (src/queue): enqueue batches for `edgewatch worker` instead of scanning here. */
  distributed?: boolean;
  enrich?: boolean;
  enrichOnWorkers?: boolean;
  cases?: boolean;
  labIdentities?: string;
  redis?: string;
  queuePrefix?: string;
  batchSize?: number;
  maxQueued?: number;
  attempts?: number;
  retryDelay?: number;
}

/** What is saved with a scan so `--resume` can rebuild the identical target stream and settings. */
interface SavedSettings {
  inputs: TargetInput[];
  ports: number[];
  scheme: 'http' | 'https';
  concurrency: number;
  rate_limit: number;
  rate_limit_net: number;
  exclude: string[];
  exclude_files: string[];
  allow_reserved: string[];
  reserved: boolean;
  probe: ProbeOptions;
  checks: string | null;
  version: 1;
  /** Present for distributed scans (src/queue/settings.ts). */
  distributed?: { batch_size: number; check_ids: string[]; prefix: string };
}

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** Define `scan` on `program` (without its `status` subcommand) and return it. */
export function defineScanCommand(program: Command): Command {
  return program
    .command('scan')
    .summary('probe targets and classify every host (CVE-2019-19781 and the shipped checks)')
    .description(
      'Probe targets over HTTPS, identify Citrix ADC / Gateway appliances with their exact firmware build, and classify each for every shipped CVE check. Every target ends in exactly one record.',
    )
    .argument('[targets...]', 'addresses, ip:port, CIDRs, host names, `ip,name` pairs; `-` reads stdin')
    .option('-l, --list <file>', 'file of targets (plain, masscan -oL/-oJ, zmap CSV); repeatable', collect)
    .option('-p, --ports <ports>', 'ports for targets without one, e.g. 443,8443 (default 443)', parsePorts)
    .option('--scheme <scheme>', 'https (default) or http')
    .option('-j, --jsonl', 'write records as JSON Lines to stdout')
    .option('-o, --output <file>', 'write records to a file (.jsonl or .csv)')
    .option(
      '--format <format>',
      'record format: jsonl or csv for -o (default from the file name); nuclei (nuclei-compatible JSONL, one line per finding) for -j and -o',
    )
    .option('-c, --concurrency <n>', 'hosts probed at once (default 300)', parseIntFlag('concurrency', 1, 20000))
    .option('--rate-limit <n>', 'new hosts per second over all targets (-rl; default unlimited)', parseNumberFlag('rate-limit', 0))
    .option('--rate-limit-net <n>', 'new hosts per second per /24 (default unlimited)', parseNumberFlag('rate-limit-net', 0))
    .option('--exclude-hosts <list>', 'comma-separated addresses/CIDRs never probed (-eh)')
    .option('--exclude-file <file>', 'file of addresses/CIDRs never probed (-ef); repeatable', collect)
    .option('--scope <cidrs>', 'CIDRs that may be probed (default: EDGEWATCH_SCOPE); required')
    .option('--lab', 'lab profile: lift loopback from the reserved-range exclusions to scan `edgewatch lab`')
    .option('--config <file>', 'YAML config file')
    .option('--db <file>', 'SQLite database file (default edgewatch.db, or EDGEWATCH_DB)')
    .option(
      '--timeout <seconds>',
      'connect / TLS / first-byte / idle timeout in seconds (default 3/5/5/5)',
      parseNumberFlag('timeout', 0.05),
    )
    .option('--total-timeout <seconds>', 'budget for everything done with one host (default 20)', parseNumberFlag('total-timeout', 0.1))
    .option('--resume [scan]', 'resume an interrupted scan (default: the latest unfinished one)')
    .option('--stats', 'print periodic progress lines even on a terminal')
    .option(
      '--stats-interval <seconds>',
      'seconds between progress lines without a terminal (-si; default 5)',
      parseNumberFlag('stats-interval', 0),
    )
    .option('--silent', 'no progress output')
    .option('--label <text>', 'a label stored with the scan, e.g. "day 0"')
    .option('--checks <dir>', 'directory of check files (default: the shipped pack)')
    .option('--user-agent <ua>', 'User-Agent header (default identifies edgewatch)')
    .option('--no-summary', 'do not print the summary table at the end')
    .option('--no-enrich', 'do not enrich the finished scan (country, AS, organisation; `edgewatch enrich --scan` does it later)')
    .option('--no-cases', 'do not update the cases from the finished scan (`edgewatch cases update` does it later)')
    .option('--lab-identities <file>', 'lab demo identities (from `edgewatch lab --identities`) for the enrichment of loopback lab hosts')
    .option('--distributed', 'enqueue the targets in batches for `edgewatch worker` processes (BullMQ on Redis) instead of scanning here')
    .option('--redis <url>', 'Redis of the queue for --distributed (default: config `redis`, EDGEWATCH_REDIS, redis://127.0.0.1:6379)')
    .option('--queue-prefix <prefix>', 'key prefix of the queues (default edgewatch)')
    .option('--batch-size <n>', 'targets per batch with --distributed (default 512)', parseIntFlag('batch-size', 1, 10000))
    .option('--max-queued <n>', 'batches queued or running at once with --distributed (default 64)', parseIntFlag('max-queued', 1, 100000))
    .option(
      '--enrich-on-workers',
      'with --distributed: enrich the finished scan as a queue job on an `edgewatch worker` (the coordinator waits), not in this process',
    )
    .option('--attempts <n>', 'attempts per batch before it is failed, with --distributed (default 3)', parseIntFlag('attempts', 1, 100))
    .option('--retry-delay <seconds>', 'first retry delay of a failed batch, doubling (default 5)', parseNumberFlag('retry-delay', 0))
    .action(async (targets: string[], flags: ScanFlags) => {
      process.exitCode = await scanCommand(targets, flags);
    });
}

/** Enrichment and case updates after a finished scan (loaded only when one of them runs). */
async function afterScan(store: Store, scanId: string, cfg: Config, opts: AfterScanOptions): Promise<void> {
  if (opts.enrich === false && opts.cases === false) return;
  const { afterScan: run } = await import('../after-scan.js');
  await run(store, scanId, cfg, opts);
}

function probeFromConfig(cfg: Config, flags: ScanFlags): ProbeOptions {
  const t = cfg.timeouts;
  const probe: ProbeOptions = {
    ...DEFAULT_PROBE_OPTIONS,
    tls: cfg.scheme === 'https',
    connectTimeoutMs: t.connect,
    tlsTimeoutMs: t.tls,
    firstByteTimeoutMs: t.first_byte,
    idleTimeoutMs: t.idle,
    totalTimeoutMs: t.total,
    maxBodyBytes: cfg.read_cap.body,
    maxHostBytes: cfg.read_cap.host,
    userAgent: cfg.user_agent ?? DEFAULT_PROBE_OPTIONS.userAgent,
  };
  if (flags.timeout !== undefined) {
    const ms = Math.round(flags.timeout * 1000);
    probe.connectTimeoutMs = probe.tlsTimeoutMs = probe.firstByteTimeoutMs = probe.idleTimeoutMs = ms;
    probe.closeDelimitedGraceMs = Math.min(probe.closeDelimitedGraceMs, ms);
  }
  if (flags.totalTimeout !== undefined) probe.totalTimeoutMs = Math.round(flags.totalTimeout * 1000);
  return probe;
}

function afterScanOptions(flags: ScanFlags): AfterScanOptions {
  return {
    enrich: flags.enrich,
    cases: flags.cases,
    labIdentities: flags.labIdentities ? resolve(flags.labIdentities) : undefined,
    configFile: flags.config,
    dbFlag: flags.db,
    silent: flags.silent,
  };
}

async function findResumable(store: Store, id: string | boolean): Promise<ScanRow> {
  if (typeof id === 'string') {
    const s = await store.getScan(id);
    if (!s) throw new EdgewatchError('EW_SCAN_NOT_FOUND', `no scan with id ${id}`);
    if (s.state === 'finished') throw new EdgewatchError('EW_SCAN_FINISHED', `scan ${id} already finished; nothing to resume`);
    return s;
  }
  const open = (await store.listScans()).find((s) => s.state !== 'finished');
  if (!open) throw new EdgewatchError('EW_SCAN_NOT_FOUND', 'no unfinished scan to resume');
  return open;
}

export async function scanCommand(targets: string[], flags: ScanFlags): Promise<number> {
  const flagLayer: Partial<Config> = {};
  if (flags.scope) flagLayer.scope = flags.scope.split(/[\s,]+/).filter(Boolean);
  if (flags.excludeHosts) flagLayer.exclude = flags.excludeHosts.split(/[\s,]+/).filter(Boolean);
  if (flags.excludeFile) flagLayer.exclude_files = flags.excludeFile.map((f) => resolve(f));
  if (flags.ports) flagLayer.ports = flags.ports;
  if (flags.scheme) {
    if (flags.scheme !== 'http' && flags.scheme !== 'https') throw new EdgewatchError('EW_CLI_USAGE', '--scheme must be http or https');
    flagLayer.scheme = flags.scheme;
  }
  if (flags.concurrency) flagLayer.concurrency = flags.concurrency;
  if (flags.rateLimit !== undefined) flagLayer.rate_limit = flags.rateLimit;
  if (flags.rateLimitNet !== undefined) flagLayer.rate_limit_net = flags.rateLimitNet;
  if (flags.checks) flagLayer.checks = resolve(flags.checks);
  if (flags.userAgent) flagLayer.user_agent = flags.userAgent;
  const cfg = baseConfig(flags, flagLayer);

  // A scan appends: an 8 MiB SQLite page cache writes as fast as 32 MiB and keeps 1,048,576
  // streamed targets under 256 MB RSS (issue #2; 268 → 249 MB measured).
  const store = await openConfiguredStore(cfg, { sqliteCacheKib: SCAN_CACHE_KIB });
  try {
    let scan: ScanRow | undefined;
    let settings: SavedSettings;
    let done: ReadonlySet<number> | undefined;
    if (flags.resume !== undefined && flags.resume !== false) {
      if (targets.length || flags.list?.length)
        throw new EdgewatchError('EW_CLI_USAGE', '--resume takes the targets saved with the scan; do not give targets');
      scan = await findResumable(store, flags.resume);
      settings = scan.settings as unknown as SavedSettings;
      done = await store.doneSeqs(scan.id);
      process.stderr.write(`[edgewatch] resuming scan ${scan.id}: ${scan.done} of ${scan.total ?? '?'} targets already recorded\n`);
    } else {
      const inputs: TargetInput[] = [];
      for (const t of targets) inputs.push(t === '-' ? { kind: 'stdin' } : { kind: 'arg', value: t });
      for (const f of flags.list ?? []) inputs.push({ kind: 'file', path: resolve(f) });
      if (inputs.length === 0 && !process.stdin.isTTY) inputs.push({ kind: 'stdin' });
      if (inputs.length === 0) throw new EdgewatchError('EW_CLI_USAGE', 'no targets: give addresses/CIDRs, -l FILE, or pipe them on stdin');
      // stdin is spooled to a file beside the database so that the scan can be resumed.
      const spoolDir = join(dirname(resolve(cfg.db)), '.edgewatch-spool');
      for (let i = 0; i < inputs.length; i++) {
        if (inputs[i].kind === 'stdin') {
          await mkdir(spoolDir, { recursive: true });
          inputs[i] = { kind: 'file', path: await spoolStdin(spoolDir) };
        }
      }
      settings = {
        inputs,
        ports: cfg.ports,
        scheme: cfg.scheme,
        concurrency: cfg.concurrency,
        rate_limit: cfg.rate_limit,
        rate_limit_net: cfg.rate_limit_net,
        exclude: cfg.exclude,
        exclude_files: cfg.exclude_files,
        allow_reserved: cfg.allow_reserved,
        reserved: cfg.reserved,
        probe: probeFromConfig(cfg, flags),
        checks: cfg.checks ?? null,
        version: 1,
      };
    }
    for (const input of settings.inputs) {
      if (input.kind === 'file' && !existsSync(input.path))
        throw new EdgewatchError('EW_TARGET_FILE', `target file is gone: ${input.path}`);
    }

    // The scope is taken from the current flags/environment (never from the saved scan), so a
    // resumed scan can only be narrower than what the operator allows now.
    const scope = new ScopeGuard({
      scope: cfg.scope,
      exclude: [...new Set([...settings.exclude, ...cfg.exclude])],
      excludeFiles: [...new Set([...settings.exclude_files, ...cfg.exclude_files])],
      applyReserved: settings.reserved && cfg.reserved,
      allowReserved: settings.allow_reserved.filter((r) => cfg.allow_reserved.includes(r)),
    });
    if (flags.format !== undefined && !isRecordFormat(flags.format))
      throw new EdgewatchError('EW_CLI_USAGE', '--format must be jsonl, csv or nuclei');
    const checks = await loadChecks(settings.checks ?? undefined, cfg.data_dir ? { packDataRoot: dataDir(cfg) } : {});
    const engine = createEngine(checks);
    const cves = [...new Set(checks.flatMap((c) => c.info.cves ?? []))];
    if (!scan) {
      // Validate every input line before anything is written: bad input leaves nothing behind.
      const { total } = await validateAndCount(settings.inputs, { ports: settings.ports });
      if (flags.distributed) {
        const { assertRedis, queueSettings } = await import('./worker.js');
        await assertRedis(queueSettings(cfg, flags));
        settings.distributed = {
          batch_size: flags.batchSize ?? 512,
          check_ids: checks.map((c) => c.id),
          prefix: queueSettings(cfg, flags).prefix,
        };
      }
      scan = await store.createScan({ label: flags.label ?? null, settings: settings as unknown as Record<string, unknown>, total });
    }

    const sinks: RecordSink[] = [];
    const sinkOpts = { checks: nucleiMetaOf(checks) };
    if (flags.jsonl) sinks.push(createRecordSink(process.stdout, flags.format === 'nuclei' ? 'nuclei' : 'jsonl', cves, sinkOpts));
    if (flags.output) sinks.push(openFileSink(resolve(flags.output), flags.format ?? formatFromPath(flags.output), cves, sinkOpts));
    if (flags.distributed) {
      const { queueSettings, runDistributedScan } = await import('./worker.js');
      if (!settings.distributed) {
        throw new EdgewatchError('EW_CLI_USAGE', `scan ${scan.id} was not started with --distributed; resume it without --distributed`);
      }
      let refusedShownD = 0;
      let code: number;
      try {
        code = await runDistributedScan({
          store,
          scan,
          inputs: settings.inputs,
          ports: settings.ports,
          scheme: settings.scheme,
          scope,
          queue: { ...queueSettings(cfg, flags), prefix: settings.distributed.prefix },
          batchSize: settings.distributed.batch_size,
          maxQueued: flags.maxQueued ?? 64,
          attempts: flags.attempts ?? 3,
          retryDelayMs: Math.round((flags.retryDelay ?? 5) * 1000),
          enrich: flags.enrich !== false && Boolean(flags.enrichOnWorkers),
          done,
          sinks,
          silent: Boolean(flags.silent),
          statsIntervalMs: Math.round((flags.statsInterval ?? 5) * 1000),
          onRefused: (t, why) => {
            if (refusedShownD++ < 20) process.stderr.write(`[edgewatch] REFUSED ${t}: ${why} — no packet sent\n`);
          },
          dbFlag: flags.db,
        });
      } finally {
        for (const s of sinks) await s.close();
      }
      if (code === 0)
        await afterScan(store, scan.id, cfg, { ...afterScanOptions(flags), enrich: flags.enrichOnWorkers ? false : flags.enrich });
      if (code === 0 && !flags.jsonl && flags.summary !== false) process.stdout.write(renderReport(await store.report(scan.id), 'table'));
      return code;
    }
    if (done && done.size > 0 && sinks.length) {
      // Re-emit what was stored before the interruption, so the output holds the exact record set.
      for await (const r of store.iterateRecords(scan.id)) for (const s of sinks) await s.write([r]);
    }

    const ac = new AbortController();
    let interrupts = 0;
    const onSignal = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      process.stderr.write('\n[edgewatch] stopping: finishing writes (Ctrl-C again to quit at once)…\n');
      ac.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    let refusedShown = 0;
    const cpuAtStart = process.cpuUsage();
    const handle = runScan({
      scanId: scan.id,
      inputs: settings.inputs,
      ports: settings.ports,
      scheme: settings.scheme,
      concurrency: settings.concurrency,
      rateLimit: settings.rate_limit,
      rateLimitNet: settings.rate_limit_net,
      probe: settings.probe,
      scope,
      engine,
      store,
      done,
      signal: ac.signal,
      onRefused: (t, why) => {
        if (refusedShown++ < 20) process.stderr.write(`[edgewatch] REFUSED ${t}: ${why} — no packet sent\n`);
        else if (refusedShown === 21) process.stderr.write('[edgewatch] (further refusals not shown; they are recorded as out_of_scope)\n');
      },
      onCommitted: async (records) => {
        for (const s of sinks) await s.write(records);
      },
    });
    const tty = Boolean(process.stderr.isTTY) && !flags.stats;
    const progress = flags.silent
      ? null
      : startProgress({
          scanId: scan.id,
          total: scan.total,
          previouslyDone: done?.size ?? 0,
          counters: handle.counters,
          tty,
          intervalMs: Math.round((flags.statsInterval ?? 5) * 1000),
        });
    let result: Awaited<typeof handle.done>;
    try {
      result = await handle.done;
    } finally {
      progress?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      for (const s of sinks) await s.close();
    }
    if (!result.completed) {
      await store.setScanState(scan.id, 'interrupted');
      process.stderr.write(
        `[edgewatch] scan ${scan.id} interrupted; ${result.counters.recorded} records written this run. Resume with:\n  edgewatch scan --resume ${scan.id}${flags.db ? ` --db ${flags.db}` : ''}\n`,
      );
      return 130;
    }
    await store.setScanState(scan.id, 'finished');
    await afterScan(store, scan.id, cfg, afterScanOptions(flags));
    if (!flags.jsonl && flags.summary !== false) {
      process.stdout.write(renderReport(await store.report(scan.id), 'table'));
    }
    const ru = process.resourceUsage();
    const scanCpu = process.cpuUsage(cpuAtStart);
    const cpu = (scanCpu.user + scanCpu.system) / 1e6;
    process.stderr.write(
      `[edgewatch] scan ${scan.id} finished: ${result.counters.recorded} records this run, cpu ${cpu.toFixed(2)} s (scanning phase), peak RSS ${Math.round(ru.maxRSS / 1024)} MB (database ${cfg.db})\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
