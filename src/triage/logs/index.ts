/**
 * Log analysers of triage (DOMAIN §4.3–§4.5, §4.2#11–#12, §4.9): reads the appliance logs of a
 * collection, streamed and pre-filtered, and returns findings, timeline events and what was or
 * was not checked.
 *
 *   access logs    /var/log/httpaccess.log[.N][.gz]   access.ts
 *   error logs     /var/log/httperror.log[.N][.gz]    errorlog.ts
 *   shell history  /var/log/{bash,notice,sh}.log*     shell.ts
 *   cron logs      /var/log/cron[.N][.gz]             cron.ts
 *
 * Rotations are read oldest first (highest N first, the live file last). Gzip is recognised by
 * magic bytes whatever the name. Per-file problems (gzip bomb cap, corrupt gzip, read error) end
 * that file and are listed in `notChecked`; only an abort throws (EW_TRIAGE_ABORTED).
 * `ns.log` (SSLVPN events) is not analysed.
 */
import type { Collection, CollectionFile, LogAnalysis, TimelineEvent } from '../types.js';
import { AccessAnalysis } from './access.js';
import { CronAnalysis } from './cron.js';
import { ErrorLogAnalysis } from './errorlog.js';
import { FindingSink } from './findings.js';
import { forEachLine, type LineHandler, type LineStats } from './lines.js';
import { ShellAnalysis } from './shell.js';
import { type DecodeStats, decodeLog, fmtBytes, throwIfAborted } from './source.js';

export { classifyAccess, parseAccessLine } from './access.js';

/** Options of {@link analyzeLogs}. */
export interface AnalyzeLogsOptions {
  signal?: AbortSignal;
  /** Cap on decoded bytes read per file (default 4 GiB); gzip files also stop at 200× their size. */
  maxBytesPerFile?: number;
}

/** Default per-file cap on decoded bytes. */
export const DEFAULT_MAX_BYTES_PER_FILE = 4 * 1024 ** 3;

interface Family {
  name: string;
  bases: string[];
  analyser: { forFile(path: string): LineHandler };
  detail(): string;
}

/** Rotation order key: the live file sorts last, higher N (older) first. */
function rotation(file: string, base: string): number | null {
  if (!file.startsWith(base)) return null;
  const m = /^(?:\.(\d{1,6}))?(?:\.gz)?$/.exec(file.slice(base.length));
  if (!m) return null;
  return m[1] === undefined ? -1 : Number(m[1]);
}

/** The files of one family under /var/log, oldest first. */
export function selectLogFiles(files: readonly CollectionFile[], bases: readonly string[]): CollectionFile[] {
  const picked: { f: CollectionFile; base: number; n: number }[] = [];
  for (const f of files) {
    if (!f.path.startsWith('/var/log/')) continue;
    const name = f.path.slice('/var/log/'.length);
    for (let i = 0; i < bases.length; i++) {
      const n = rotation(name, bases[i]);
      if (n !== null) {
        picked.push({ f, base: i, n });
        break;
      }
    }
  }
  picked.sort((a, b) => a.base - b.base || b.n - a.n || (a.f.path < b.f.path ? -1 : 1));
  return picked.map((p) => p.f);
}

function collectedAt(meta: string | null): Date | null {
  const m = meta ? /^collected_at:\s*(\S+)\s*$/m.exec(meta) : null;
  if (!m) return null;
  const t = Date.parse(m[1]);
  return Number.isFinite(t) ? new Date(t) : null;
}

const n = (x: number): string => x.toLocaleString('en-US');

/** Analyses the logs of `c`. */
export async function analyzeLogs(c: Collection, opts: AnalyzeLogsOptions = {}): Promise<LogAnalysis> {
  const maxBytes = opts.maxBytesPerFile ?? DEFAULT_MAX_BYTES_PER_FILE;
  const sink = new FindingSink();
  const checked: string[] = [];
  const notChecked: string[] = [];
  let bytes = 0;

  let ref: Date | null = null;
  try {
    ref = collectedAt(await c.meta('collect.txt'));
  } catch {
    ref = null;
  }
  const access = new AccessAnalysis(sink);
  let refWarned = false;
  const refDate = (): Date | null => {
    if (ref) return ref;
    if (access.maxTime) return new Date(access.maxTime);
    if (!refWarned) {
      refWarned = true;
      notChecked.push('times of shell and cron log lines: syslog stamps carry no year and the collection has no collected_at');
    }
    return null;
  };
  const errors = new ErrorLogAnalysis(sink);
  const shell = new ShellAnalysis(sink, refDate);
  const cron = new CronAnalysis(sink, refDate);

  const families: Family[] = [
    {
      name: 'access logs',
      bases: ['httpaccess.log'],
      analyser: access,
      detail: () => {
        const k = access.counters;
        return `${n(k.attempts)} /vpns/ attempts, ${n(access.sourceCount())} source addresses${k.unparsed ? `, ${n(k.unparsed)} candidate lines unparsable` : ''}${k.untrackedLines ? `, ${n(k.untrackedLines)} lines from addresses beyond the first 10,000 not itemised in the timeline` : ''}`;
      },
    },
    { name: 'error logs', bases: ['httperror.log'], analyser: errors, detail: () => `${n(errors.matches)} command-output lines` },
    { name: 'shell history', bases: ['bash.log', 'notice.log', 'sh.log'], analyser: shell, detail: () => `${n(shell.matches)} IOC lines` },
    { name: 'cron logs', bases: ['cron'], analyser: cron, detail: () => `${n(cron.matches)} IOC lines` },
  ];

  const all = c.files();
  for (const fam of families) {
    const files = selectLogFiles(all, fam.bases);
    if (files.length === 0) {
      notChecked.push(`${fam.name}: no ${fam.bases.map((b) => `/var/log/${b}*`).join(', ')} in the collection`);
      continue;
    }
    let gz = 0;
    let famBytes = 0;
    let lines = 0;
    let overlong = 0;
    let read = 0;
    for (const f of files) {
      throwIfAborted(opts.signal);
      const st: DecodeStats = { gzip: false, bytes: 0 };
      const ls: LineStats = { lines: 0, overlong: 0 };
      let raw: NodeJS.ReadableStream;
      try {
        raw = c.open(f.path);
      } catch (e) {
        notChecked.push(`${f.path}: cannot be read (${(e as Error).message})`);
        continue;
      }
      await forEachLine(decodeLog(raw, st, { maxBytes, storedSize: f.size, signal: opts.signal }), fam.analyser.forFile(f.path), ls, {
        signal: opts.signal,
      });
      read++;
      if (st.gzip) gz++;
      famBytes += st.bytes;
      lines += ls.lines;
      overlong += ls.overlong;
      if (st.stopped) notChecked.push(`${f.path}: ${st.stopped} after line ${n(ls.lines)}; the rest was not checked`);
    }
    bytes += famBytes;
    if (read === 0) continue;
    checked.push(
      `${fam.name} (${read} file${read === 1 ? '' : 's'}${gz ? `, ${gz} gzip` : ''}; ${fmtBytes(famBytes)}, ${n(lines)} lines; ${fam.detail()}${overlong ? `; ${n(overlong)} overlong lines skipped` : ''})`,
    );
  }
  sink.flush();
  const timeline: TimelineEvent[] = [...access.timeline(), ...errors.events, ...shell.events, ...cron.events];
  timeline.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return { findings: sink.findings, timeline, checked, notChecked, bytes };
}
