/**
 * Notification planning benchmark (issue #5: "plan and render notifications for 10,000 cases in
 * ≤ 10 s"). Builds a temp SQLite store through the real code paths: organisations through
 * `saveOrganisations` (what `org import` writes; half Dutch, half English, 1–2 contacts), the
 * attribution of every host through `upsertEnrichments`, one finished scan through the store's
 * `insertRecords` (hosts vulnerable / mitigated / compromised, some with names, plus clean and
 * unreachable hosts the cases must ignore), cases through `updateCases`. Then times
 * `planNotifications` (decide, render from the bundled templates in the owner's language, CSV
 * evidence attachment, outbox draft and case event per case) and a second, idempotent plan.
 * Prints cases, messages, seconds, peak RSS. Offline: nothing is sent.
 *
 *   npx tsx bench/notify-plan.ts [--cases 10000] [--hosts-per-case 3] [--keep FILE] [--tx]
 *
 * `--tx` runs the plan inside one transaction (an experiment for a batched planNotifications).
 *
 * Bounded: at most 100,000 cases, 20 hosts per case, and 10 minutes.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { casesDb } from '../src/cases/db.js';
import { Cases } from '../src/cases/repo.js';
import { updateCases } from '../src/cases/update.js';
import type { Enrichment } from '../src/enrich/types.js';
import { parseNotifyConfig } from '../src/notify/config.js';
import { planNotifications } from '../src/notify/plan.js';
import { formatIPv4 } from '../src/scope/ip.js';
import type { ScanRecord } from '../src/scan/record.js';
import { openStore } from '../src/store/index.js';
import { upsertEnrichments } from '../src/store/enrichment.js';
import { type Organisation, saveOrganisations } from '../src/store/organisations.js';
import { rec } from '../test/notify/fixture.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    'hosts-per-case': { type: 'string', default: '3' },
    keep: { type: 'string' },
    // Experiment: run the plan inside one transaction (what a batched planNotifications would do).
    tx: { type: 'boolean', default: false },
  },
});
const N = Math.max(10, Math.min(Number(values.cases), 100_000));
const PER = Math.max(1, Math.min(Number(values['hosts-per-case']), 20));
// 90 % of the cases are organisations, 10 % unmatched networks grouped by AS and abuse contact.
const ORGS = Math.floor(N * 0.9);
const GROUPS = N - ORGS;

const deadline = setTimeout(() => {
  console.error('notify-plan bench: 10 minute limit reached, stopping');
  process.exit(2);
}, 600_000);
deadline.unref();

let seed = 0x9e3779b9;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

const dir = mkdtempSync(join(tmpdir(), 'ew-bench-notify-plan-'));
const file = values.keep ?? join(dir, 'plan.db');
const store = await openStore({ dialect: 'sqlite', file });
const sec = (t: number) => (performance.now() - t) / 1000;

try {
  const tb = performance.now();
  const imported = new Date().toISOString();
  const orgs: Organisation[] = Array.from({ length: ORGS }, (_, o) => ({
    key: `org-${o}`,
    name: o % 97 === 0 ? `Ziekenhuis <b>${o}</b>\r\nBcc: x@evil.example` : `Organisation ${o}`,
    sector: o % 2 ? 'healthcare' : 'government',
    language: o % 2 ? 'nl' : 'en',
    constituencies: ['bench'],
    domains: [`org-${o}.example`],
    cidrs: [],
    asns: [],
    contacts: o % 3 === 0 ? [{ email: `cert@org-${o}.example` }, { email: `it@org-${o}.example` }] : [{ email: `security@org-${o}.example` }],
    source: `bench:${o + 1}`,
    imported_at: imported,
  }));
  await saveOrganisations(store.db, orgs, { replace: false });

  // Hosts: PER per case (10.x.y.z, distinct), each attributed to its case's owner.
  const sources = [{ id: 'bench', kind: 'asn' as const, version: 'bench', date: null, origin: 'bundled' as const, path: '-' }];
  const records: ScanRecord[] = [];
  let enr: Enrichment[] = [];
  let h = 0;
  for (let c = 0; c < N; c++) {
    const org = c < ORGS ? `org-${c}` : null;
    const asn = 64_512 + (c - ORGS);
    const grp = org ? null : `AS${asn}|abuse@as${asn}.example`;
    for (let k = 0; k < PER; k++, h++) {
      const ip = formatIPv4(0x0a000000 + h);
      const r = rnd();
      const state = r < 0.5 ? 'vulnerable' : r < 0.85 ? 'mitigated' : 'patched';
      const compromised = state === 'patched' || rnd() < 0.05;
      records.push(rec(ip, { state, compromised, host: rnd() < 0.3 ? `vpn${k}.org-${c}.example` : undefined, version: state === 'patched' ? '13.0-47.24' : '13.0-47.22' }));
      enr.push({
        ip,
        cc: 'NL',
        asn,
        as_name: `AS-${asn}`,
        network: `${formatIPv4((0x0a000000 + h) & ~255)}/24`,
        names: [],
        rdns: null,
        abuse: grp ? { email: `abuse@as${asn}.example`, source: 'rdap' } : null,
        attribution: { org_key: org, org_name: org, sector: null, rule: org ? 'cidr' : 'none', matched: null, why: '', group: grp },
        lab: null,
        enriched_at: imported,
      });
      if (enr.length >= 5_000) {
        await upsertEnrichments(store.db, enr, sources);
        enr = [];
      }
    }
  }
  await upsertEnrichments(store.db, enr, sources);
  // Noise the cases must not pick up: clean and unreachable hosts.
  for (let i = 0; i < N; i++, h++) records.push(rec(formatIPv4(0x0a000000 + h), i % 2 ? { state: 'patched' } : { status: 'unreachable' }));
  const scan = await store.createScan({ label: 'bench', settings: {}, total: records.length });
  for (let i = 0; i < records.length; i += 2_000) {
    await store.insertRecords(
      scan.id,
      records.slice(i, i + 2_000).map((r, j) => ({ ...r, seq: i + j })),
    );
  }
  await store.setScanState(scan.id, 'finished');
  const buildS = sec(tb);

  const tu = performance.now();
  const sum = await updateCases(store, scan.id);
  const updateS = sec(tu);
  const cases = await new Cases(store.db).list();

  const cfg = parseNotifyConfig({ from: 'CERT Bench <cert@cert.example>', team: 'CERT Bench' });
  const cpu0 = process.cpuUsage();
  const tp = performance.now();
  const plan = values.tx
    ? await store.db.transaction().execute((tx) => planNotifications(tx, { config: cfg }))
    : await planNotifications(store.db, { config: cfg });
  const planS = sec(tp);
  const cpu = process.cpuUsage(cpu0);
  const rssAfterPlanMb = process.resourceUsage().maxRSS / 1024;
  const tp2 = performance.now();
  const again = await planNotifications(store.db, { config: cfg });
  const againS = sec(tp2);
  const outbox = Number(
    (await casesDb(store.db).selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
  );
  const langs: Record<string, number> = {};
  const templates: Record<string, number> = {};
  for (const p of plan.planned) {
    langs[p.language] = (langs[p.language] ?? 0) + 1;
    templates[p.template] = (templates[p.template] ?? 0) + 1;
  }
  const ok = cases.length === N && plan.planned.length === N && outbox === N && again.planned.length === 0;
  console.log(
    JSON.stringify({
      bench: 'notify-plan',
      one_transaction: values.tx,
      cases: cases.length,
      hosts_in_cases: sum.hostsAdded,
      messages: plan.planned.length,
      skipped: plan.skipped.length,
      languages: langs,
      templates,
      build_store_s: Number(buildS.toFixed(2)),
      update_cases_s: Number(updateS.toFixed(2)),
      plan_s: Number(planS.toFixed(2)),
      plan_cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
      messages_per_s: Number((plan.planned.length / planS).toFixed(0)),
      replan_s: Number(againS.toFixed(2)),
      replan_messages: again.planned.length,
      store_mb: Number((statSync(file).size / 1e6).toFixed(1)),
      outbox_drafts: outbox,
      peak_rss_mb_after_plan: Number(rssAfterPlanMb.toFixed(0)),
      peak_rss_mb: Number((process.resourceUsage().maxRSS / 1024).toFixed(0)),
      one_message_per_case: ok,
    }),
  );
  console.log(`notify-plan: ${plan.planned.length} messages for ${cases.length} cases planned and rendered in ${planS.toFixed(2)} s (target ≤ 10 s, issue #5)`);
  if (!ok) process.exitCode = 1;
} finally {
  await store.close();
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
