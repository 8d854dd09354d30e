/**
 * Cases from a scan: every host with a finding worth acting on (vulnerable, mitigated but not
 * patched, or compromised — patched or not) joins the case of its owner (organisation, else network
 * + abuse contact); hosts of open cases that this scan saw answering and clean become fixed; a case
 * whose hosts are all fixed is resolved; a notified case still open after `escalateAfterDays` is
 * escalated. Hosts that were unreachable or not re-observed never count as fixed. Idempotent: running
 * it twice for the same scan changes nothing the second time.
 */
import type { Transaction } from 'kysely';
import type { ScanRecord } from '../scan/record.js';
import type { Store } from '../store/types.js';
import { type CasesDatabase, casesDb } from './db.js';
import { addEvent, nextTicket } from './repo.js';
import { type HostDetail, WORST_RANK, type Worst } from './types.js';

export interface UpdateOptions {
  /** Days after the last notification before a still-open case is escalated (default 14). */
  escalateAfterDays?: number;
  /** "now" for tests. */
  now?: Date;
  actor?: string;
}

export interface UpdateSummary {
  scan: string;
  opened: number;
  reopened: number;
  resolved: number;
  escalated: number;
  hostsAdded: number;
  hostsFixed: number;
  hostsStillOpen: number;
  notReobserved: number;
}

const MAX_EVIDENCE = 6;

/** The worst actionable situation of one record, or null when there is nothing to act on. */
export function hostWorst(r: ScanRecord): Worst | null {
  if (r.status !== 'ok') return null;
  const states = Object.values(r.cve ?? {});
  if (r.compromised === 'true') return states.includes('patched') ? 'patched_compromised' : 'compromised';
  if (states.includes('vulnerable')) return 'vulnerable';
  if (states.includes('mitigated')) return 'mitigated';
  return null;
}

function detailOf(r: ScanRecord): HostDetail {
  const cve: Record<string, string> = {};
  for (const [id, st] of Object.entries(r.cve ?? {})) if (st === 'vulnerable' || st === 'mitigated' || (st === 'patched' && r.compromised === 'true')) cve[id] = st;
  return {
    product: r.product,
    version: r.version,
    cve,
    compromised: r.compromised === 'true',
    indicators: (r.indicators ?? []).slice(0, 10).map((i) => `${i.check}/${i.id}`),
    scanned_at: r.scanned_at,
    evidence: (r.evidence ?? [])
      .filter((e) => e.check !== undefined)
      .slice(0, MAX_EVIDENCE)
      .map((e) => `${e.request.slice(0, 200)} -> ${e.status ?? e.error ?? 'no answer'}`),
  };
}

const hostKey = (ip: string, port: number) => `${ip}|${port}`;

