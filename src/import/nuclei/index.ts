/**
 * `edgewatch import nuclei FILE`: read nuclei `-jsonl` output into one scan of the store (one
 * observation per host), so results gathered with nuclei join enrichment, cases and reports.
 * Broken lines (bad JSON, wrong field types, no IP address, overlong) are reported by line number
 * and the rest is imported. Idempotent: a file whose content (SHA-256) was imported before is not
 * imported again (the earlier scan is named; an interrupted earlier import is completed);
 * `again: true` makes a new scan anyway.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { EdgewatchError } from '../../errors.js';
import type { ScanRecord } from '../../scan/record.js';
import type { ScanRow, Store } from '../../store/types.js';
import { readLines } from '../lines.js';
import { HostGroups, type KnownCheck } from './group.js';
import { NucleiResultSchema, where } from './result.js';

export { type KnownCheck, MAX_EVIDENCE_PER_HOST } from './group.js';

export interface NucleiImportOptions {
  label?: string | null;
  /** Edgewatch checks by id (template ids edgewatch itself writes); may be empty. */
  known?: ReadonlyMap<string, KnownCheck>;
  /** Import into a new scan even when this content was imported before. */
  again?: boolean;
  /** Longest line read (default 4 MiB; nuclei lines carry the raw request and response). */
  maxLineBytes?: number;
  /** Most hosts one import holds in memory (default 1,000,000). */
  maxHosts?: number;
}

export interface LineProblem {
  line: number;
  message: string;
}

export interface NucleiImportResult {
  scan: ScanRow;
  /** `imported` (new scan), `completed` (an interrupted import finished) or `already` (seen before: nothing written). */
  action: 'imported' | 'completed' | 'already';
  lines: number;
  /** Lines turned into results (blank lines are neither imported nor problems). */
  imported: number;
  hosts: number;
  /** Host × CVE pairs marked vulnerable, and hosts with a compromise indicator. */
  findings: number;
  compromised: number;
  evidenceOnly: number;
  evidenceDropped: number;
  /** Broken lines (first 1000), and how many there were in all. */
  problems: LineProblem[];
  problemCount: number;
}

const MAX_PROBLEMS_KEPT = 1000;
const BATCH = 500;

export async function importNuclei(store: Store, file: string, opts: NucleiImportOptions = {}): Promise<NucleiImportResult> {
  const path = resolve(file);
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
  } catch (e) {
    throw new EdgewatchError('EW_IMPORT_READ', `cannot read the nuclei file: ${(e as Error).message}`, { file, cause: e });
  }
  const maxLine = opts.maxLineBytes ?? 4 * 1024 * 1024;
  const maxHosts = opts.maxHosts ?? 1_000_000;
  const groups = new HostGroups(opts.known ?? new Map());
  const problems: LineProblem[] = [];
  let problemCount = 0;
  const problem = (line: number, message: string) => {
    problemCount++;
    if (problems.length < MAX_PROBLEMS_KEPT) problems.push({ line, message });
  };
  let lines = 0;
  let imported = 0;
  const reader = readLines(path, maxLine);
  try {
    for await (const l of reader) {
      lines = l.line;
      if (l.tooLong) {
        problem(l.line, `line longer than ${maxLine} bytes (${l.bytes} bytes): skipped`);
        continue;
      }
      const text = l.text.trim();
      if (text === '') continue;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        problem(l.line, `not JSON: ${(e as Error).message}`);
        continue;
      }
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        problem(l.line, 'not a JSON object');
        continue;
      }
      const parsed = NucleiResultSchema.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0];
        problem(l.line, `${i.path.map(String).join('.') || '(line)'}: ${i.message}`);
        continue;
      }
      const w = where(parsed.data);
      if ('problem' in w) {
        problem(l.line, w.problem);
        continue;
      }
      if (groups.size >= maxHosts && !groups.has(w)) {
        problem(l.line, `more than ${maxHosts} hosts in one import: skipped`);
        continue;
      }
      groups.add(parsed.data, w);
      imported++;
    }
  } catch (e) {
    throw new EdgewatchError('EW_IMPORT_READ', `cannot read the nuclei file: ${(e as Error).message}`, { file, cause: e });
  }
  if (imported === 0) {
    const first = problems[0] ? ` (line ${problems[0].line}: ${problems[0].message})` : '';
    throw new EdgewatchError('EW_IMPORT_EMPTY', `no nuclei result could be imported from ${lines} line(s)${first}; nothing was written`, { file });
  }

  const sha256 = reader.digest();
  const base = {
    lines,
    imported,
    hosts: groups.size,
    findings: 0,
    compromised: 0,
    evidenceOnly: groups.evidenceOnly,
    evidenceDropped: groups.evidenceDropped,
    problems,
    problemCount,
  };
  const previous = opts.again
    ? undefined
    : (await store.listScans()).find((s) => s.settings?.source === 'nuclei' && s.settings?.sha256 === sha256);
  if (previous?.state === 'finished') return { ...base, ...count(groups, previous.id), scan: previous, action: 'already' };

  const scan =
    previous ??
    (await store.createScan({
      label: opts.label ?? null,
      settings: { source: 'nuclei', file: path, sha256, lines, imported, problems: problemCount, version: 1 },
      total: groups.size,
    }));
  let batch: ScanRecord[] = [];
  for (const r of groups.records(scan.id)) {
    batch.push(r);
    if (batch.length >= BATCH) {
      await store.insertRecords(scan.id, batch);
      batch = [];
    }
  }
  if (batch.length > 0) await store.insertRecords(scan.id, batch);
  await store.setScanState(scan.id, 'finished');
  const done = (await store.getScan(scan.id)) ?? scan;
  return { ...base, ...count(groups, scan.id), scan: done, action: previous ? 'completed' : 'imported' };
}

function count(groups: HostGroups, scanId: string): { findings: number; compromised: number } {
  let findings = 0;
  let compromised = 0;
  for (const r of groups.records(scanId)) {
    findings += Object.values(r.cve).filter((s) => s === 'vulnerable').length;
    if (r.compromised === 'true') compromised++;
  }
  return { findings, compromised };
}
