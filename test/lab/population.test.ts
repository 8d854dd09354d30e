import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { admitConnection, ipToInt, parseLabRange } from '../../src/lab/addr.js';
import { rdxGzip, SMB_CONF } from '../../src/lab/citrix.js';
import { loadFirmware } from '../../src/lab/firmware.js';
import { DEFAULT_MIX, PERSONA_IDS } from '../../src/lab/personas.js';
import { buildPopulation, remediatedShare, stateAt } from '../../src/lab/population.js';
import { boundaryBuilds, buildStatus, LATER_CVES, lineOf } from '../../src/lab/later-cves.js';
import { pulseCveState } from '../../src/lab/pulse.js';
import { ALL_CVE_IDS, truthAll, truthLine } from '../../src/lab/truth.js';
import { parseTarget } from '../../src/lab/uri.js';

const CSV = parse(readFileSync(new URL('../../data/netscaler-versions.csv', import.meta.url), 'utf8'), { columns: true }) as Array<{
  rdx_en_stamp: string;
  version: string;
  vhash: string;
}>;
const csvStamps = new Set(CSV.map((r) => Number(r.rdx_en_stamp)));
const fw = loadFirmware();
const ctx = { mode: 'per-address' as const, https: true, http: true };

describe('addresses and paths', () => {
  it('accepts only ranges inside 127.0.0.0/8', () => {
    expect(parseLabRange('127.1.0.0/16')).toMatchObject({ cidr: '127.1.0.0/16', size: 65536 });
    expect(parseLabRange('127.1.2.3/24', 10)).toMatchObject({ cidr: '127.1.2.0/24', size: 10 });
    for (const bad of ['10.0.0.0/8', '0.0.0.0/0', '126.0.0.0/7', '128.0.0.0/16', '127.0.0.0/7', 'x', '127.1.0.0/33']) {
      expect(() => parseLabRange(bad), bad).toThrow(expect.objectContaining({ code: 'EW_LAB_RANGE' }));
    }
  });

  it('wildcard admission drops any non-loopback local or peer address', () => {
    expect(admitConnection('127.1.0.5', '127.0.0.1')).toBe(true);
    expect(admitConnection('::ffff:127.1.0.5', '::ffff:127.0.0.1')).toBe(true);
    expect(admitConnection('10.0.0.5', '127.0.0.1')).toBe(false);
    expect(admitConnection('127.1.0.5', '192.168.1.9')).toBe(false);
    expect(admitConnection('::1', '::1')).toBe(false);
    expect(admitConnection(undefined, '127.0.0.1')).toBe(false);
    expect(ipToInt('127.1.0.256')).toBe(-1);
  });

  it('decodes and resolves traversal paths like Apache', () => {
    expect(parseTarget('/vpn/../vpns/cfg/smb.conf')).toMatchObject({ resolved: '/vpns/cfg/smb.conf', traversal: true });
    expect(parseTarget('/vpn/js/%2e./.%2e/%76pns/cfg/smb.conf')).toMatchObject({
      decoded: '/vpn/js/../../vpns/cfg/smb.conf',
      resolved: '/vpns/cfg/smb.conf',
    });
    expect(parseTarget('/vpn/../vpns/').resolved).toBe('/vpns/');
    expect(parseTarget('/../etc/passwd').resolved).toBeNull();
    expect(parseTarget('/a%zz').resolved).toBeNull();
    expect(parseTarget('/vpn/index.html?x=/../..').resolved).toBe('/vpn/index.html');
  });
});

