/**
 * Exports on the known store (fixture.ts), written to real files and parsed back: IntelMQ events
 * (harmonised names, classification mapping, lab label), Shadowserver-style CSV (formula-safe,
 * newlines quoted), STIX 2.1 (structural validation: ids, spec_version, timestamps, every reference
 * resolves, deterministic), MISP (Event, Attributes, ip-port Objects, TLP tag, references),
 * filters, the record formats, and an output that cannot be written (no partial file). On SQLite
 * and, when the local server answers, PostgreSQL.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExportFormat, runExport } from '../../src/report/exports/index.js';
import { UUID_RE, uuidv5 } from '../../src/report/exports/ids.js';
import type { ReportFilter } from '../../src/store/report-types.js';
import type { ScanRow, Store } from '../../src/store/types.js';
import { DIALECTS, storePlaces } from '../store/dialects.js';
import { buildFixture, CVE_A, CVE_B, HOSTILE_CONTACT, HOSTILE_HOST, HOSTILE_NAME, HOSTILE_ORG, tempDir } from './fixture.js';

describe.each(DIALECTS)('exports (%s)', (dialect) => {
const tmp = tempDir('ew-export-');
const places = storePlaces(dialect, 'ew-export-db-');
let store: Store;
let scanA: ScanRow;

beforeAll(async () => {
  const f = await buildFixture(await places.config('exp'));
  store = f.store;
  scanA = (await store.getScan(f.a)) as ScanRow;
});
afterAll(async () => {
  await store?.close();
  await places.cleanup();
  tmp.cleanup();
});

let n = 0;
async function exportTo(format: ExportFormat, filter: ReportFilter = {}, tlp: 'AMBER' | 'RED' | 'CLEAR' = 'AMBER') {
  const file = tmp.file(`out-${n++}.${format}`);
  const r = await runExport(store.db, scanA, { format, tlp, filter, output: file, pageSize: 3 });
  return { ...r, file, text: readFileSync(file, 'utf8') };
}

describe('IntelMQ events', () => {
  it('one event per vulnerable CVE and per compromised host, harmonised field names', async () => {
    const out = await exportTo('intelmq');
    const events = out.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.hosts).toBe(6);
    expect(events.length).toBe(8);
    expect(out.items).toBe(8);
    const vuln = events.filter((e) => e['classification.taxonomy'] === 'vulnerable');
    expect(vuln.length).toBe(6);
    expect(vuln.every((e) => e['classification.type'] === 'vulnerable-system')).toBe(true);
    expect(vuln.filter((e) => e['classification.identifier'] === CVE_B).map((e) => e['source.ip'])).toEqual(['10.0.0.1']);
    const comp = events.filter((e) => e['classification.taxonomy'] === 'intrusions');
    expect(comp.map((e) => e['source.ip'])).toEqual(['10.0.0.1', '10.0.0.4']);
    expect(comp[0]).toMatchObject({
      'classification.type': 'system-compromise',
      'classification.identifier': 'citrix-webshell-2023-v1-uiareas',
      'extra.indicators': ['citrix-webshell-2023-v1-uiareas'],
    });
    expect(events[0]).toMatchObject({
      'feed.name': 'edgewatch',
      tlp: 'AMBER',
      'source.ip': '10.0.0.1',
      'source.port': 443,
      'source.fqdn': 'vpn.zha.example',
      'source.reverse_dns': 'host1.kpn.example',
      'source.asn': 1136,
      'source.as_name': 'KPN',
      'source.network': '10.0.0.0/24',
      'source.geolocation.cc': 'NL',
      'protocol.application': 'https',
      'extra.organisation': 'Ziekenhuis A',
      'extra.sector': 'healthcare',
      'time.source': '2020-01-13T10:00:00.000Z',
    });
    // unattributed host keeps its abuse contact; the unenriched one has no source.asn
    expect(comp[1]['source.abuse_contact']).toBe('abuse@as3320.example');
    expect(events.find((e) => e['source.ip'] === '10.0.0.6')?.['source.asn']).toBeUndefined();
    // lab host: labelled, hostile names never in harmonised name fields
    const lab = events.find((e) => e['source.ip'] === '127.0.0.8') as Record<string, unknown>;
    expect(lab).toMatchObject({ 'extra.lab_demo_identity': true, 'extra.lab_public_ip': '8.8.8.8', 'extra.target_name': HOSTILE_HOST });
    expect(lab['source.fqdn']).toBeUndefined();
    expect(lab['source.reverse_dns']).toBeUndefined();
    expect(lab['extra.organisation']).toBe(HOSTILE_ORG);
  });

  it('other classifications when asked, mapped to taxonomy other / undetermined', async () => {
    const out = await exportTo('intelmq', { states: ['mitigated'] });
    const events = out.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.map((e) => e['source.ip'])).toEqual(['10.0.0.5']);
    expect(events[0]).toMatchObject({ 'classification.taxonomy': 'other', 'classification.type': 'undetermined', 'extra.classification': 'mitigated' });
  });
});

describe('Shadowserver-style CSV', () => {
  it('has the columns, one row per event, and is formula- and newline-safe', async () => {
    const out = await exportTo('shadowserver');
    const rows = parse(out.text, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]).slice(0, 13)).toEqual(['timestamp', 'ip', 'protocol', 'port', 'hostname', 'tag', 'asn', 'geo', 'region', 'city', 'naics', 'sic', 'sector']);
    expect(rows.length).toBe(8);
    expect(rows[0]).toMatchObject({ timestamp: '2020-01-13 10:00:00', ip: '10.0.0.1', port: '443', tag: 'cve-2019-19781;vulnerable', asn: '1136', geo: 'NL', sector: 'healthcare', severity: 'critical', tlp: 'AMBER' });
    const lab = rows.find((r) => r.ip === '127.0.0.8') as Record<string, string>;
    expect(lab.hostname).toBe(`'${HOSTILE_HOST}`);
    expect(lab.abuse_contact).toBe(`'${HOSTILE_CONTACT}`);
    expect(lab.reverse_dns).toBe(HOSTILE_NAME); // newline kept inside a quoted cell, not a new row
    expect(lab.organisation).toBe(HOSTILE_ORG);
    expect(lab.lab_demo_identity).toBe('lab demo identity 8.8.8.8');
    for (const r of rows) for (const v of Object.values(r)) expect(v).not.toMatch(/^[=+\-@]/);
  });

  it('filters by country and organisation', async () => {
    const out = await exportTo('shadowserver', { countries: ['NL'], orgs: ['zh-a'] });
    const rows = parse(out.text, { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => `${r.ip} ${r.tag}`)).toEqual([
      '10.0.0.1 cve-2019-19781;vulnerable',
      '10.0.0.1 cve-2023-3519;vulnerable',
      '10.0.0.1 compromised;citrix-webshell-2023-v1-uiareas',
      '10.0.0.2 cve-2019-19781;vulnerable',
    ]);
  });
});

const STIX_ID = /^([a-z0-9-]+)--([0-9a-f-]{36})$/;
const STIX_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('STIX 2.1 bundle', () => {
  it('is structurally valid: ids, spec_version, timestamps, references resolve', async () => {
    const out = await exportTo('stix');
    const bundle = JSON.parse(out.text) as { type: string; id: string; objects: Array<Record<string, unknown>> };
    expect(bundle.type).toBe('bundle');
    expect(bundle.id).toMatch(/^bundle--/);
    const ids = new Set<string>();
    for (const o of bundle.objects) {
      const m = STIX_ID.exec(o.id as string);
      expect(m, String(o.id)).not.toBeNull();
      expect(m?.[1]).toBe(o.type);
      expect(m?.[2]).toMatch(UUID_RE);
      expect(o.spec_version).toBe('2.1');
      expect(ids.has(o.id as string), `duplicate ${o.id}`).toBe(false);
      ids.add(o.id as string);
      if (!['ipv4-addr', 'ipv6-addr'].includes(o.type as string)) expect(o.created).toMatch(STIX_TS);
      if (!['ipv4-addr', 'ipv6-addr', 'marking-definition'].includes(o.type as string)) expect(o.modified).toMatch(STIX_TS);
    }
    for (const o of bundle.objects) {
      for (const k of ['source_ref', 'target_ref', 'created_by_ref']) if (o[k] !== undefined) expect(ids.has(o[k] as string), `${k} ${o[k]}`).toBe(true);
      for (const r of (o.object_marking_refs as string[] | undefined) ?? []) expect(ids.has(r)).toBe(true);
    }
    const of = (t: string) => bundle.objects.filter((o) => o.type === t);
    expect(of('marking-definition')[0]).toMatchObject({ id: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', definition: { tlp: 'amber' } });
    expect(of('vulnerability').map((v) => v.name).sort()).toEqual([CVE_A, CVE_B]);
    expect(of('vulnerability')[0].external_references).toEqual([{ source_name: 'cve', external_id: of('vulnerability')[0].name }]);
    expect(of('infrastructure').length).toBe(6);
    expect(of('ipv4-addr').length).toBe(6);
    // the SCO id is the specification's deterministic id for {"value": ip}
    const sco = of('ipv4-addr').find((o) => o.value === '10.0.0.1');
    expect(sco?.id).toBe(`ipv4-addr--${uuidv5('{"value":"10.0.0.1"}', '00abedb4-aa42-466c-9c01-fed23315a9b7')}`);
    const has = of('relationship').filter((r) => r.relationship_type === 'has');
    expect(has.length).toBe(6); // 5 hosts vulnerable to CVE A + 1 to CVE B
    expect(of('location').map((l) => l.country).sort()).toEqual(['DE', 'NL', 'US']);
    const lab = of('infrastructure').find((i) => String(i.name).startsWith('127.0.0.8')) as Record<string, unknown>;
    expect(lab.labels).toContain('lab-demo-identity');
    expect(lab.x_edgewatch_lab_public_ip).toBe('8.8.8.8');
    expect(of('identity').some((i) => i.name === HOSTILE_ORG)).toBe(true);
    // deterministic: the same export twice is byte-identical
    const again = await exportTo('stix');
    expect(again.text).toBe(out.text);
  });

  it('marks the bundle with the asked TLP', async () => {
    const red = JSON.parse((await exportTo('stix', {}, 'RED')).text) as { objects: Array<Record<string, unknown>> };
    expect(red.objects[0]).toMatchObject({ id: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', name: 'TLP:RED' });
  });
});

describe('MISP event', () => {
  it('has the event, TLP tag, vulnerability attributes and one ip-port object per host', async () => {
    const out = await exportTo('misp');
    const { Event } = JSON.parse(out.text) as { Event: Record<string, unknown> };
    expect(Event.uuid).toMatch(UUID_RE);
    expect(Event.Tag).toContainEqual({ name: 'tlp:amber' });
    expect(Event.published).toBe(false);
    const attrs = Event.Attribute as Array<Record<string, unknown>>;
    const vulns = attrs.filter((a) => a.type === 'vulnerability');
    expect(vulns.map((a) => a.value)).toEqual([CVE_A, CVE_B]);
    expect(attrs.find((a) => a.type === 'text')?.value).toContain('ip-location-db/asn 2.3.2026061719');
    const objects = Event.Object as Array<Record<string, unknown>>;
    expect(objects.length).toBe(6);
    for (const o of objects) {
      expect(o).toMatchObject({ name: 'ip-port', template_uuid: '9f8cea74-16fe-4968-a2b4-026676949ac6', 'meta-category': 'network' });
      const oa = o.Attribute as Array<Record<string, unknown>>;
      expect(oa.find((a) => a.object_relation === 'ip')?.type).toBe('ip-dst');
      expect(oa.find((a) => a.object_relation === 'dst-port')?.value).toBe('443');
      expect(oa.every((a) => a.to_ids === false)).toBe(true);
      for (const ref of (o.ObjectReference as Array<Record<string, string>> | undefined) ?? []) {
        expect(vulns.some((v) => v.uuid === ref.referenced_uuid)).toBe(true);
      }
    }
    const first = objects[0].Attribute as Array<Record<string, unknown>>;
    expect(first.find((a) => a.object_relation === 'hostname')?.value).toBe('vpn.zha.example');
    expect(first.find((a) => a.object_relation === 'AS')?.value).toBe('AS1136');
    expect(first.find((a) => a.object_relation === 'country-code')?.value).toBe('NL');
    const lab = objects.find((o) => (o.Attribute as Array<Record<string, unknown>>).some((a) => a.value === '127.0.0.8')) as Record<string, unknown>;
    expect(lab.comment).toBe('lab demo identity');
    const labAttrs = lab.Attribute as Array<Record<string, unknown>>;
    expect(labAttrs.find((a) => a.object_relation === 'hostname')).toBeUndefined(); // hostile name is not a hostname
    expect(String(labAttrs.find((a) => a.object_relation === 'text')?.value)).toContain(HOSTILE_HOST);
    // deterministic
    expect((await exportTo('misp')).text).toBe(out.text);
  });
});

describe('record formats and failures', () => {
  it('jsonl/csv export every record without filters, only matching ones with filters', async () => {
    const all = await exportTo('jsonl');
    expect(all.text.trim().split('\n').length).toBe(10);
    const vuln = await exportTo('jsonl', { cves: [CVE_B], states: ['vulnerable'] });
    const recs = vuln.text.trim().split('\n').map((l) => JSON.parse(l) as { ip: string; cve: Record<string, string> });
    expect(recs.map((r) => r.ip)).toEqual(['10.0.0.1']);
    const csv = parse((await exportTo('csv')).text, { columns: true }) as Array<Record<string, string>>;
    expect(csv.length).toBe(10);
    expect(csv[7].host).toBe(`'${HOSTILE_HOST}`);
  });

  it('an unwritable output fails with EW_EXPORT_WRITE and leaves no file behind', async () => {
    const bad = tmp.file('no-such-dir/out.json');
    await expect(runExport(store.db, scanA, { format: 'stix', tlp: 'AMBER', filter: {}, output: bad })).rejects.toMatchObject({ code: 'EW_EXPORT_WRITE' });
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(tmp.dir).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('a bad filter state is EW_REPORT_OPTION before anything is written', async () => {
    const file = tmp.file('bad-state.json');
    await expect(runExport(store.db, scanA, { format: 'intelmq', tlp: 'AMBER', filter: { states: ['owned'] }, output: file })).rejects.toMatchObject({
      code: 'EW_REPORT_OPTION',
    });
    expect(existsSync(file)).toBe(false);
  });
});
});
