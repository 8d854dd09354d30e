/**
 * Triage runs in the store (tables of migration 0002): save a TriageReport for a host IP, list a
 * host's triage runs, and a host's history = its scan observations (hosts.ip join) beside its
 * triage runs, newest first.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { TriageReport } from '../triage/types.js';
import { readJson } from './json.js';
import type { Database } from './schema.js';
import type { Store } from './types.js';

/** Kysely types of the triage tables. */
export type TriageRunsTable = {
  id: string;
  ip: string;
  collection: string;
  hostname: string | null;
  version: string | null;
  collected_at: string | null;
  triaged_at: string;
  verdict: string;
  high: number;
  medium: number;
  low: number;
  report: string;
};

export type TriageFindingsTable = {
  run_id: string;
  n: number;
  rule: string;
  kind: string;
  confidence: string;
  path: string;
  line: number | null;
  time: string | null;
  source_ip: string | null;
  excerpt: string;
};

export type TriageTables = {
  triage_runs: TriageRunsTable;
  triage_findings: TriageFindingsTable;
};

/** One stored triage run (without its full report). */
export interface TriageRunRow {
  id: string;
  ip: string;
  collection: string;
  hostname: string | null;
  version: string | null;
  collected_at: string | null;
  triaged_at: string;
  verdict: TriageReport['summary']['verdict'];
  high: number;
  medium: number;
  low: number;
}

/** One scan observation of the host, for its history. */
export interface HostScanRow {
  scan_id: string;
  scanned_at: string;
  port: number;
  host: string | null;
  status: string;
  product: string | null;
  version: string | null;
  compromised: string | null;
  /** CVE → classification. */
  cves: Record<string, string>;
}

export interface HostHistory {
  ip: string;
  scans: HostScanRow[];
  triage: TriageRunRow[];
}

const IP = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$|^[0-9A-Fa-f:.]{2,45}$/;

function checkIp(ip: string): string {
  const v = String(ip).trim();
  if (!IP.test(v) || (v.includes(':') === false && v.split('.').length !== 4)) {
    throw new EdgewatchError('EW_STORE_BAD_INPUT', `not an IP address: ${JSON.stringify(v.slice(0, 60))}`);
  }
  return v;
}

const tdb = (store: Store | Kysely<Database>): Kysely<Database & TriageTables> =>
  ('db' in store ? store.db : store).withTables<TriageTables>();

/** Triage run ids: `t` + UTC time to the second + `-` + 4 random hex chars. */
function newRunId(now: Date): string {
  const s = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `t${s}-${randomBytes(2).toString('hex')}`;
}

/** Store a report as a triage run of `ip`; returns the run. */
export async function saveTriageRun(store: Store, ipIn: string, r: TriageReport, now: Date = new Date()): Promise<TriageRunRow> {
  const ip = checkIp(ipIn);
  const count = (c: string) => r.findings.filter((f) => f.confidence === c).length;
  const row: TriageRunRow = {
    id: newRunId(now),
    ip,
    collection: r.collection,
    hostname: r.host.hostname,
    version: r.host.version,
    collected_at: r.host.collected_at,
    triaged_at: now.toISOString(),
    verdict: r.summary.verdict,
    high: count('high'),
    medium: count('medium'),
    low: count('low'),
  };
  const db = tdb(store);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('triage_runs')
      .values({ ...row, report: JSON.stringify(r) })
      .execute();
    const rows = r.findings.map((f, n) => ({
      run_id: row.id,
      n,
      rule: f.rule,
      kind: f.kind,
      confidence: f.confidence,
      path: f.path,
      line: f.line ?? null,
      time: f.time ?? null,
      source_ip: f.source_ip ?? null,
      excerpt: f.excerpt,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('triage_findings')
        .values(rows.slice(i, i + 500))
        .execute();
  });
  return row;
}

/** Triage runs of `ip`, newest first. */
export async function listTriageForHost(store: Store, ipIn: string): Promise<TriageRunRow[]> {
  const ip = checkIp(ipIn);
  const rows = await tdb(store)
    .selectFrom('triage_runs')
    .select(['id', 'ip', 'collection', 'hostname', 'version', 'collected_at', 'triaged_at', 'verdict', 'high', 'medium', 'low'])
    .where('ip', '=', ip)
    .orderBy('triaged_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({
    ...r,
    verdict: r.verdict as TriageRunRow['verdict'],
    high: Number(r.high),
    medium: Number(r.medium),
    low: Number(r.low),
  }));
}

/** The full stored report of a run, or undefined. */
export async function getTriageReport(store: Store, runId: string): Promise<TriageReport | undefined> {
  const r = await tdb(store).selectFrom('triage_runs').select('report').where('id', '=', runId).executeTakeFirst();
  return r ? readJson<TriageReport>(r.report, `report of triage run ${runId}`) : undefined;
}

/** A host's scan observations (by hosts.ip) and triage runs, newest first. */
export async function hostHistory(store: Store, ipIn: string): Promise<HostHistory> {
  const ip = checkIp(ipIn);
  const db = tdb(store);
  const obs = await db
    .selectFrom('observations as o')
    .innerJoin('hosts as h', 'h.id', 'o.host_id')
    .select(['o.scan_id', 'o.seq', 'o.scanned_at', 'h.port', 'h.host', 'o.status', 'o.product', 'o.version', 'o.compromised'])
    .where('h.ip', '=', ip)
    .orderBy('o.scanned_at', 'desc')
    .limit(1000)
    .execute();
  const scans: HostScanRow[] = [];
  for (const o of obs) {
    const cves = await db
      .selectFrom('findings')
      .select(['cve', 'state'])
      .where('scan_id', '=', o.scan_id)
      .where('seq', '=', o.seq)
      .execute();
    scans.push({
      scan_id: o.scan_id,
      scanned_at: o.scanned_at,
      port: Number(o.port),
      host: o.host === '' ? null : o.host,
      status: o.status,
      product: o.product,
      version: o.version,
      compromised: o.compromised,
      cves: Object.fromEntries(cves.map((c) => [c.cve, c.state])),
    });
  }
  return { ip, scans, triage: await listTriageForHost(store, ip) };
}