describe('firmware facts', () => {
  it('smb.conf is exactly 83 bytes with the three markers', () => {
    expect(SMB_CONF.length).toBe(83);
    expect(SMB_CONF.toString()).toContain('[global]');
    expect(SMB_CONF.toString()).toContain('encrypt passwords');
    expect(SMB_CONF.toString()).toContain('name resolve order');
  });

  it('rdx_en.json.gz has the gzip FNAME header with the stamp and inflates', async () => {
    const { gunzipSync } = await import('node:zlib');
    const g = rdxGzip(1574967982);
    expect(g.subarray(0, 4).toString('hex')).toBe('1f8b0808');
    expect(g.readUInt32LE(4)).toBe(1574967982);
    expect(g.subarray(10, 22).toString('latin1')).toBe('rdx_en.json\0');
    expect(JSON.parse(gunzipSync(g).toString())).toHaveProperty('strings');
  });

  it('classifies builds per branch as the brief says', () => {
    const b = (v: string) => fw.get(v);
    expect(b('13.0-47.22')).toMatchObject({ vulnerable: true, stamp: 1574967982, stampKnown: true, fingerprintable: true });
    expect(b('13.0-47.24').vulnerable).toBe(false);
    expect(b('12.1-55.13').vulnerable).toBe(true);
    expect(b('12.1-55.18').vulnerable).toBe(false);
    expect(b('11.1-63.15').vulnerable).toBe(false);
    expect(b('12.0-63.13').vulnerable).toBe(false);
    expect(b('10.5-70.12').vulnerable).toBe(false);
    for (const v of ['12.1-49.23', '12.1-49.37', '12.1-50.28', '12.1-49.30', '12.1-50.20']) expect(b(v).responderIneffective, v).toBe(true);
    for (const v of ['12.1-50.31', '12.1-51.16', '12.1-55.13', '13.0-47.22']) expect(b(v).responderIneffective, v).toBe(false);
    // Old branches: no stamp (404), version leaks via pluginlist/epa.
    for (const v of ['10.5-69.5', '11.1-62.8', '12.0-62.10'])
      expect(b(v)).toMatchObject({ stamp: null, nsversionLeak: true, fingerprintable: true });
    // Absent builds: invented stamps that are not in the CSV.
    for (const x of [...fw.absentVulnerable, ...fw.absentFixed]) {
      expect(x.stampKnown).toBe(false);
      expect(csvStamps.has(x.stamp as number), x.version).toBe(false);
    }
    // CSV rows with version "unknown" keep their real stamp.
    for (const x of fw.csvUnknown) expect(csvStamps.has(x.stamp as number)).toBe(true);
    // Every known-stamp build serves the CSV stamp of its version.
    for (const x of fw.builds.values()) {
      if (!x.stampKnown) continue;
      expect(
        CSV.some((r) => r.version === x.version && Number(r.rdx_en_stamp) === x.stamp),
        x.version,
      ).toBe(true);
    }
  });
});

