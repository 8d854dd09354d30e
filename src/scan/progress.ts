/**
 * Scan progress for people: a progress bar (done/total, hosts/s, ETA) when stderr is a terminal,
 * otherwise one log line every `intervalMs`. Rates are over a sliding window so a resumed or
 * stalled scan shows an honest ETA.
 */
import cliProgress from 'cli-progress';
import type { ScanCounters } from './run.js';

export interface ProgressOptions {
  scanId: string;
  total: number | null;
  /** Targets recorded before this run (resume). */
  previouslyDone: number;
  counters: ScanCounters;
  tty: boolean;
  intervalMs: number;
  out?: NodeJS.WritableStream;
}

export interface Progress {
  stop(): void;
}

function fmtEta(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '--';
  if (sec < 60) return `${Math.round(sec)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m${String(Math.round(sec % 60)).padStart(2, '0')}s`;
  return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, '0')}m`;
}

export function startProgress(o: ProgressOptions): Progress {
  const out = o.out ?? process.stderr;
  const samples: Array<[number, number]> = [];
  const handled = () => o.previouslyDone + o.counters.recorded;
  const sample = () => {
    const now = Date.now();
    samples.push([now, o.counters.recorded]);
    while (samples.length > 2 && now - samples[0][0] > 10_000) samples.shift();
    const [t0, n0] = samples[0];
    const rate = now > t0 ? ((o.counters.recorded - n0) * 1000) / (now - t0) : 0;
    const done = handled();
    const remaining = o.total !== null ? o.total - done : NaN;
    return { rate, done, eta: rate > 0 ? remaining / rate : Infinity };
  };
  if (o.tty) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          'scan {scan} [{bar}] {value}/{total} {percentage}% | {rate} hosts/s | ETA {etaf} | ok {ok} unreach {unreachable} err {error}',
        hideCursor: true,
        stream: out as NodeJS.WriteStream,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(o.total ?? 0, handled(), { scan: o.scanId, rate: '0', etaf: '--', ok: 0, unreachable: 0, error: 0 });
    const timer = setInterval(() => {
      const s = sample();
      bar.update(s.done, {
        rate: s.rate.toFixed(0),
        etaf: fmtEta(s.eta),
        ok: o.counters.ok,
        unreachable: o.counters.unreachable,
        error: o.counters.error,
      });
    }, 200);
    return {
      stop() {
        clearInterval(timer);
        const s = sample();
        bar.update(s.done, {
          rate: s.rate.toFixed(0),
          etaf: '0s',
          ok: o.counters.ok,
          unreachable: o.counters.unreachable,
          error: o.counters.error,
        });
        bar.stop();
      },
    };
  }
  const line = () => {
    const s = sample();
    const pct = o.total ? ` (${((100 * s.done) / o.total).toFixed(1)}%)` : '';
    out.write(
      `[edgewatch] scan ${o.scanId}: ${s.done}/${o.total ?? '?'}${pct} ${s.rate.toFixed(0)} hosts/s ETA ${fmtEta(s.eta)} ok=${o.counters.ok} unreachable=${o.counters.unreachable} error=${o.counters.error} in-flight=${o.counters.inFlight}\n`,
    );
  };
  const timer = o.intervalMs > 0 ? setInterval(line, o.intervalMs) : null;
  timer?.unref();
  sample();
  return {
    stop() {
      if (timer) clearInterval(timer);
      if (o.intervalMs > 0) line();
    },
  };
}
