/**
 * The population: which persona, firmware build, mitigation, certificate and quirks each lab
 * address has, and how Citrix hosts change from day to day (`step`). Everything is a pure function
 * of (seed, address index, step), so the same seed always gives the same population.
 *
 * Day 0 = Sun 12 Jan 2020. Remediation curve (DOMAIN §6.2): of the hosts vulnerable on day 0,
 * 23 % act on day 1; of the rest 46 % by day 2, 68 % by 3, 79 % by 4, 84 % by 5, 87 % by 21, the
 * other 13 % never. Before day 8 (fixes from ~20 Jan) acting means applying the CTX267679
 * responder; from day 8 it is 60 % patch / 40 % responder, and 45 % of responder hosts patch later.
 */
import type { LabRange } from './addr.js';
import { intToIp } from './addr.js';
import { type BaseState, type Compromise, compromiseAt, fixed2023 } from './compromise.js';
import { AFFECTED_BRANCHES, type Build, compareParts, type Firmware } from './firmware.js';
import { type CertIdentity, type IdentityPool, identityPool, POOL_SIZES, poolStart } from './identity.js';
import { boundaryBuilds } from './later-cves.js';
import { isPulsePersona, PERSONA_IDS, type PersonaId, personaFamily } from './personas.js';
import { PULSE_PATCHED, PULSE_VULNERABLE, type PulseHost } from './pulse.js';
import { hash32, pick, prng, saltOf, unit } from './rand.js';

/** How a patched build answers a traversal into /vpns/ (DOMAIN §8 Q1 is open, so all three occur). */
export type PatchedStyle = 'forbidden' | 'notfound' | 'redirect';

/** Day-0 description of one lab address. */
export interface HostSpec {
  index: number;
  ip: string;
  persona: PersonaId;
  /** Firmware on day 0 (Citrix personas only). */
  build0: Build | null;
  /** CTX267679 responder configured on day 0. */
  responder0: boolean;
  /** Certificate identity id, or -1 when the host never presents one. */
  certId: number;
  patchedStyle: PatchedStyle;
  /** rdx_en.json.gz served with an extra `Content-Encoding: gzip` (double gzip, DOMAIN §2.4). */
  doubleGzip: boolean;
  /** Pulse Secure personas: the emulated host (pulse.ts); null for every other persona. */
  pulse: PulseHost | null;
}

/** Configuration of a Citrix host on a given day, with what is implanted on it (compromise.ts). */
export interface HostState extends BaseState {
  build: Build | null;
  responder: boolean;
  compromise: Compromise;
}

export interface Population {
  seed: number;
  range: LabRange;
  hosts: HostSpec[];
  identities: CertIdentity[];
  fw: Firmware;
  counts: Record<PersonaId, number>;
}

const S_PERSONA = saltOf('persona');
const S_BUILD = saltOf('build');
const S_KIND = saltOf('kind');
const S_CERT = saltOf('cert');
const S_STYLE = saltOf('patched-style');
const S_GZ = saltOf('double-gzip');
const S_REMED = saltOf('remediation-day');
const S_ACTION = saltOf('remediation-action');
const S_LATER = saltOf('later-patch');
const S_LATER_DAY = saltOf('later-patch-day');
const S_TARGET = saltOf('patch-target');
const S_SHUFFLE = saltOf('shuffle');

const PATCHED_STYLES: readonly PatchedStyle[] = ['forbidden', 'notfound', 'redirect'];

/** Cumulative share of day-0-vulnerable hosts that have acted by day d. */
export function remediatedShare(day: number): number {
  if (day < 1) return 0;
  const f: Record<number, number> = { 1: 0, 2: 0.46, 3: 0.68, 4: 0.79, 5: 0.84 };
  let rest: number;
  if (day <= 5) rest = f[day] ?? 0;
  else if (day >= 21) rest = 0.87;
  else rest = 0.84 + ((0.87 - 0.84) * (day - 5)) / 16;
  return 0.23 + 0.77 * rest;
}

function remediationDay(u: number): number {
  for (let d = 1; d <= 21; d++) if (u < remediatedShare(d)) return d;
  return Number.POSITIVE_INFINITY;
}

function weightedPersona(cum: Array<[PersonaId, number]>, total: number, u: number): PersonaId {
  const x = u * total;
  for (const [p, c] of cum) if (x < c) return p;
  return (cum[cum.length - 1] as [PersonaId, number])[0];
}

