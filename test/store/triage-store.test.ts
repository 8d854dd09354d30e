/**
 * Triage tables (migration 0002) on both dialects: a saved run lists under its IP, its full report
 * reads back equal, and a host's history joins its scan observations (by hosts.ip) with its runs.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../src/errors.js';
import { getTriageReport, hostHistory, listTriageForHost, saveTriageRun } from '../../src/store/triage.js';
import type { TriageReport } from '../../src/triage/types.js';
import { DIALECTS, storePlaces } from './dialects.js';
import { ipOf, syntheticRecord } from './synthetic.js';

const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d, 'ew-triage-store-')]));
afterAll(async () => {
  for (const p of Object.values(places)) await p.cleanup();
});

function report(verdict: TriageReport['summary']['verdict'], n: number): TriageReport {
  return {
    collection: '/tmp/collection-a.tar.gz',
    host: { hostname: 'adc1', ip: ipOf(5), version: '13.0-47.22', collected_at: '2020-01-20T10:00:00.000Z' },
    findings: Array.from({ length: n }, (_, i) => ({
      rule: 'template-payload',
      title: `finding ${i}`,
      kind: 'compromise',
      confidence: i === 0 ? 'high' : 'medium',
      path: `/netscaler/portal/templates/x${i}.xml`,
      line: i + 1,
      excerpt: `[% template.new({'BLOCK'='print readpipe(chr(105))'}) %] ${i}`,
      time: '2020-01-11T03:00:00.000Z',
      source_ip: '198.51.100.7',
    })) as TriageReport['findings'],
    timeline: [],
    summary: { first_attempt: '2020-01-11T03:00:00.000Z', first_success: null, source_ips: ['198.51.100.7'], verdict },
    not_checked: [],
    stats: { files: 3, bytes: 1234, warnings: [] },
  };
}

describe.each(DIALECTS)('triage tables (%s)', (dialect) => {
  it('saves runs, lists them newest first, and joins them with the host scan history', async () => {
    const store = await places[dialect].open('triage');
    try {
      const scan = await store.createScan({ settings: {} });
      const rec = syntheticRecord(5);
      await store.insertRecords(scan.id, [rec]);
      const r1 = await saveTriageRun(store, ipOf(5), report('attempts_only', 0), new Date('2020-01-20T10:00:00Z'));
      const r2 = await saveTriageRun(store, ipOf(5), report('compromised', 700), new Date('2020-01-21T10:00:00Z'));
      expect(r2).toMatchObject({ verdict: 'compromised', high: 1, medium: 699, low: 0 });

      const runs = await listTriageForHost(store, ipOf(5));
      expect(runs.map((r) => r.id)).toEqual([r2.id, r1.id]);
      expect(typeof runs[0].high).toBe('number');
      expect(await getTriageReport(store, r2.id)).toEqual(report('compromised', 700));
      expect(await getTriageReport(store, 'nope')).toBeUndefined();

      const h = await hostHistory(store, ipOf(5));
      expect(h.triage).toHaveLength(2);
      expect(h.scans).toHaveLength(1);
      expect(h.scans[0]).toMatchObject({ scan_id: scan.id, port: 443, status: rec.status });
      expect(h.scans[0].cves).toEqual(rec.cve);

      const bad = await saveTriageRun(store, "1.2.3.4'; DROP TABLE hosts; --", report('clean', 0)).catch((e: unknown) => e);
      expect(isEdgewatchError(bad, 'EW_STORE_BAD_INPUT')).toBe(true);
    } finally {
      await store.close();
    }
  });
});
