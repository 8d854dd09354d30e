/**
 * A collection scenario: the history of one appliance told as times (installs, responder,
 * scanner probes, exploitation, webshell use) from which render.ts writes its collection. Lab
 * hosts get theirs from the population (`scenarioForHost`, the same state that drives the truth
 * and the wire), corpus entries spell theirs out (corpus.ts).
 */
import { EdgewatchError } from '../../errors.js';
import { type CompromisePlan, fixed2023, implantPaths } from '../compromise.js';
import type { Build } from '../firmware.js';
import { baseStateAt, type HostSpec, type PatchedStyle, type Population, stateAt } from '../population.js';
import { hash32, prng, saltOf } from '../rand.js';
import { DAY_S, HOUR_S, utc } from './fmt.js';

/** A firmware install (or upgrade, which reboots the appliance). */
export interface Install {
  build: Build;
  at: number;
}

/** A burst of mass-scanner probes for /vpns/cfg/smb.conf. */
export interface ProbeBurst {
  at: number;
  /** Number of probes (from different scanners). */
  n: number;
  /** One probe uses a %-encoded form of `vpns`. */
  encoded: boolean;
}

/** How the host was compromised. */
export interface ScenarioCompromise {
  plan: CompromisePlan;
  /** Exploitation time. */
  at: number;
  /** Address the exploitation came from (documentation ranges only). */
  attacker: string;
  /** Later, failed template exploitation by others (NOTROBIN deleted their templates). */
  failedAttemptsAt: number | null;
  /** Times the webshell was used. */
  shellUsesAt: number[];
  /** mtime the timestomped webshell was set back to. */
  stompTo: number | null;
}

/** Everything render.ts needs to write one collection. */
export interface Scenario {
  name: string;
  hostname: string;
  ip: string;
  seed: number;
  /** Oldest first; a later install reboots the appliance (RAM disk `/` is rebuilt). */
  installs: Install[];
  responderAt: number | null;
  patchedStyle: PatchedStyle;
  collectedAt: number;
  /** Live collection (ps/sockstat present) or offline image. */
  live: boolean;
  /** Access-log rotations kept (`.0.gz` … `.(n-1).gz`), 0–5. */
  rotations: number;
  /** Seconds of history the logs cover before `collectedAt` (older events are rotated away). */
  logSpan: number;
  /** `fresh`: a new install with almost no traffic; `normal`: users log on every day. */
  traffic: 'fresh' | 'normal';
  probes: ProbeBurst[];
  compromise: ScenarioCompromise | null;
  /** Administrator shell sessions in bash.log. */
  admin: boolean;
}

/** 12 Jan 2020, the lab's day 0. */
export const DAY0 = utc(2020, 1, 12);

/** Firmware on the appliance at time t. */
export function buildAt(s: Scenario, t: number): Build {
  let b = (s.installs[0] as Install).build;
  for (const i of s.installs) if (i.at <= t) b = i.build;
  return b;
}

/** How the Gateway answers a /vpns/ traversal at time t. */
export type VpnsAnswer = 'vulnerable' | 'responder' | 'patched';

export function vpnsAnswerAt(s: Scenario, t: number): VpnsAnswer {
  const b = buildAt(s, t);
  if (!b.vulnerable) return 'patched';
  if (s.responderAt !== null && t >= s.responderAt && !b.responderIneffective) return 'responder';
  return 'vulnerable';
}

/** Appliance paths of the implant at collection time (same function as the truth). */
export function implantPathsOf(s: Scenario): string[] {
  const c = s.compromise;
  if (!c) return [];
  const rebooted = s.installs.some((i) => i.at > c.at) || c.plan.upgradedBefore0;
  return implantPaths(c.plan, rebooted);
}

const S_SCEN = saltOf('collection-scenario');
const HOSTNAMES = ['gw01', 'citrix-gw', 'vpn01', 'ns-edge', 'remote', 'access01', 'netscaler1', 'adc-dmz'];

function doc(r: () => number, net: 'attacker' | 'scanner' | 'user'): string {
  const base = net === 'attacker' ? '192.0.2.' : net === 'scanner' ? '198.51.100.' : '203.0.113.';
  return `${base}${1 + Math.floor(r() * 250)}`;
}

/** An attacker address (RFC 5737 documentation range) chosen by `r`. */
export const attackerIp = (r: () => number) => doc(r, 'attacker');

function laterBuild(b: Build, at: number): number {
  return Math.max(at, b.date + DAY_S + 6 * HOUR_S);
}

