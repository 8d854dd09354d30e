/**
 * triage(): open a collection, run the file rules and the log analysis (src/triage/logs), and
 * assemble the report. Each rule family runs guarded: a failure on hostile input becomes a
 * warning and a "not checked" line, never a crash; only an abort stops the run.
 */
import { EdgewatchError } from '../errors.js';
import { buildContext, type RuleContext } from './context.js';
import { hostFacts } from './host.js';
import { resolveLimits, type TriageLimits } from './limits.js';
import { openCollection } from './open.js';
import { assembleReport } from './report.js';
import { artefactRules } from './rules/artefacts.js';
import { cronRules } from './rules/cron.js';
import { liveRules } from './rules/live.js';
import { phpRules } from './rules/php.js';
import { portalRules } from './rules/portal.js';
import { suidRules } from './rules/suid.js';
import { timestompRules } from './rules/timestomp.js';
import type { Collection, LogAnalysis, TriageReport } from './types.js';

/** The log analysers' entry point (src/triage/logs/index.ts). */
export type LogAnalyzer = (c: Collection, opts?: { signal?: AbortSignal }) => Promise<LogAnalysis>;

export interface TriageOptions {
  limits?: Partial<TriageLimits>;
  signal?: AbortSignal;
  /** Log analysis to use (default: `analyzeLogs` of src/triage/logs; null skips log analysis). */
  analyzeLogs?: LogAnalyzer | null;
}

const FILE_RULES: Array<[string, (ctx: RuleContext) => Promise<void>]> = [
  ['left-behind files', artefactRules],
  ['PHP files', phpRules],
  ['portal dirs', portalRules],
  ['cron', cronRules],
  ['SUID files', suidRules],
  ['timestomping', timestompRules],
  ['processes and sockets', liveRules],
];

let defaultAnalyzer: Promise<LogAnalyzer | null> | undefined;

/** src/triage/logs when it is present (loaded once). */
function loadDefaultAnalyzer(): Promise<LogAnalyzer | null> {
  defaultAnalyzer ??= (async () => {
    const spec = './logs/index.js';
    try {
      const m = (await import(spec)) as { analyzeLogs?: LogAnalyzer };
      return typeof m.analyzeLogs === 'function' ? m.analyzeLogs : null;
    } catch {
      return null;
    }
  })();
  return defaultAnalyzer;
}

function isAbort(e: unknown, signal?: AbortSignal): boolean {
  return signal?.aborted === true || (e as Error)?.name === 'AbortError';
}

/** Triage an opened collection (the caller closes it). */
export async function triageCollection(c: Collection, opts: TriageOptions = {}): Promise<TriageReport> {
  const limits = resolveLimits(opts.limits);
  const warnings: string[] = [];
  const collect = await c.meta('collect.txt');
  const host = await hostFacts(c, collect, warnings);
  const ctx = await buildContext(c, limits, warnings, host.version, opts.signal);
  if (collect === null) ctx.notChecked.push('collection facts: meta/collect.txt missing (host name, address and collection time unknown)');
  for (const [area, rule] of FILE_RULES) {
    try {
      await rule(ctx);
    } catch (e) {
      if (isAbort(e, opts.signal)) throw abortError(e);
      warnings.push(`${area}: rule failed on this collection (${(e as Error).message})`);
      ctx.notChecked.push(`${area}: not fully checked (rule failed: ${(e as Error).message})`);
    }
  }
  const analyzer = opts.analyzeLogs === undefined ? await loadDefaultAnalyzer() : opts.analyzeLogs;
  let logs: LogAnalysis | null = null;
  if (analyzer) {
    try {
      logs = await analyzer(c, { signal: opts.signal });
    } catch (e) {
      if (isAbort(e, opts.signal)) throw abortError(e);
      warnings.push(`log analysis failed (${(e as Error).message})`);
      ctx.notChecked.push(`logs (§4.3–§4.5): analysis failed: ${(e as Error).message}`);
    }
  } else ctx.notChecked.push('logs (§4.3–§4.5): log analysis is not available in this build');
  return assembleReport({
    collection: c.name,
    host,
    fileFindings: ctx.out.items,
    logs,
    notChecked: ctx.notChecked,
    files: c.files().length,
    bytes: ctx.bytes + (logs?.bytes ?? 0),
    warnings: [...c.warnings, ...warnings],
  });
}

function abortError(e: unknown): EdgewatchError {
  return e instanceof EdgewatchError ? e : new EdgewatchError('EW_TRIAGE_ABORTED', 'triage was stopped', { cause: e, exitCode: 130 });
}

/** Open `path` (directory or archive), triage it, close it (temp data removed). */
export async function triage(path: string, opts: TriageOptions = {}): Promise<TriageReport> {
  const c = await openCollection(path, { limits: opts.limits, signal: opts.signal });
  try {
    return await triageCollection(c, opts);
  } finally {
    await c.close();
  }
}