describe('population', () => {
  const range = parseLabRange('127.1.0.0/24');

  it('places every persona in a 256-address population, deterministically', () => {
    const a = buildPopulation(range, 1, { ...DEFAULT_MIX }, fw);
    for (const p of PERSONA_IDS) expect(a.counts[p], p).toBeGreaterThan(0);
    const b = buildPopulation(range, 1, { ...DEFAULT_MIX }, fw);
    expect(truthAll(b, 0, ctx).map(truthLine)).toEqual(truthAll(a, 0, ctx).map(truthLine));
    const c = buildPopulation(range, 2, { ...DEFAULT_MIX }, fw);
    expect(truthAll(c, 0, ctx).map(truthLine)).not.toEqual(truthAll(a, 0, ctx).map(truthLine));
  });

  it('the hostile personas take only nginx-default weight: other hosts keep persona and certificate; the hostile identity comes last', () => {
    const r = parseLabRange('127.1.0.0/20');
    const now = buildPopulation(r, 7, { ...DEFAULT_MIX }, fw);
    // the mix before the hostile personas existed
    const before = buildPopulation(r, 7, { ...DEFAULT_MIX, 'nginx-default': 7, 'citrix-hostile-names': 0, 'hostile-site': 0 }, fw);
    const first = PERSONA_IDS.length; // one of each persona first (shuffled), then the weighted draw
    let moved = 0;
    for (let i = first; i < now.hosts.length; i++) {
      const a = before.hosts[i]?.persona;
      const b = now.hosts[i]?.persona;
      if (a === b) {
        expect(now.hosts[i]?.certId).toBe(before.hosts[i]?.certId);
        continue;
      }
      expect(a).toBe('nginx-default');
      expect(['citrix-hostile-names', 'hostile-site']).toContain(b);
      moved++;
    }
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(now.hosts.length * 0.01);
    // identities: the hostile one is appended; every other identity keeps its id and names
    const hostile = now.identities.filter((x) => x.pool === 'hostile');
    expect(hostile).toHaveLength(1);
    expect(hostile[0]?.id).toBe(now.identities.length - 1);
    for (const h of now.hosts) {
      if (h.persona === 'citrix-hostile-names' || h.persona === 'hostile-site') expect(h.certId).toBe(hostile[0]?.id);
      else expect(now.identities[h.certId]?.pool ?? 'none').not.toBe('hostile');
    }
  });

  it('truth follows the configured state (rules of the brief)', () => {
    const pop = buildPopulation(parseLabRange('127.1.0.0/20'), 3, { ...DEFAULT_MIX }, fw);
    for (const t of truthAll(pop, 0, ctx)) {
      const e = t.expect.https;
      if (!e) throw new Error('https expected');
      if (t.build === null) {
        if (e.status !== 'ok') continue;
        const others = Object.entries(e.cve).filter(([id]) => id !== 'CVE-2019-11510');
        expect(Object.keys(e.cve).sort()).toEqual([...ALL_CVE_IDS].sort());
        for (const [, st] of others) expect(st).toBe('not_applicable');
        if (t.persona.startsWith('pulse-') && t.persona !== 'pulse-lookalike') {
          expect(e.product).toBe('pulse-connect-secure');
          expect(e.cve['CVE-2019-11510']).not.toBe('not_applicable');
          if (t.persona === 'pulse-no-version') expect(e.cve['CVE-2019-11510']).toBe('unknown');
        } else expect(e.cve['CVE-2019-11510']).toBe('not_applicable');
        continue;
      }
      expect(Object.keys(e.cve).sort()).toEqual([...ALL_CVE_IDS].sort());
      expect(e.cve['CVE-2019-11510']).toBe('not_applicable');
      for (const c of LATER_CVES) {
        expect(['vulnerable', 'patched', 'unknown']).toContain(e.cve[c.id]);
        // a vulnerable verdict needs the exposure the CVE needs, visible on this address
        if (e.cve[c.id] === 'vulnerable') expect(c.exposure === 'mgmt').toBe(t.persona === 'citrix-adc-mgmt');
      }
      const b = fw.get(t.build);
      const cve = e.cve['CVE-2019-19781'];
      expect(e.product).toBe('citrix-adc');
      expect(e.version).toBe(b.fingerprintable ? b.version : null);
      if (!b.vulnerable) expect(cve).toBe(b.fingerprintable ? 'patched' : 'unknown');
      else if (t.mitigation === 'none' || t.mitigation === 'responder-ineffective') expect(cve).toBe('vulnerable');
      else expect(cve).toBe('mitigated');
      if (t.mitigation === 'responder-ineffective') expect(b.branch).toBe('12.1');
      if (t.persona === 'citrix-mitigated-ineffective') expect(cve).toBe('vulnerable');
      if (t.persona === 'citrix-absent-fixed') expect(cve).toBe(b.pluginlistLeaks ? 'patched' : 'unknown');
    }
  });

  it('remediates day-0 vulnerable hosts at the DOMAIN §6.2 rates, deterministically', () => {
    const pop = buildPopulation(parseLabRange('127.1.0.0/20'), 7, { ...DEFAULT_MIX }, fw);
    const vuln0 = pop.hosts.filter((h) => h.build0?.vulnerable && !h.responder0);
    expect(vuln0.length).toBeGreaterThan(800);
    const share = (day: number) =>
      vuln0.filter((h) => stateAt(pop, h, day).responder || !stateAt(pop, h, day).build?.vulnerable).length / vuln0.length;
    expect(share(0)).toBe(0);
    expect(share(1)).toBeCloseTo(0.23, 1);
    expect(Math.abs(share(2) - remediatedShare(2))).toBeLessThan(0.05);
    expect(Math.abs(share(5) - remediatedShare(5))).toBeLessThan(0.05);
    expect(Math.abs(share(30) - (0.23 + 0.77 * 0.87))).toBeLessThan(0.05);
    // Before day 8 acting means the responder; afterwards some patch.
    expect(vuln0.every((h) => stateAt(pop, h, 7).build === h.build0)).toBe(true);
    const patched30 = vuln0.filter((h) => !stateAt(pop, h, 30).build?.vulnerable).length;
    expect(patched30).toBeGreaterThan(0);
    // Same inputs, same answers.
    expect(vuln0.map((h) => stateAt(pop, h, 4).responder)).toEqual(vuln0.map((h) => stateAt(pop, h, 4).responder));
  });
});

