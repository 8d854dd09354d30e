/**
 * Rendering of the full report in-process: a scan without any enrichment (hint instead of tables of
 * "unknown", JSON still complete), provenance lines, TLP parsing, and the trend sentence.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseTlp, reportMeta } from '../../src/report/meta.js';
import { changeLine, type FullReport, orgsSentence, renderFullReport } from '../../src/report/render-attribution.js';
import { openStore } from '../../src/store/index.js';
import { buildAttribution } from '../../src/store/report-attribution.js';
import { CVE_A, scanARecords, tempDir } from './fixture.js';

const tmp = tempDir('ew-report-render-');
afterAll(() => tmp.cleanup());

describe('renderFullReport', () => {
  it('a scan nobody enriched: a hint in the table, every host "unknown" in JSON', async () => {
    const store = await openStore({ dialect: 'sqlite', file: tmp.file('plain.db') });
    try {
      const s = await store.createScan({ settings: {}, label: 'plain' });
      await store.insertRecords(s.id, scanARecords());
      const base = await store.report(s.id);
      const attribution = await buildAttribution(store.db, s.id, ['country', 'org']);
      const full: FullReport = {
        meta: await reportMeta(parseTlp('tlp:amber+strict'), [CVE_A], attribution.coverage.sources),
        base,
        sections: new Set(['cve']),
        attribution,
        trend: null,
      };
      const text = renderFullReport(full, 'table');
      expect(text).toContain(`No host of this scan is enriched yet: run \`edgewatch enrich --scan ${s.id}\``);
      expect(text).not.toContain('By country');
      expect(text).toContain('(TLP:AMBER+STRICT)');
      expect(text).toContain('data: (no enrichment data recorded for this scan');
      const json = JSON.parse(renderFullReport(full, 'json'));
      expect(json.attribution.by.country).toEqual([
        { key: 'unknown', name: null, hosts: 8, compromised: 2, lab: 0, cve: expect.any(Object) },
      ]);
      expect(json.attribution.by.org[0]).toMatchObject({ key: 'unattributed', hosts: 8 });
      expect(json.attribution.coverage).toMatchObject({ product_hosts: 8, enriched_hosts: 0, sources: [] });
    } finally {
      await store.close();
    }
  });

  it('parses TLP labels and refuses others', () => {
    expect(parseTlp(undefined)).toBe('AMBER');
    expect(parseTlp('clear')).toBe('CLEAR');
    expect(parseTlp('TLP:RED')).toBe('RED');
    expect(() => parseTlp('purple')).toThrow(expect.objectContaining({ code: 'EW_REPORT_OPTION' }));
  });

  it('writes the trend change and the organisations sentence', () => {
    expect(changeLine({ cve: CVE_A, state: 'vulnerable', from: 713, to: 250, delta: -463, ratio: -463 / 713 })).toBe(
      `${CVE_A} vulnerable: 713 → 250 (−463, −64.9 %)`,
    );
    expect(changeLine({ cve: '*', state: 'compromised', from: 0, to: 4, delta: 4, ratio: null })).toBe('compromised: 0 → 4 (+4)');
    expect(
      orgsSentence({ selection: '', cve: CVE_A, state: 'vulnerable', hosts: 39, organisations: 12, unattributed_hosts: 5, unattributed_groups: 1, unenriched_hosts: 0, sectors: 2 }),
    ).toBe(`39 ${CVE_A} vulnerable hosts belong to 12 organisations; 5 unattributed in 1 AS/abuse-contact group.`);
  });
});
