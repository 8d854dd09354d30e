/**
 * Enrichment benchmark (issue #4: "enrich 1,000,000 addresses — country, ASN, prefix,
 * organisation match against 10,000 organisations with 50,000 CIDRs — in ≤ 10 s, memory
 * reported"). Offline only: nothing is sent anywhere.
 *
 * Addresses are drawn from real announced ranges of the bundled data (what a census finds), 1 in
 * 100 IPv6, 3 in 10 with a certificate name; the 10,000 synthetic organisations hold 50,000 CIDRs
 * inside real ranges (so a share of addresses matches), domains, and some ASNs. Times: opening
 * the data (cache as found), building the matcher, and the enrichment of all addresses through
 * the streaming pipeline (`enrichAddresses`, what `enrich` and `enrichScan` use). Prints ms,
 * addresses/s, matches by rule and peak RSS.
 *
 *   npx tsx bench/enrich.ts [--size 1000000] [--orgs 10000] [--cidrs 50000]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dataDir } from '../src/data-dir.js';
import { loadBundledAsnTable } from '../src/enrich/geo/bundled.js';
import { openGeo } from '../src/enrich/geo/index.js';
import { geoDir } from '../src/enrich/geo/installed.js';
import { buildOrgMatcher } from '../src/enrich/org/index.js';
import { enrichAddresses, type EnrichInput } from '../src/enrich/pipeline.js';
import type { HostName } from '../src/enrich/types.js';
import { formatIPv4, formatIPv6 } from '../src/scope/ip.js';
import type { Organisation } from '../src/store/organisations.js';

const { values } = parseArgs({
  options: { size: { type: 'string', default: '1000000' }, orgs: { type: 'string', default: '10000' }, cidrs: { type: 'string', default: '50000' } },
});
const N = Math.max(1_000, Math.min(Number(values.size), 5_000_000));
const ORGS = Math.max(10, Math.min(Number(values.orgs), 100_000));
const CIDRS = Math.max(ORGS, Math.min(Number(values.cidrs), 1_000_000));

let seed = 0x2545f491;
const rnd = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

const t0 = performance.now();
const geo = await openGeo();
const openMs = performance.now() - t0;

// Real announced IPv4/IPv6 ranges to draw from.
const asnTable = loadBundledAsnTable(join(geoDir(dataDir()), 'cache')).table;
const n4 = asnTable.v4Start.length;
const n6 = asnTable.v6StartHi.length;

function randomV4(): number {
  const i = Math.floor(rnd() * n4);
  const s = asnTable.v4Start[i];
  return s + Math.floor(rnd() * (asnTable.v4End[i] - s + 1));
}

function randomV6(): string {
  const i = Math.floor(rnd() * n6);
  const s = (asnTable.v6StartHi[i] << 64n) | asnTable.v6StartLo[i];
  return formatIPv6(s + BigInt(Math.floor(rnd() * 65536)));
}

// Organisations: CIDRS /24 (and some /16) blocks inside real ranges, a domain each, 1 in 10 an ASN.
const SECTORS = ['healthcare', 'government', 'education', 'energy', 'finance', 'water', 'transport', 'other'];
const tb = performance.now();
const orgs: Organisation[] = [];
for (let o = 0; o < ORGS; o++) {
  const cidrs: string[] = [];
  const per = Math.floor(CIDRS / ORGS) + (o < CIDRS % ORGS ? 1 : 0);
  for (let c = 0; c < per; c++) {
    const ip = randomV4();
    const len = rnd() < 0.05 ? 16 : 24;
    const size = 2 ** (32 - len);
    cidrs.push(`${formatIPv4(Math.floor(ip / size) * size)}/${len}`);
  }
  orgs.push({
    key: `org-${o}`,
    name: `Organisation ${o}`,
    sector: SECTORS[o % SECTORS.length],
    language: 'en',
    constituencies: [],
    domains: [`org-${o}.example`],
    cidrs,
    asns: o % 10 === 0 ? [asnTable.v4Asn[Math.floor(rnd() * n4)]] : [],
    contacts: [],
    source: `bench:${o + 1}`,
    imported_at: '2026-01-01T00:00:00.000Z',
  });
}
const matcher = buildOrgMatcher(orgs, []);
const matcherMs = performance.now() - tb;

// Inputs (generated before timing).
const inputs: EnrichInput[] = new Array(N);
for (let i = 0; i < N; i++) {
  const ip = rnd() < 0.01 ? randomV6() : formatIPv4(randomV4());
  const names: HostName[] | undefined = rnd() < 0.3 ? [{ name: `vpn.org-${Math.floor(rnd() * ORGS * 3)}.example`, source: 'cert_san' }] : undefined;
  inputs[i] = { ip, names };
}

const rules: Record<string, number> = {};
let covered = 0;
const te = performance.now();
const cpu0 = process.cpuUsage();
for await (const e of enrichAddresses(inputs, { geo, matcher, now: () => '2026-01-01T00:00:00.000Z' })) {
  if ('error' in e) continue;
  rules[e.attribution.rule] = (rules[e.attribution.rule] ?? 0) + 1;
  if (e.asn !== null) covered++;
}
const enrichMs = performance.now() - te;
const cpu = process.cpuUsage(cpu0);
const rssMb = process.resourceUsage().maxRSS / 1024;

const fmt = (n: number) => Math.round(n).toLocaleString('en');
process.stdout.write(
  [
    `enrich benchmark: ${fmt(N)} addresses, ${fmt(ORGS)} organisations, ${fmt(matcher.size.cidrs)} CIDRs, ${fmt(matcher.size.domains)} domains, ${fmt(matcher.size.asns)} ASNs`,
    `  data: ${geo.sources.map((s) => `${s.id}@${s.version}`).join(', ')}`,
    `  open data         ${fmt(openMs)} ms`,
    `  build matcher     ${fmt(matcherMs)} ms`,
    `  enrich            ${fmt(enrichMs)} ms  (${fmt(N / (enrichMs / 1000))} addresses/s, CPU ${fmt((cpu.user + cpu.system) / 1000)} ms)`,
    `  covered by AS data ${fmt(covered)}; attribution: ${Object.entries(rules)
      .map(([k, v]) => `${k}=${fmt(v)}`)
      .join(' ')}`,
    `  total (open + matcher + enrich) ${fmt(openMs + matcherMs + enrichMs)} ms; peak RSS ${fmt(rssMb)} MB`,
    '',
  ].join('\n'),
);