describe('later CVEs and the second vendor (issue 7)', () => {
  const fw = loadFirmware();
  it('boundary builds hold the first fixed build and the last build below it on every line of every later CVE', () => {
    const list = boundaryBuilds(fw);
    const have = new Set(list.map((b) => b.version));
    for (const c of LATER_CVES) {
      for (const [line, fact] of Object.entries(c.lines)) {
        if (fact === 'unassessed' || fact === 'not_affected') continue;
        const onLine = list.filter((b) => lineOf(b) === line);
        if (fact === 'eol') {
          expect(onLine.some((b) => buildStatus(c, b) === 'eol'), `${c.id} ${line}`).toBe(true);
          continue;
        }
        // the first fixed build itself when the version table has it (13.1-37.236 is not in it: 37.241 stands in)
        expect(onLine.some((b) => buildStatus(c, b) === 'fixed'), `${c.id} ${line} at/above ${fact}`).toBe(true);
        if (fact !== '13.1-37.236') expect(have.has(fact), `${c.id} ${line} first fixed ${fact}`).toBe(true);
        expect(onLine.some((b) => buildStatus(c, b) === 'vulnerable'), `${c.id} ${line} below ${fact}`).toBe(true);
      }
    }
    expect(list.every((b) => b.stampKnown)).toBe(true);
  });

  it('FIPS/NDcPP trains are lines of their own; EOL lines stay vulnerable; 12.1-FIPS is not affected by CVE-2025-6543', () => {
    const c = (id: string) => LATER_CVES.find((x) => x.id === id) as (typeof LATER_CVES)[number];
    expect(buildStatus(c('CVE-2023-3519'), fw.get('13.1-37.159'))).toBe('fixed');
    expect(buildStatus(c('CVE-2023-3519'), fw.get('13.1-48.47'))).toBe('vulnerable');
    expect(buildStatus(c('CVE-2023-3519'), fw.get('12.1-65.39'))).toBe('eol');
    expect(buildStatus(c('CVE-2023-3519'), fw.get('12.1-55.297'))).toBe('fixed');
    expect(buildStatus(c('CVE-2025-6543'), fw.get('12.1-55.297'))).toBe('not_affected');
    expect(buildStatus(c('CVE-2025-5777'), fw.get('13.0-92.31'))).toBe('eol');
    expect(buildStatus(c('CVE-2022-27518'), fw.get('13.1-33.47'))).toBe('not_affected');
    expect(buildStatus(c('CVE-2023-4966'), fw.get('14.1-4.42'))).toBe('vulnerable');
    expect(buildStatus(c('CVE-2023-3519'), fw.get('11.1-63.15'))).toBe('unassessed');
  });

  it('Pulse CVE-2019-11510 facts: 8.2R12.1, 8.3R7.1, 9.0R3.4 first fixed; 8.1 and 9.1 not affected', () => {
    expect(pulseCveState('9.0.3.64041')).toBe('vulnerable');
    expect(pulseCveState('9.0.3.64053')).toBe('patched');
    expect(pulseCveState('8.3.7.65013')).toBe('vulnerable');
    expect(pulseCveState('8.3.7.65025')).toBe('patched');
    expect(pulseCveState('8.2.12.63999')).toBe('vulnerable');
    expect(pulseCveState('8.2.12.64003')).toBe('patched');
    expect(pulseCveState('8.1.14.59737')).toBe('patched');
    expect(pulseCveState('9.1.1.1505')).toBe('patched');
    expect(pulseCveState(null)).toBe('unknown');
  });
});
