import { afterAll, describe, expect, it } from 'vitest';
import type { CveState, ScanRecord } from '../../src/scan/record.js';
import { diffChange } from '../../src/store/diff-label.js';
import type { DiffRow } from '../../src/store/types.js';
import { DIALECTS, storePlaces } from './dialects.js';
import { PATHS } from './helpers.js';
import { ipOf } from './synthetic.js';

const places = Object.fromEntries(DIALECTS.map((d) => [d, storePlaces(d, 'ew-diff-')]));
afterAll(async () => {
  for (const p of Object.values(places)) await p.cleanup();
});

const C = 'CVE-2019-19781';
const C2 = 'CVE-2023-3519';
type Side = CveState | 'unreachable' | 'error';

function rec(seq: number, h: number, side: Side | Record<string, CveState>, host: string | null = null): ScanRecord {
  const transport = side === 'unreachable' || side === 'error';
  const cve = transport ? {} : typeof side === 'string' ? { [C]: side } : side;
  return {
    ip: ipOf(h),
    port: 443,
    host,
    status: transport ? side : 'ok',
    reason: side === 'unreachable' ? 'timeout' : side === 'error' ? 'reset' : null,
    scheme: 'https',
    product: transport ? null : 'citrix-adc',
    product_confidence: transport ? 'none' : 'certain',
    version: null,
    version_source: null,
    cve,
    tls: null,
    evidence: [],
    scanned_at: '2020-01-15T00:00:00.000Z',
    seq,
  };
}

// host index → [before, after, expected change]; undefined side = host not in that scan.
const CASES: Array<[number, Side | undefined, Side | undefined, DiffRow['change']]> = [
  [1, 'vulnerable', 'patched', 'newly_patched'],
  [2, 'vulnerable', 'mitigated', 'newly_mitigated'],
  [3, 'vulnerable', 'vulnerable', 'still_vulnerable'],
  [4, 'patched', 'vulnerable', 'newly_vulnerable'],
  [5, 'mitigated', 'mitigated', 'still_mitigated'],
  [6, 'vulnerable', 'unreachable', 'gone_unreachable'],
  [7, 'mitigated', 'error', 'gone_unreachable'],
  [8, 'unreachable', 'patched', 'back_reachable'],
  [9, 'vulnerable', undefined, 'other'],
  [10, undefined, 'patched', 'other'],
  [11, 'patched', 'patched', 'unchanged'],
  [12, 'not_applicable', 'not_applicable', 'unchanged'],
  [13, 'mitigated', 'patched', 'newly_patched'],
  [14, 'vulnerable', 'unknown', 'other'],
  [15, 'not_applicable', 'vulnerable', 'newly_vulnerable'],
  [16, 'error', 'vulnerable', 'back_reachable'],
];

describe('diffChange', () => {
  const all: DiffRow['before'][] = ['vulnerable', 'mitigated', 'patched', 'not_applicable', 'unknown', 'unreachable', 'error', 'absent'];
  it('never reads a host that stopped answering as fixed', () => {
    for (const before of all) {
      for (const after of ['unreachable', 'error'] as const) {
        const change = diffChange(before, after);
        expect(['newly_patched', 'newly_mitigated']).not.toContain(change);
        if (!['unreachable', 'error', 'absent'].includes(before)) expect(change).toBe('gone_unreachable');
      }
    }
  });
  it('labels improvements only when the after state is the improvement', () => {
    for (const before of all) {
      for (const after of all) {
        const change = diffChange(before, after);
        if (change === 'newly_patched') expect(after).toBe('patched');
        if (change === 'newly_mitigated') expect([before, after]).toEqual(['vulnerable', 'mitigated']);
        if (change === 'newly_vulnerable') expect(after).toBe('vulnerable');
        if (before === 'absent' || after === 'absent') expect(change).toBe('other');
      }
    }
  });
});

for (const dialect of DIALECTS) {
  for (const paths of PATHS) {
    describe(`diff (${dialect}, ${paths} path)`, () => {
      it('labels every transition between two scans, joined per host and CVE in SQL', async () => {
        const store = await places[dialect].open(`diff-${paths}`, { paths });
        try {
          const a = await store.createScan({ label: 'day 0', settings: {} });
          const b = await store.createScan({ label: 'day 1', settings: {} });
          const ra: ScanRecord[] = [];
          const rb: ScanRecord[] = [];
          for (const [h, before, after] of CASES) {
            if (before !== undefined) ra.push(rec(ra.length, h, before));
            if (after !== undefined) rb.push(rec(rb.length, h, after));
          }
          // Unreachable in both scans: nothing to say, no row.
          ra.push(rec(ra.length, 30, 'unreachable'));
          rb.push(rec(rb.length, 30, 'unreachable'));
          // Two CVEs; the second only checked in scan b.
          ra.push(rec(ra.length, 31, { [C]: 'vulnerable' }, 'vpn.example.org'));
          rb.push(rec(rb.length, 31, { [C]: 'patched', [C2]: 'vulnerable' }, 'vpn.example.org'));
          // Same address, other host name: a different host.
          ra.push(rec(ra.length, 31, { [C]: 'mitigated' }));
          rb.push(rec(rb.length, 31, { [C]: 'mitigated' }));
          // Listed twice in scan b: the later observation (higher seq) counts.
          ra.push(rec(ra.length, 32, 'vulnerable'));
          rb.push(rec(rb.length, 32, 'vulnerable'));
          rb.push(rec(rb.length, 32, 'patched'));
          await store.insertRecords(a.id, ra);
          await store.insertRecords(b.id, rb);

          const rows = await store.diff(a.id, b.id);
          const byKey = new Map(rows.map((r) => [`${r.ip}|${r.host ?? ''}|${r.cve}`, r]));
          for (const [h, before, after, change] of CASES) {
            const r = byKey.get(`${ipOf(h)}||${C}`);
            expect(r, `host ${h}`).toBeDefined();
            expect([r?.before, r?.after, r?.change], `host ${h}`).toEqual([before ?? 'absent', after ?? 'absent', change]);
          }
          expect(byKey.has(`${ipOf(30)}||${C}`)).toBe(false);
          expect(byKey.get(`${ipOf(31)}|vpn.example.org|${C}`)?.change).toBe('newly_patched');
          expect(byKey.get(`${ipOf(31)}|vpn.example.org|${C2}`)).toMatchObject({ before: 'absent', after: 'vulnerable', change: 'other' });
          expect(byKey.get(`${ipOf(31)}||${C}`)?.change).toBe('still_mitigated');
          expect(byKey.get(`${ipOf(32)}||${C}`)).toMatchObject({ before: 'vulnerable', after: 'patched', change: 'newly_patched' });
          expect(rows).toHaveLength(CASES.length + 4);
          expect(rows.every((r) => r.port === 443)).toBe(true);
          // Unreachable is never counted as fixed.
          for (const r of rows) {
            if (r.after === 'unreachable' || r.after === 'error') expect(r.change).toBe('gone_unreachable');
          }
          // Reverse direction mirrors the transport rules.
          const back = await store.diff(b.id, a.id);
          expect(back.find((r) => r.ip === ipOf(6))?.change).toBe('back_reachable');
          expect(back.find((r) => r.ip === ipOf(8))?.change).toBe('gone_unreachable');
        } finally {
          await store.close();
        }
      });
    });
  }
}
