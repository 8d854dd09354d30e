/**
 * Lab demo identities: addresses drawn from real allocations of the chosen countries (checked
 * against the enrichment's own lookup of the bundled data: the lab reads the data independently),
 * deterministic per seed, unique, organisations from the lab's certificates, an organisation list
 * that `org import` accepts and that then attributes the lab hosts, and loopback-only mapping.
 * Also `edgewatch lab --identities` end to end (a small lab on loopback, stopped with SIGINT).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openGeo } from '../../src/enrich/geo/index.js';
import { loadLabIdentities } from '../../src/enrich/geo/lab-identities.js';
import { importOrganisations } from '../../src/enrich/org/index.js';
import { enrichAddresses } from '../../src/enrich/pipeline.js';
import type { Enrichment, GeoLookup } from '../../src/enrich/types.js';
import { buildPublicIdentities, defaultOrgsFile, type LabHostIn, orgListYaml, parseCountryMix, sectorOf, writePublicIdentities } from '../../src/lab/public-identity.js';
import { openStore } from '../../src/store/index.js';
import { ensureSharedCache, tempDataDir } from '../enrich/geo-helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');

function hosts(n: number): LabHostIn[] {
  const orgs = ['Acme Health', 'Globex Municipality', 'Citrix ANG', null, 'Brightside Bakery'];
  return Array.from({ length: n }, (_, i) => ({ ip: `127.20.${i >> 8}.${i & 255}`, certOrg: orgs[i % orgs.length] ?? null }));
}

let geo: GeoLookup;
let data: { dir: string; cleanup: () => void };
beforeAll(async () => {
  ensureSharedCache();
  data = tempDataDir('ew-labid-');
  geo = await openGeo({ dataDir: data.dir });
}, 120_000);
afterAll(() => data.cleanup());

describe('public identities', () => {
  it('draws unique addresses from real allocations of the mix, deterministically', () => {
    const mix = { NL: 3, DE: 1, US: 1 };
    const a = buildPublicIdentities(hosts(600), { seed: 7, countries: mix });
    const b = buildPublicIdentities(hosts(600), { seed: 7, countries: mix });
    const c = buildPublicIdentities(hosts(600), { seed: 8, countries: mix });
    expect(a).toEqual(b);
    expect(a.identities.map((i) => i.public_ip)).not.toEqual(c.identities.map((i) => i.public_ip));
    expect(new Set(a.identities.map((i) => i.public_ip)).size).toBe(600);
    let agree = 0;
    let announced = 0;
    for (const id of a.identities) {
      expect(['NL', 'DE', 'US']).toContain(id.cc);
      const f = geo.lookup(id.public_ip);
      if (f.cc === id.cc) agree++;
      if (f.asn !== null) announced++;
    }
    // the same bundled data, read independently: the country of the allocation holds
    expect(agree / 600).toBeGreaterThan(0.9);
    expect(announced / 600).toBeGreaterThan(0.9);
  }, 60_000);

  it('uses the certificate organisation, groups organisations into blocks, leaves some unaffiliated', () => {
    const r = buildPublicIdentities(hosts(500), { seed: 1, unaffiliatedShare: 0.5 });
    const byLab = new Map(r.identities.map((i) => [i.lab_ip, i]));
    expect(byLab.get('127.20.0.0')).toMatchObject({ org: 'Acme Health', org_key: 'acme-health', sector: 'healthcare', domains: ['acme-health.example'] });
    expect(byLab.get('127.20.0.1')).toMatchObject({ org: 'Globex Municipality', sector: 'government' });
    const unaffiliated = r.identities.filter((i) => i.org === null).length;
    expect(unaffiliated).toBeGreaterThan(30);
    expect(unaffiliated).toBeLessThan(250);
    // Citrix default certificates are not organisations
    expect(r.orgs.map((o) => o.name)).not.toContain('Citrix ANG');
    for (const o of r.orgs) {
      expect(o.cidrs).toHaveLength(1);
      const [net, len] = o.cidrs[0].split('/');
      for (const id of r.identities.filter((i) => i.org === o.name)) {
        const n = (s: string) => s.split('.').reduce((acc, x) => acc * 256 + Number(x), 0);
        const size = 2 ** (32 - Number(len));
        expect(n(id.public_ip) - n(net)).toBeGreaterThan(0);
        expect(n(id.public_ip) - n(net)).toBeLessThan(size);
      }
    }
    expect(sectorOf('Soylent Hospital')).toBe('healthcare');
    expect(sectorOf('Zorg Industries')).toBe('industry');
  }, 60_000);

  it('refuses non-loopback lab addresses and bad mixes', () => {
    expect(() => buildPublicIdentities([{ ip: '10.0.0.1', certOrg: null }], { seed: 1 })).toThrow(expect.objectContaining({ code: 'EW_LAB_IDENTITY' }));
    expect(parseCountryMix('nl=40, US:20')).toEqual({ NL: 40, US: 20 });
    expect(() => parseCountryMix('Netherlands=1')).toThrow(expect.objectContaining({ code: 'EW_LAB_OPTION' }));
    expect(() => parseCountryMix('NL=0')).toThrow(expect.objectContaining({ code: 'EW_LAB_OPTION' }));
  });

  it('the files load into org import and the enrichment, which attributes the lab hosts', async () => {
    const r = buildPublicIdentities(hosts(120), { seed: 3 });
    const idsFile = join(data.dir, 'ids.jsonl');
    const orgsFile = defaultOrgsFile(idsFile);
    expect(orgsFile).toBe(join(data.dir, 'ids.orgs.yaml'));
    writePublicIdentities(r, idsFile, orgsFile);
    expect(readFileSync(orgsFile, 'utf8')).toBe(orgListYaml(r));
    const store = await openStore({ dialect: 'sqlite', file: join(data.dir, 'lab.db') });
    try {
      const imp = await importOrganisations(store.db, orgsFile);
      expect(imp.organisations).toBe(r.orgs.length);
      const { loadOrgMatcher } = await import('../../src/enrich/org/index.js');
      const matcher = await loadOrgMatcher(store.db);
      const labIdentities = loadLabIdentities(idsFile);
      const out: Enrichment[] = [];
      for await (const e of enrichAddresses(
        r.identities.map((i) => ({ ip: i.lab_ip })),
        { geo, matcher, labIdentities },
      )) {
        if (!('error' in e)) out.push(e);
      }
      expect(out).toHaveLength(120);
      for (const [k, e] of out.entries()) {
        const id = r.identities[k];
        expect(e.lab?.public_ip).toBe(id.public_ip);
        expect(e.attribution.org_key).toBe(id.org_key);
        if (id.org_key) expect(e.attribution.rule).toBe('cidr');
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('edgewatch lab --identities', () => {
  it('writes the mapping and the organisation list for the running lab', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-labcli-'));
    try {
      const ids = join(dir, 'ids.jsonl');
      const port = 20_000 + Math.floor(Math.random() * 30_000);
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin/edgewatch.js'), 'lab', '--range', '127.63.0.0/26', '--seed', '5', '--https-port', String(port), '--http-port', '0', '--identities', ids, '--identity-countries', 'NL=1,BE=1'],
        { env: { ...process.env, EDGEWATCH_SCOPE: '127.0.0.0/8' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise((r) => child.once('exit', r));
      let outText = '';
      let errText = '';
      child.stdout.on('data', (d) => {
        outText += d;
      });
      child.stderr.on('data', (d) => {
        errText += d;
      });
      const deadline = Date.now() + 60_000;
      while (!outText.includes('lab identities=') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      expect(outText, errText).toContain('lab identities=');
      const lines = readFileSync(ids, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toHaveLength(64);
      expect(lines.every((l) => l.lab_ip.startsWith('127.63.0.') && (l.cc === 'NL' || l.cc === 'BE'))).toBe(true);
      expect(existsSync(join(dir, 'ids.orgs.yaml'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