/** The scenario of lab host `h` on day `step` (throws EW_LAB_COLLECTION for non-appliances). */
export function scenarioForHost(pop: Population, h: HostSpec, step: number): Scenario {
  const b0 = h.build0;
  if (!b0) {
    throw new EdgewatchError('EW_LAB_COLLECTION', `${h.ip} is a ${h.persona} persona, not a Citrix appliance: it has no collection`);
  }
  const seed = hash32(pop.seed, h.index, S_SCEN);
  const r = prng(seed);
  const st = stateAt(pop, h, step);
  const plan = st.compromise.plan;
  const era2023 = plan !== null && (plan.kind === 'webshell-2023-v1' || plan.kind === 'webshell-2023-v2');
  const installs: Install[] = [];
  let responderAt: number | null = null;
  let compromiseAt = 0;
  let collectedAt: number;
  const probes: ProbeBurst[] = [];
  const fw = pop.fw;

  if (era2023 && plan) {
    compromiseAt = utc(2023, 7, 20) + Math.floor(r() * 5 * DAY_S);
    if (fixed2023(b0)) {
      const open = [...fw.builds.values()].filter(
        (b) =>
          b.branch === b0.branch && b.fingerprintable && !fixed2023(b) && b.date < compromiseAt - 10 * DAY_S && b.date > utc(2022, 1, 1),
      );
      const prev = open.length ? (open[Math.floor(r() * open.length)] as Build) : b0;
      installs.push({ build: prev, at: prev.date + 5 * DAY_S });
      installs.push({ build: b0, at: laterBuild(b0, compromiseAt + (3 + Math.floor(r() * 12)) * DAY_S) });
    } else {
      installs.push({ build: b0, at: Math.min(b0.date + (2 + Math.floor(r() * 8)) * DAY_S, compromiseAt - DAY_S) });
    }
    const last = (installs[installs.length - 1] as Install).at;
    collectedAt = Math.max(utc(2023, 8, 10) + step * DAY_S, last + 2 * DAY_S) + 9 * HOUR_S + Math.floor(r() * 8 * HOUR_S);
  } else {
    if (plan) {
      compromiseAt =
        plan.day === 0
          ? utc(2020, 1, 10, 20) + Math.floor(r() * 26 * HOUR_S)
          : DAY0 + plan.day * DAY_S + 8 * HOUR_S + Math.floor(r() * 12 * HOUR_S);
    }
    if (plan?.upgradedBefore0) {
      const vuln = fw.vulnerable[b0.branch] ?? [];
      const prev = (vuln[vuln.length - 1] as Build | undefined) ?? b0;
      installs.push({ build: prev, at: Math.min(prev.date + 5 * DAY_S, utc(2020, 1, 5)) });
      installs.push({ build: b0, at: laterBuild(b0, compromiseAt + DAY_S) });
    } else {
      const at = b0.date + (2 + Math.floor(r() * 8)) * DAY_S;
      installs.push({ build: b0, at: b0.vulnerable ? Math.min(at, utc(2020, 1, 8)) : at });
    }
    if (h.responder0) responderAt = Math.max(installs[0]?.at ?? 0, utc(2019, 12, 18)) + Math.floor(r() * 10 * DAY_S);
    let prev = baseStateAt(pop, h, 0);
    for (let d = 1; d <= step; d++) {
      const cur = baseStateAt(pop, h, d);
      const at = DAY0 + d * DAY_S + 8 * HOUR_S + Math.floor(r() * 10 * HOUR_S);
      if (cur.build && cur.build !== prev.build) installs.push({ build: cur.build, at: laterBuild(cur.build, at) });
      if (cur.responder && !prev.responder && responderAt === null) responderAt = at;
      prev = cur;
    }
    const last = (installs[installs.length - 1] as Install).at;
    collectedAt = Math.max(DAY0 + step * DAY_S + 10 * HOUR_S + Math.floor(r() * 8 * HOUR_S), last + 2 * DAY_S);
    // Mass scanning from the evening of 10 Jan 2020; the attacker's own check comes just before.
    const firstScan =
      plan && plan.day === 0 ? compromiseAt - 20 * 60 - Math.floor(r() * 40 * 60) : utc(2020, 1, 10, 21) + Math.floor(r() * 3 * HOUR_S);
    probes.push({ at: firstScan, n: 2 + Math.floor(r() * 3), encoded: r() < 0.3 });
    const change = Math.max(responderAt ?? 0, installs.length > 1 ? (installs[1] as Install).at : 0);
    if (change > firstScan)
      probes.push({ at: change + 2 * HOUR_S + Math.floor(r() * 18 * HOUR_S), n: 1 + Math.floor(r() * 3), encoded: false });
  }
  const compromise: ScenarioCompromise | null = plan
    ? {
        plan,
        at: compromiseAt,
        attacker: attackerIp(r),
        failedAttemptsAt: plan.kind === 'notrobin' ? compromiseAt + 2 * HOUR_S + Math.floor(r() * 4 * HOUR_S) : null,
        shellUsesAt:
          plan.kind === 'webshell-2020' || plan.kind === 'webshell-2023-v1' || plan.kind === 'webshell-2023-v2'
            ? [compromiseAt + 90, compromiseAt + 2 * HOUR_S + Math.floor(r() * 6 * HOUR_S)]
            : [],
        stompTo: plan.timestomped ? utc(2016 + Math.floor(r() * 3), 1 + Math.floor(r() * 12), 1 + Math.floor(r() * 27), 10) : null,
      }
    : null;
  const events = [...probes.map((p) => p.at), ...(compromise ? [compromise.at] : [])];
  const earliest = events.length ? Math.min(...events) : collectedAt;
  const logSpan = Math.min(21 * DAY_S, Math.max(3 * DAY_S, collectedAt - earliest + 6 * HOUR_S));
  return {
    name: `${h.ip}-step${step}`,
    hostname: `${HOSTNAMES[seed % HOSTNAMES.length]}`,
    ip: h.ip,
    seed,
    installs,
    responderAt,
    patchedStyle: h.patchedStyle,
    collectedAt,
    live: r() < 0.85,
    rotations: 5,
    logSpan,
    traffic: 'normal',
    probes: era2023 ? [] : probes,
    compromise,
    admin: r() < 0.6,
  };
}