function allVulnerable(fw: Firmware, branches: readonly string[]): Build[] {
  return branches.flatMap((b) => fw.vulnerable[b] ?? []);
}

function fixedOf(fw: Firmware, branches: readonly string[]): Build[] {
  return branches.flatMap((b) => [fw.firstFixed[b] as Build, ...(fw.laterFixed[b] ?? [])]);
}

interface Day0 {
  build: Build | null;
  responder: boolean;
}

/** Build lists the day-0 draw picks from (computed once per population). */
interface BuildPools {
  effective: Build[];
  ineffective: Build[];
  firstFixed: Build[];
  laterFixed: Build[];
  fixedFingerprintable: Build[];
  generic: Record<'rfwebui' | 'legacy' | 'any', { vuln: Build[]; eff: Build[]; fixed: Build[] }>;
  /** Fixed (CVE-2019-19781) fingerprintable builds released in 2020: patched after a 2020 compromise. */
  fixed2020: Build[];
  /** 13.0/13.1 builds of 2022–2023 still open to CVE-2023-3519, and the fixed ones of 2023. */
  wave2023Open: Build[];
  wave2023Fixed: Build[];
  /** Last unfixed / first fixed builds of every line of the 2022–2025 CVEs (later-cves.ts). */
  boundary: Build[];
}

const Y2020_END = Date.UTC(2021, 0, 1) / 1000;
const Y2022 = Date.UTC(2022, 0, 1) / 1000;
const Y2024 = Date.UTC(2024, 0, 1) / 1000;

function buildPools(fw: Firmware): BuildPools {
  const allV = allVulnerable(fw, AFFECTED_BRANCHES);
  const genericFor = (branches: readonly string[]) => {
    const vuln = allVulnerable(fw, branches);
    const eff = vuln.filter((b) => !b.responderIneffective);
    return { vuln, eff: eff.length ? eff : allV, fixed: fixedOf(fw, branches).filter((b) => b.fingerprintable) };
  };
  const fixedFp = fixedOf(fw, AFFECTED_BRANCHES).filter((b) => b.fingerprintable);
  const recent = [...fw.builds.values()].filter(
    (b) => b.fingerprintable && (b.branch === '13.0' || b.branch === '13.1') && b.date >= Y2022 && b.date < Y2024,
  );
  return {
    boundary: boundaryBuilds(fw),
    fixed2020: fixedFp.filter((b) => b.date < Y2020_END),
    wave2023Open: recent.filter((b) => !fixed2023(b)),
    wave2023Fixed: recent.filter((b) => fixed2023(b) && compareParts(b.parts, [13, 1, 51, 0]) < 0),
    effective: allV.filter((b) => !b.responderIneffective),
    ineffective: [...fw.builds.values()].filter((b) => b.vulnerable && b.responderIneffective),
    firstFixed: AFFECTED_BRANCHES.map((b) => fw.firstFixed[b] as Build),
    laterFixed: [...fw.laterFixedAll, ...(fw.laterFixed['10.5'] ?? [])],
    fixedFingerprintable: fixedFp,
    generic: {
      rfwebui: genericFor(['12.1', '13.0']),
      legacy: genericFor(['10.5', '11.1', '12.0']),
      any: genericFor(AFFECTED_BRANCHES),
    },
  };
}

/**
 * Day-0 firmware and mitigation for a Citrix persona. `ordinal` is the host's rank among the hosts
 * of its persona (0, 1, 2, …): the boundary-build personas walk their list by it, so a population
 * with as many such hosts as boundary builds has every one of them.
 */
