/**
 * What every file rule reads: the collection, its parsed listings, the union of known appliance
 * files (listed in meta/stat.txt or copied under fs/), host facts, limits, and the sinks for
 * findings, warnings and "not checked" notes. Paths of our own collection output are excluded so
 * the collector never reports itself.
 */

import { FindingList } from './finding.js';
import type { TriageLimits } from './limits.js';
import { isRegular, parseKeyValues, parseStat, type StatRow } from './meta.js';
import type { Collection } from './types.js';

export interface RuleContext {
  readonly c: Collection;
  readonly limits: TriageLimits;
  readonly signal?: AbortSignal;
  readonly out: FindingList;
  readonly warnings: string[];
  readonly notChecked: string[];
  /** meta/stat.txt rows by path, or null when the collection has no stat listing. */
  readonly stat: Map<string, StatRow> | null;
  /** Regular files known to exist (stat listing ∪ collected copies), sorted, own output excluded. */
  readonly files: readonly string[];
  /** Raw meta texts (null when missing). */
  readonly meta: { suid: string | null; crontab: string | null; ps: string | null; sockstat: string | null; collect: string | null };
  /** Firmware build as `13.0-47.22`, when known. */
  readonly version: string | null;
  /** When the collection was taken, when known. */
  readonly collectedAt: Date | null;
  /** Bytes read by file rules (for stats). */
  bytes: number;
}

/** Our own collect-script output (never evidence). */
const OWN_OUTPUT = /\/edgewatch-collect[^/]*(\/|$)/;

export function isOwnOutput(path: string, ownDir: string | null): boolean {
  if (OWN_OUTPUT.test(path)) return true;
  return ownDir !== null && ownDir.length > 1 && (path === ownDir || path.startsWith(`${ownDir.replace(/\/+$/, '')}/`));
}

/** `13.0-47.22` from `NS13.0: Build 47.22.nc`, `ns-13.0-47.22`, `#NS12.1 Build 51.19`, `13.0-47.22`. */
export function normaliseVersion(s: string | null | undefined): string | null {
  if (!s) return null;
  const m = /(\d{1,2}\.\d)\D{1,12}?(\d{1,3}\.\d{1,3})/.exec(s);
  return m ? `${m[1]}-${m[2]}` : null;
}

export function isoOf(epochSeconds: number | undefined): string | undefined {
  if (epochSeconds === undefined || !Number.isFinite(epochSeconds) || epochSeconds <= 0) return undefined;
  const d = new Date(epochSeconds * 1000);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function mtimeOf(ctx: RuleContext, path: string): string | undefined {
  return isoOf(ctx.stat?.get(path)?.mtime);
}

/** Files of `ctx.files` under `dir` (any depth). */
export function under(ctx: RuleContext, dir: string): string[] {
  const pre = `${dir.replace(/\/+$/, '')}/`;
  return ctx.files.filter((p) => p.startsWith(pre));
}

/** The listing or a copy shows `dir` (the area was collected, even if empty). */
export function dirCovered(ctx: RuleContext, dir: string): boolean {
  const d = dir.replace(/\/+$/, '');
  if (ctx.stat?.has(d)) return true;
  const pre = `${d}/`;
  return ctx.files.some((p) => p.startsWith(pre));
}

export async function buildContext(
  c: Collection,
  limits: TriageLimits,
  warnings: string[],
  version: string | null,
  signal?: AbortSignal,
): Promise<RuleContext> {
  const [statText, suid, crontab, ps, sockstat, collect] = await Promise.all(
    ['stat.txt', 'suid.txt', 'crontab.txt', 'ps.txt', 'sockstat.txt', 'collect.txt'].map((n) => c.meta(n)),
  );
  const kv = parseKeyValues(collect ?? '');
  const ownDir = kv.get('output_dir') ?? null;
  let stat: Map<string, StatRow> | null = null;
  if (statText !== null) {
    const parsed = parseStat(statText);
    stat = parsed.rows;
    if (parsed.bad > 0) warnings.push(`meta/stat.txt: ${parsed.bad} malformed line(s) ignored`);
  }
  const files = new Set<string>();
  for (const f of c.files()) if (!isOwnOutput(f.path, ownDir)) files.add(f.path);
  if (stat) for (const r of stat.values()) if (isRegular(r) && !isOwnOutput(r.path, ownDir)) files.add(r.path);
  const at = kv.get('collected_at');
  const collectedAt = at && !Number.isNaN(Date.parse(at)) ? new Date(at) : null;
  return {
    c,
    limits,
    signal,
    out: new FindingList(),
    warnings,
    notChecked: [],
    stat,
    files: [...files].sort(),
    meta: { suid, crontab, ps, sockstat, collect },
    version,
    collectedAt,
    bytes: 0,
  };
}
