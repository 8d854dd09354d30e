/**
 * Lab demo identities: every emulated (loopback) host is given a public identity so a demo's map
 * and reports look like a real census — an address drawn from real IPv4 allocations of a chosen
 * country mix, a fictional organisation (the organisation of the host's certificate when it
 * serves one, from identity.ts), a sector and domains. Written as
 * - a mapping file (JSON Lines: lab_ip → public_ip, cc, org, org_key, sector, domains) that
 *   `edgewatch enrich/scan --lab-identities` reads (used only for 127.0.0.0/8 lab targets, and
 *   labelled as lab data in every report and export), and
 * - an organisation list (YAML) that `edgewatch org import` loads, so the demo can attribute.
 *
 * Allocations are read here from the bundled data packages themselves (AS ranges from
 * `@ip-location-db/asn`, countries from `@ip-location-db/geo-whois-asn-country-mmdb` via
 * `maxmind`): the lab shares no code with src/enrich (a lab that reused the enrichment's own
 * lookups would prove nothing about it). Deterministic: the same seed and hosts give the same
 * identities. Only data is read: nothing is ever sent to the public addresses.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Reader, type Response } from 'maxmind';
import { stringify as yamlStringify } from 'yaml';
import { EdgewatchError } from '../errors.js';
import { intToIp, isLoopbackV4 } from './addr.js';
import { ORGS } from './identity.js';
import { hash32, saltOf, unit } from './rand.js';

/** Default country mix (weights): a Dutch sector CERT's view with its neighbours. */
export const DEFAULT_COUNTRY_MIX: Readonly<Record<string, number>> = { NL: 40, DE: 15, BE: 10, US: 15, GB: 10, FR: 10 };

export interface PublicIdentityOptions {
  seed: number;
  /** Country code → weight (default DEFAULT_COUNTRY_MIX). */
  countries?: Record<string, number>;
  /** Share of hosts without an organisation (grouped by AS in reports), default 0.15. */
  unaffiliatedShare?: number;
}

/** A lab host as the lab knows it: its address and the organisation of its certificate, if any. */
export interface LabHostIn {
  ip: string;
  /** Subject O= of the certificate it serves, or null. */
  certOrg: string | null;
  /** Names on that certificate (CN + SANs). */
  certNames?: string[];
}

export interface PublicIdentity {
  lab_ip: string;
  public_ip: string;
  cc: string;
  org: string | null;
  org_key: string | null;
  sector: string | null;
  domains: string[];
}

export interface PublicOrg {
  key: string;
  name: string;
  sector: string;
  language: string;
  cc: string;
  domains: string[];
  cidrs: string[];
  contacts: Array<{ email: string; role: string }>;
}

export interface PublicIdentities {
  identities: PublicIdentity[];
  orgs: PublicOrg[];
  /** Data the allocations were drawn from (package versions). */
  data: { asn: string; country: string };
}

const S_COUNTRY = saltOf('public-country');
const S_RANGE = saltOf('public-range');
const S_OFFSET = saltOf('public-offset');
const S_AFFIL = saltOf('public-affiliation');
const S_ORG = saltOf('public-org');

const IGNORED_CERT_ORGS = new Set(['Citrix ANG']);

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Sector of a fictional organisation, from its name. */
export function sectorOf(name: string): string {
  const n = name.toLowerCase();
  if (/health|care|clinic|hospital|dental/.test(n)) return 'healthcare';
  if (/municipality|county|library/.test(n)) return 'government';
  if (/energy|water/.test(n)) return 'energy';
  if (/university|school/.test(n)) return 'education';
  if (/bank|insurance|realty/.test(n)) return 'finance';
  if (/logistics|freight|transit|aviation|imports|trading/.test(n)) return 'transport';
  if (/research|labs|science|dynamic|industries/.test(n)) return 'industry';
  if (/foods|brewing|bakery/.test(n)) return 'food';
  return 'other';
}

const LANGUAGE: Record<string, string> = { NL: 'nl', BE: 'nl', DE: 'de', AT: 'de', FR: 'fr', ES: 'es', IT: 'it', SE: 'sv' };

/** Parses `NL=40,US=20` into a mix; EW_LAB_OPTION on anything else. */
export function parseCountryMix(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z]{2})\s*[=:]\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new EdgewatchError('EW_LAB_OPTION', `--identity-countries: expected CC=weight[,CC=weight…], got "${part.slice(0, 40)}"`);
    out[m[1].toUpperCase()] = Number(m[2]);
  }
  if (!Object.values(out).some((w) => w > 0)) throw new EdgewatchError('EW_LAB_OPTION', '--identity-countries: at least one weight must be positive');
  return out;
}

interface Pool {
  /** cc → [start, end] IPv4 ranges (uint32) drawn from real allocations. */
  ranges: Map<string, Array<[number, number]>>;
  data: { asn: string; country: string };
}