function day0State(fw: Firmware, pools: BuildPools, persona: PersonaId, seed: number, i: number, ordinal: number): Day0 {
  const u = (extra: number) => unit(seed, i, S_KIND, extra);
  const pickB = (list: readonly Build[], extra = 0) => pick(list, seed, i, S_BUILD, extra);
  const generic = (g: BuildPools['generic']['any']): Day0 => {
    const r = u(1);
    if (r < 0.6) return { build: pickB(g.vuln), responder: false };
    if (r < 0.8) return { build: pickB(g.eff), responder: true };
    return { build: pickB(g.fixed), responder: false };
  };
  switch (persona) {
    case 'citrix-vulnerable-10.5':
    case 'citrix-vulnerable-11.1':
    case 'citrix-vulnerable-12.0':
    case 'citrix-vulnerable-12.1':
    case 'citrix-vulnerable-13.0':
      return { build: pickB(fw.vulnerable[persona.slice('citrix-vulnerable-'.length)] ?? []), responder: false };
    case 'citrix-hostile-names':
      // Like citrix-vulnerable-13.0; only its certificate differs (the hostile identity).
      return { build: pickB(fw.vulnerable['13.0'] ?? []), responder: false };
    case 'citrix-mitigated':
      return { build: pickB(pools.effective), responder: true };
    case 'citrix-mitigated-ineffective':
      return { build: pickB(pools.ineffective), responder: true };
    case 'citrix-patched-first':
      return { build: pickB(pools.firstFixed), responder: false };
    case 'citrix-patched-later':
      return { build: pickB(pools.laterFixed), responder: false };
    case 'citrix-patched-responder':
      return { build: pickB(pools.fixedFingerprintable), responder: true };
    case 'citrix-absent-vulnerable':
      return { build: pickB(fw.absentVulnerable), responder: u(2) < 0.3 };
    case 'citrix-absent-fixed':
      // Never with the responder: a bare 403 on an unfingerprintable fixed build is
      // indistinguishable from "mitigated", so its truth would be ambiguous.
      return { build: pickB(fw.absentFixed), responder: false };
    case 'citrix-csv-unknown': {
      const b = pickB(fw.csvUnknown);
      return { build: b, responder: b.vulnerable && u(2) < 0.25 };
    }
    case 'citrix-rfwebui':
      return generic(pools.generic.rfwebui);
    case 'citrix-legacy-tls':
      return generic(pools.generic.legacy);
    case 'citrix-http10':
    case 'citrix-chunked':
      return generic(pools.generic.any);
    case 'citrix-compromised-webshell':
      return { build: pickB(pools.generic.any.vuln), responder: false };
    case 'citrix-patched-compromised':
      return { build: pickB(pools.fixed2020), responder: u(2) < 0.2 };
    case 'citrix-compromised-2023-v1':
      // Fox-IT, Aug 2023: most backdoored hosts were patched afterwards; the shell in /var survives.
      return { build: u(2) < 0.4 ? pickB(pools.wave2023Fixed) : pickB(pools.wave2023Open), responder: false };
    case 'citrix-compromised-2023-v2':
      // The v2 shell lives on the RAM disk (/netscaler/ns_gui): only unpatched hosts still carry it.
      return { build: pickB(pools.wave2023Open), responder: false };
    case 'citrix-waf-php':
      // Fixed builds only: a WAF hides any implant path, so a compromised host would be ambiguous.
      return { build: pickB(pools.generic.any.fixed), responder: false };
    case 'citrix-later-build':
      return { build: pools.boundary[ordinal % pools.boundary.length] ?? null, responder: false };
    case 'citrix-adc-mgmt':
      // Offset by half the list so small populations still mix lines and fixed/unfixed builds.
      return { build: pools.boundary[(ordinal + (pools.boundary.length >> 1)) % pools.boundary.length] ?? null, responder: false };
    default:
      return { build: null, responder: false };
  }
}

/** The Pulse host of a Pulse persona; versions are walked by ordinal so every listed build occurs. */
function pulseHost(persona: PersonaId, ordinal: number): PulseHost {
  const at = (list: readonly string[], k: number) => list[k % list.length] as string;
  switch (persona) {
    case 'pulse-vulnerable':
      return { version: at(PULSE_VULNERABLE, ordinal), versionFileRemoved: false, lookalike: false };
    case 'pulse-patched':
      return { version: at(PULSE_PATCHED, ordinal), versionFileRemoved: false, lookalike: false };
    case 'pulse-no-version':
      return { version: at(PULSE_VULNERABLE, ordinal + 3), versionFileRemoved: true, lookalike: false };
    default:
      return { version: at(PULSE_PATCHED, ordinal), versionFileRemoved: false, lookalike: true };
  }
}

function certFor(persona: PersonaId, seed: number, i: number): number {
  const inPool = (pool: IdentityPool) => poolStart(pool) + (hash32(seed, i, S_CERT, 7) % POOL_SIZES[pool]);
  switch (persona) {
    case 'refused':
    case 'tls-alert':
    case 'tarpit':
      return -1;
    case 'citrix-legacy-tls':
      return inPool('legacy');
    case 'citrix-hostile-names':
    case 'hostile-site':
      return inPool('hostile');
    case 'honeypot-cve':
    case 'honeypot-catchall':
      return unit(seed, i, S_CERT) < 0.5 ? inPool('citrix-default') : inPool('site');
    default:
      if (personaFamily(persona) === 'citrix') {
        return unit(seed, i, S_CERT) < 0.4 ? inPool('citrix-default') : inPool('org');
      }
      return inPool('site');
  }
}