export async function updateCases(store: Store, scanId: string, opts: UpdateOptions = {}): Promise<UpdateSummary> {
  const db = casesDb(store.db);
  const now = opts.now ?? new Date();
  const nowIso = now.toISOString();
  const actor = opts.actor ?? 'rescan';
  const escalateMs = (opts.escalateAfterDays ?? 14) * 86_400_000;
  const sum: UpdateSummary = { scan: scanId, opened: 0, reopened: 0, resolved: 0, escalated: 0, hostsAdded: 0, hostsFixed: 0, hostsStillOpen: 0, notReobserved: 0 };

  // Open case hosts, by host key: what this scan may fix.
  // Keyed by address and port: a host first seen by name and rescanned by address is the same host.
  type OpenHost = { case_id: string; ip: string; port: number; host: string; checked: string | null };
  const openHosts = new Map<string, OpenHost[]>();
  for (const h of await db.selectFrom('case_hosts').select(['case_id', 'ip', 'port', 'host', 'checked_scan']).where('state', '=', 'open').execute()) {
    const k = hostKey(h.ip, Number(h.port));
    const list = openHosts.get(k) ?? [];
    list.push({ case_id: h.case_id, ip: h.ip, port: Number(h.port), host: h.host, checked: h.checked_scan });
    openHosts.set(k, list);
  }

  // Pass over the scan in pages: bad hosts, and what became of open ones.
  const bad: Array<{ r: ScanRecord; worst: Worst }> = [];
  const fixed: Array<{ case_id: string; ip: string; port: number; host: string; r: ScanRecord }> = [];
  const unseen: Array<{ case_id: string; ip: string; port: number; host: string; status: string }> = [];
  const clean = new Map<string, ScanRecord>();
  const down = new Map<string, ScanRecord>();
  const badKeys = new Set<string>();
  for await (const r of store.iterateRecords(scanId)) {
    const k = hostKey(r.ip, r.port);
    const w = hostWorst(r);
    if (w) {
      bad.push({ r, worst: w });
      badKeys.add(k);
    } else if (openHosts.has(k)) {
      if (r.status === 'ok') clean.set(k, r);
      else down.set(k, r);
    }
  }
  // A host is fixed only when this scan saw it answering and clean (and no other observation of the
  // same address and port in this scan still had a finding); unreachable is never fixed.
  for (const [k, r] of clean) {
    if (badKeys.has(k)) continue;
    for (const open of openHosts.get(k) ?? []) fixed.push({ ...open, r });
  }
  for (const [k, r] of down) {
    if (badKeys.has(k) || clean.has(k)) continue;
    for (const open of openHosts.get(k) ?? []) {
      if (open.checked !== scanId) unseen.push({ ...open, status: `${r.status}${r.reason ? ` (${r.reason})` : ''}` });
    }
  }

  // Owners of the bad hosts.
  const owners = new Map<string, { org: string | null; grp: string | null }>();
  const ips = [...new Set(bad.map((b) => b.r.ip))];
  for (let i = 0; i < ips.length; i += 5000) {
    const rows = await db.selectFrom('ip_enrichment').select(['ip', 'org_key', 'grp']).where('ip', 'in', ips.slice(i, i + 5000)).execute();
    for (const r of rows) owners.set(r.ip, { org: r.org_key, grp: r.grp });
  }

  await db.transaction().execute(async (tx: Transaction<CasesDatabase>) => {
    const touched = new Set<string>();
    const caseIdByOwner = new Map<string, string>();
    for (const c of await tx.selectFrom('cases').select(['id', 'owner']).execute()) caseIdByOwner.set(c.owner, c.id);

    for (const { r } of bad) {
      const o = owners.get(r.ip);
      const owner = o?.org ? `org:${o.org}` : `grp:${o?.grp ?? 'unattributed'}`;
      let id = caseIdByOwner.get(owner);
      if (!id) {
        id = await nextTicket(tx, now);
        await tx
          .insertInto('cases')
          .values({
            id,
            owner,
            org_key: o?.org ?? null,
            grp: o?.org ? null : (o?.grp ?? 'unattributed'),
            state: 'open',
            worst: null,
            opened_at: nowIso,
            updated_at: nowIso,
            last_scan: scanId,
            notified_at: null,
            notified_rank: null,
            resolved_at: null,
          })
          .execute();
        await addEvent(tx, id, 'opened', actor, { scan: scanId, owner }, nowIso);
        caseIdByOwner.set(owner, id);
        sum.opened++;
      }
      touched.add(id);
      const host = r.host ?? '';
      const existing = await tx
        .selectFrom('case_hosts')
        .select(['state'])
        .where('case_id', '=', id)
        .where('ip', '=', r.ip)
        .where('port', '=', r.port)
        .where('host', '=', host)
        .executeTakeFirst();
      const detail = JSON.stringify(detailOf(r));
      if (!existing) {
        await tx
          .insertInto('case_hosts')
          .values({ case_id: id, ip: r.ip, port: r.port, host, state: 'open', first_scan: scanId, last_seen_scan: scanId, fixed_scan: null, checked_scan: scanId, detail })
          .execute();
        await addEvent(tx, id, 'host_added', actor, { scan: scanId, ip: r.ip, port: r.port, version: r.version }, nowIso);
        sum.hostsAdded++;
      } else {
        if (existing.state === 'fixed') {
          await addEvent(tx, id, 'host_reopened', actor, { scan: scanId, ip: r.ip, port: r.port }, nowIso);
          sum.hostsAdded++;
        }
        await tx
          .updateTable('case_hosts')
          .set({ state: 'open', last_seen_scan: scanId, fixed_scan: null, checked_scan: scanId, detail })
          .where('case_id', '=', id)
          .where('ip', '=', r.ip)
          .where('port', '=', r.port)
          .where('host', '=', host)
          .execute();
      }
    }

    for (const f of fixed) {
      await tx
        .updateTable('case_hosts')
        .set({ state: 'fixed', fixed_scan: scanId, last_seen_scan: scanId, checked_scan: scanId })
        .where('case_id', '=', f.case_id)
        .where('ip', '=', f.ip)
        .where('port', '=', f.port)
        .where('host', '=', f.host)
        .execute();
      const st = f.r.product ? `${f.r.version ?? 'unknown build'}, ${Object.entries(f.r.cve ?? {}).map(([c, s]) => `${c} ${s}`).join(', ')}` : 'no longer the product';
      await addEvent(tx, f.case_id, 'host_fixed', actor, { scan: scanId, ip: f.ip, port: f.port, now: st.slice(0, 500) }, nowIso);
      touched.add(f.case_id);
      sum.hostsFixed++;
    }
    for (const u of unseen) {
      await tx
        .updateTable('case_hosts')
        .set({ checked_scan: scanId })
        .where('case_id', '=', u.case_id)
        .where('ip', '=', u.ip)
        .where('port', '=', u.port)
        .where('host', '=', u.host)
        .execute();
      await addEvent(tx, u.case_id, 'not_reobserved', actor, { scan: scanId, ip: u.ip, status: u.status }, nowIso);
      sum.notReobserved++;
    }

    // Recompute every touched case (and check escalation of all notified ones).
    const notified = await tx.selectFrom('cases').select('id').where('state', 'in', ['notified', 'acknowledged']).execute();
    for (const n of notified) touched.add(n.id);
    for (const id of touched) {
      const c = await tx.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      const hosts = await tx.selectFrom('case_hosts').select(['state', 'detail']).where('case_id', '=', id).execute();
      const open = hosts.filter((h) => h.state === 'open');
      let worst: Worst | null = null;
      for (const h of open) {
        const d = typeof h.detail === 'string' ? (JSON.parse(h.detail) as HostDetail) : (h.detail as unknown as HostDetail);
        const w: Worst = d.compromised
          ? Object.values(d.cve).includes('patched')
            ? 'patched_compromised'
            : 'compromised'
          : Object.values(d.cve).includes('vulnerable')
            ? 'vulnerable'
            : 'mitigated';
        if (!worst || WORST_RANK[w] > WORST_RANK[worst]) worst = w;
      }
      let state = c.state;
      if (open.length === 0 && state !== 'resolved') {
        state = 'resolved';
        await addEvent(tx, id, 'resolved', actor, { scan: scanId, hosts: hosts.length }, nowIso);
        sum.resolved++;
      } else if (open.length > 0 && state === 'resolved') {
        state = 'open';
        await addEvent(tx, id, 'reopened', actor, { scan: scanId }, nowIso);
        sum.reopened++;
      } else if (
        open.length > 0 &&
        (state === 'notified' || state === 'acknowledged') &&
        c.notified_at !== null &&
        now.getTime() - Date.parse(c.notified_at) >= escalateMs
      ) {
        state = 'escalated';
        await addEvent(tx, id, 'escalated', actor, { scan: scanId, days: Math.floor((now.getTime() - Date.parse(c.notified_at)) / 86_400_000) }, nowIso);
        sum.escalated++;
      }
      sum.hostsStillOpen += open.length;
      if (state !== c.state || worst !== c.worst || c.last_scan !== scanId) {
        await tx
          .updateTable('cases')
          .set({ state, worst, last_scan: scanId, updated_at: nowIso, resolved_at: state === 'resolved' ? (c.resolved_at ?? nowIso) : null })
          .where('id', '=', id)
          .execute();
      }
    }
  });
  return sum;
}