const require = createRequire(import.meta.url);

function pkgDir(name: string): { dir: string; version: string } {
  try {
    const pj = require.resolve(`${name}/package.json`);
    return { dir: dirname(pj), version: (JSON.parse(readFileSync(pj, 'utf8')) as { version: string }).version };
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_IDENTITY', `the lab's public identities need the bundled package ${name} (run npm install)`, { cause });
  }
}

/**
 * Real IPv4 allocations per country: rows of the AS range file (sampled with a seeded stride)
 * whose first address the country file places in one of `ccs`. Only ranges of at least 256
 * addresses are kept (an organisation gets a block inside one).
 */
function loadPool(ccs: Set<string>, seed: number): Pool {
  const asn = pkgDir('@ip-location-db/asn');
  const country = pkgDir('@ip-location-db/geo-whois-asn-country-mmdb');
  const text = readFileSync(join(asn.dir, 'asn-ipv4-num.csv'), 'utf8');
  const reader = new Reader<Response>(readFileSync(join(country.dir, 'geo-whois-asn-country-ipv4.mmdb')));
  const ranges = new Map<string, Array<[number, number]>>();
  for (const cc of ccs) ranges.set(cc, []);
  const stride = 5;
  let row = 0;
  const phase = seed % stride;
  let pos = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    if (row++ % stride === phase) {
      const c1 = text.indexOf(',', pos);
      const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
      if (c2 > 0 && c2 < nl) {
        const start = Number(text.slice(pos, c1));
        const end = Number(text.slice(c1 + 1, c2));
        if (Number.isInteger(start) && Number.isInteger(end) && end - start + 1 >= 256) {
          const rec = reader.get(intToIp(start)) as { country_code?: string } | null;
          const cc = rec?.country_code;
          if (cc && ccs.has(cc)) (ranges.get(cc) as Array<[number, number]>).push([start, end]);
        }
      }
    }
    pos = nl + 1;
  }
  return { ranges, data: { asn: `@ip-location-db/asn@${asn.version}`, country: `@ip-location-db/geo-whois-asn-country-mmdb@${country.version}` } };
}

function weightedPick(mix: Array<[string, number]>, total: number, u: number): string {
  let acc = 0;
  for (const [cc, w] of mix) {
    acc += w / total;
    if (u < acc) return cc;
  }
  return mix[mix.length - 1][0];
}

/** Builds the identities of `hosts` (loopback addresses only; anything else is refused). */
export function buildPublicIdentities(hosts: readonly LabHostIn[], opts: PublicIdentityOptions): PublicIdentities {
  const seed = opts.seed >>> 0;
  const mixIn = opts.countries ?? DEFAULT_COUNTRY_MIX;
  const mix = Object.entries(mixIn)
    .map(([cc, w]) => [cc.toUpperCase(), w] as [string, number])
    .filter(([, w]) => w > 0)
    .sort((a, b) => a[0].localeCompare(b[0]));
  if (mix.length === 0) throw new EdgewatchError('EW_LAB_OPTION', 'the country mix has no positive weight');
  const total = mix.reduce((s, [, w]) => s + w, 0);
  const unaffiliated = opts.unaffiliatedShare ?? 0.15;
  for (const h of hosts) {
    if (!isLoopbackV4(h.ip)) throw new EdgewatchError('EW_LAB_IDENTITY', `lab address ${h.ip} is outside 127.0.0.0/8: public identities are only for loopback lab hosts`);
  }
  const pool = loadPool(new Set(mix.map(([cc]) => cc)), seed);
  const usable = mix.filter(([cc]) => (pool.ranges.get(cc)?.length ?? 0) > 0);
  if (usable.length === 0) throw new EdgewatchError('EW_LAB_IDENTITY', `no allocations found for ${mix.map(([cc]) => cc).join(', ')} in the bundled data`);
  const usableTotal = usable.reduce((s, [, w]) => s + w, 0);

  // 1. Which organisation each host belongs to.
  const orgOf: Array<string | null> = hosts.map((h, i) => {
    if (h.certOrg && !IGNORED_CERT_ORGS.has(h.certOrg)) return h.certOrg;
    if (unit(seed, i, S_AFFIL) < unaffiliated) return null;
    return ORGS[hash32(seed, i, S_ORG) % ORGS.length] as string;
  });
  const members = new Map<string, number[]>();
  orgOf.forEach((o, i) => {
    if (!o) return;
    const list = members.get(o);
    if (list) list.push(i);
    else members.set(o, [i]);
  });

  // 2. Each organisation: a country and an aligned block inside a real allocation of it.
  const used: Array<[number, number]> = [];
  const overlaps = (a: number, b: number) => used.some(([s, e]) => a <= e && s <= b);
  const orgs: PublicOrg[] = [];
  const orgBase = new Map<string, number>();
  const names = [...members.keys()].sort();
  names.forEach((name, oi) => {
    const n = (members.get(name) as number[]).length;
    const bits = Math.max(8, Math.ceil(Math.log2(n + 2)));
    const size = 2 ** bits;
    let cc = weightedPick(usable, usableTotal, unit(seed, oi, S_COUNTRY));
    let base = -1;
    for (let attempt = 0; attempt < 64 && base < 0; attempt++) {
      if (attempt === 32) cc = usable[attempt % usable.length][0];
      const list = pool.ranges.get(cc) as Array<[number, number]>;
      const [s, e] = list[hash32(seed, oi, S_RANGE, attempt) % list.length];
      const first = Math.ceil(s / size) * size;
      const blocks = Math.floor((e + 1 - first) / size);
      if (blocks <= 0) continue;
      const b = first + (hash32(seed, oi, S_OFFSET, attempt) % blocks) * size;
      if (!overlaps(b, b + size - 1)) base = b;
    }
    if (base < 0) throw new EdgewatchError('EW_LAB_IDENTITY', `no free block of ${size} addresses for ${name} in the allocations of ${cc}`);
    used.push([base, base + size - 1]);
    orgBase.set(name, base);
    const domain = `${slug(name)}.example`;
    orgs.push({
      key: slug(name),
      name,
      sector: sectorOf(name),
      language: LANGUAGE[cc] ?? 'en',
      cc,
      domains: [domain],
      cidrs: [`${intToIp(base)}/${32 - bits}`],
      contacts: [{ email: `security@${domain}`, role: 'security' }],
    });
  });
  const orgByName = new Map(orgs.map((o) => [o.name, o]));

  // 3. Each host: the next address of its organisation's block, or a free address of a country.
  const taken = new Set<number>();
  const next = new Map<string, number>();
  const identities: PublicIdentity[] = hosts.map((h, i) => {
    const name = orgOf[i];
    if (name) {
      const o = orgByName.get(name) as PublicOrg;
      const k = (next.get(name) ?? 0) + 1;
      next.set(name, k);
      const ip = (orgBase.get(name) as number) + k;
      taken.add(ip);
      return { lab_ip: h.ip, public_ip: intToIp(ip), cc: o.cc, org: o.name, org_key: o.key, sector: o.sector, domains: o.domains };
    }
    const cc = weightedPick(usable, usableTotal, unit(seed, i, S_COUNTRY, 1));
    const list = pool.ranges.get(cc) as Array<[number, number]>;
    let ip = -1;
    for (let attempt = 0; attempt < 64 && ip < 0; attempt++) {
      const [s, e] = list[hash32(seed, i, S_RANGE, attempt + 1000) % list.length];
      const cand = s + 1 + (hash32(seed, i, S_OFFSET, attempt + 1000) % Math.max(1, e - s - 1));
      if (!taken.has(cand) && !overlaps(cand, cand)) ip = cand;
    }
    if (ip < 0) throw new EdgewatchError('EW_LAB_IDENTITY', `no free public address for ${h.ip}`);
    taken.add(ip);
    return { lab_ip: h.ip, public_ip: intToIp(ip), cc, org: null, org_key: null, sector: null, domains: [] };
  });
  return { identities, orgs, data: pool.data };
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_IDENTITY', `cannot write ${file}: ${(cause as Error).message}`, { file, cause });
  }
}

/** The organisation list as `edgewatch org import` reads it (YAML). */
export function orgListYaml(p: PublicIdentities): string {
  const head = [
    '# Fictional organisations of the edgewatch lab demo (not real entities).',
    `# Addresses drawn from real allocations in ${p.data.asn} and ${p.data.country}.`,
    '# Load with: edgewatch org import <this file>',
  ].join('\n');
  const doc = {
    version: 1,
    organisations: p.orgs.map((o) => ({
      key: o.key,
      name: o.name,
      sector: o.sector,
      language: o.language,
      constituencies: ['lab-demo'],
      domains: o.domains,
      cidrs: o.cidrs,
      contacts: o.contacts,
    })),
  };
  return `${head}\n${yamlStringify(doc)}`;
}

/** Writes the mapping file (JSON Lines) and the organisation list (YAML), each atomically. */
export function writePublicIdentities(p: PublicIdentities, identitiesFile: string, orgsFile: string): void {
  writeAtomic(identitiesFile, p.identities.map((i) => JSON.stringify(i)).join('\n') + (p.identities.length ? '\n' : ''));
  writeAtomic(orgsFile, orgListYaml(p));
}

/** Default organisation list path next to the identities file: `ids.jsonl` → `ids.orgs.yaml`. */
export function defaultOrgsFile(identitiesFile: string): string {
  return `${identitiesFile.replace(/\.(jsonl|json|ndjson)$/i, '')}.orgs.yaml`;
}