/** Build the day-0 population for a range, seed and mix (weights need not sum to 100). */
export function buildPopulation(range: LabRange, seed: number, mix: Record<PersonaId, number>, fw: Firmware): Population {
  const active = PERSONA_IDS.filter((p) => (mix[p] ?? 0) > 0);
  const cum: Array<[PersonaId, number]> = [];
  let total = 0;
  for (const p of active) {
    total += mix[p];
    cum.push([p, total]);
  }
  // One of each active persona first, in a seeded shuffled order.
  const first = [...active];
  const rnd = prng(seed ^ S_SHUFFLE);
  for (let k = first.length - 1; k > 0; k--) {
    const j = Math.floor(rnd() * (k + 1));
    [first[k], first[j]] = [first[j] as PersonaId, first[k] as PersonaId];
  }
  const pools = buildPools(fw);
  const counts = Object.fromEntries(PERSONA_IDS.map((p) => [p, 0])) as Record<PersonaId, number>;
  const hosts: HostSpec[] = new Array(range.size);
  for (let i = 0; i < range.size; i++) {
    const persona = i < first.length ? (first[i] as PersonaId) : weightedPersona(cum, total, unit(seed, i, S_PERSONA));
    const ordinal = counts[persona];
    counts[persona]++;
    const d0 = personaFamily(persona) === 'citrix' ? day0State(fw, pools, persona, seed, i, ordinal) : { build: null, responder: false };
    hosts[i] = {
      index: i,
      ip: intToIp(range.base + i),
      persona,
      build0: d0.build,
      responder0: d0.responder,
      certId: certFor(persona, seed, i),
      patchedStyle: pick(PATCHED_STYLES, seed, i, S_STYLE),
      doubleGzip: unit(seed, i, S_GZ) < 0.12,
      pulse: isPulsePersona(persona) ? pulseHost(persona, ordinal) : null,
    };
  }
  return { seed, range, hosts, identities: identityPool(seed), fw, counts };
}

function patchTarget(fw: Firmware, build: Build, seed: number, i: number): Build {
  const later = fw.laterFixed[build.branch] ?? [];
  if (later.length > 0 && unit(seed, i, S_TARGET) < 0.4) return pick(later, seed, i, S_TARGET, 1);
  return fw.firstFixed[build.branch] ?? build;
}

function laterPatchDay(seed: number, i: number, from: number): number {
  if (unit(seed, i, S_LATER) >= 0.45) return Number.POSITIVE_INFINITY;
  return Math.max(from, 8) + 1 + Math.floor(unit(seed, i, S_LATER_DAY) * 40);
}

const NO_HOST: BaseState = { build: null, responder: false };

/** The configuration and compromise of host `h` on day `step` (deterministic in seed, index and step). */
export function stateAt(pop: Population, h: HostSpec, step: number): HostState {
  const base = baseStateAt(pop, h, step);
  if (!h.build0) return { ...base, compromise: compromiseAt(pop, h, step, () => NO_HOST) };
  return { ...base, compromise: compromiseAt(pop, h, step, (d) => (d === step ? base : baseStateAt(pop, h, d))) };
}

/** The configuration of host `h` on day `step`, without its compromise. */
export function baseStateAt(pop: Population, h: HostSpec, step: number): BaseState {
  const b0 = h.build0;
  if (!b0) return NO_HOST;
  if (!b0.vulnerable) return { build: b0, responder: h.responder0 };
  const { seed, fw } = pop;
  const i = h.index;
  if (h.responder0) {
    // Mitigated on day 0: some patch later (keeping the responder configured).
    return step >= laterPatchDay(seed, i, 0) ? { build: patchTarget(fw, b0, seed, i), responder: true } : { build: b0, responder: true };
  }
  const day = remediationDay(unit(seed, i, S_REMED));
  if (step < day) return { build: b0, responder: false };
  const patchNow = day >= 8 && unit(seed, i, S_ACTION) < 0.6;
  if (patchNow) return { build: patchTarget(fw, b0, seed, i), responder: false };
  if (step >= laterPatchDay(seed, i, day)) return { build: patchTarget(fw, b0, seed, i), responder: true };
  return { build: b0, responder: true };
}
