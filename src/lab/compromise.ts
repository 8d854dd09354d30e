/**
 * The compromise model of the lab (DOMAIN §4, §6.1–§6.2, §4.11): which Citrix hosts carry an
 * implant on a given day, of which kind, since when, at which appliance paths, and which of them
 * answer from outside (X1/X2/X3 of ISSUE3). A pure function of (seed, address index, step), like
 * the rest of the population.
 *
 * - Ordinary Citrix personas that were exploitable on day 0 (vulnerable build, no responder or an
 *   ineffective one): 35 % are already compromised on day 0 (exploited 10–11 Jan 2020), and each
 *   further day still exploitable adds 8 % of the rest. Kinds: template only 35 %, NOTROBIN 25 %,
 *   coin miner 20 %, 2020 PHP webshell at an X1 path 20 %.
 * - Dedicated personas guarantee every outside-visible kind in any population of ≥ 45 addresses:
 *   `citrix-compromised-webshell` (2020 webshell on a vulnerable build, then remediates like any
 *   vulnerable host), `citrix-patched-compromised` (2020 webshell placed before the patch),
 *   `citrix-compromised-2023-v1` / `-v2` (CVE-2023-3519 wave on 13.0/13.1 builds).
 * - Mitigation or patching never removes an implant. A firmware upgrade reboots the appliance, and
 *   `/` (with `/netscaler/...` and `/tmp`) is a RAM disk (DOMAIN §4.9), so planted files there are
 *   gone afterwards, while `/var/...` survives.
 */
import { type Build, compareParts } from './firmware.js';
import type { HostSpec, Population } from './population.js';
import { hash32, pick, saltOf, unit } from './rand.js';

/** Kind of implant (the truth's `compromise.kind`). */
export type CompromiseKind = 'none' | 'template' | 'notrobin' | 'miner' | 'webshell-2020' | 'webshell-2023-v1' | 'webshell-2023-v2';

/** Configuration of a host on a day, without its compromise (population.ts computes it). */
export interface BaseState {
  build: Build | null;
  responder: boolean;
}

/** The step-independent compromise draw of one host. */
export interface CompromisePlan {
  kind: Exclude<CompromiseKind, 'none'>;
  /** Day of the compromise (0 = before day 0, i.e. 10–11 Jan 2020 or the 2023 wave). */
  day: number;
  /** Base name of the planted template (`<name>.xml`), 8 lowercase letters. */
  template: string;
  /** NOTROBIN key (32 hex digits). */
  key: string;
  /** Webshell file names (`tiny.php`, `info.php`, ...). */
  shells: string[];
  /** The attacker removed the template files it planted (logs remain). */
  templatesCleaned: boolean;
  /** The webshell's mtime was set years back (timestomped). */
  timestomped: boolean;
  /** Seed-derived selector for per-host details (addresses, times). */
  salt: number;
  /** Dedicated compromised persona: not gated by exploitability. */
  dedicated: boolean;
  /** The day-0 build was installed after the compromise (the implant predates a firmware upgrade). */
  upgradedBefore0: boolean;
}

/** Compromise facts of a host on a day (shared frozen object when none). */
export interface Compromise {
  kind: CompromiseKind;
  since_step: number | null;
  visible_from_outside: boolean;
  /** Appliance paths of what is left behind on that day. */
  paths: readonly string[];
  /** Request paths (resolved) that answer as an implant from outside. */
  web: readonly string[];
  plan: CompromisePlan | null;
}

export const NO_COMPROMISE: Compromise = Object.freeze({
  kind: 'none',
  since_step: null,
  visible_from_outside: false,
  paths: Object.freeze([]) as readonly string[],
  web: Object.freeze([]) as readonly string[],
  plan: null,
}) as Compromise;

/** Agreed outside-view indicator paths (ISSUE3, X1–X3). */
export const X1_NAMES = ['tiny.php', 'debug.php', 'conn.php'] as const;
export const X2_NAMES = ['config.php', 'info.php', 'log.php', 'prod.php'] as const;
export const X3_NAMES = ['config.php', 'info.php', 'prod.php'] as const;
export const X1_DIR = '/var/vpn/themes/imgs/';
export const X1_WEB = '/vpn/themes/imgs/';
export const X2_DIR = '/var/netscaler/logon/LogonPoint/uiareas/';
export const X2_WEB = '/logon/LogonPoint/uiareas/';
export const X3_DIR = '/netscaler/ns_gui/epa/scripts/win/';
export const X3_WEB = '/epa/scripts/win/';

/** Share of day-0-exploitable hosts already compromised on day 0, and the daily hazard after. */
export const DAY0_SHARE = 0.35;
export const DAILY_HAZARD = 0.08;
const MAX_DAY = 60;

const S_COMP = saltOf('compromise-day');
const S_CKIND = saltOf('compromise-kind');
const S_NAMES = saltOf('compromise-names');
const S_CLEAN = saltOf('compromise-cleaned');
const S_STOMP = saltOf('compromise-timestomp');

function compromiseDay(u: number): number {
  if (u < DAY0_SHARE) return 0;
  for (let d = 1; d <= MAX_DAY; d++) if (u < 1 - (1 - DAY0_SHARE) * (1 - DAILY_HAZARD) ** d) return d;
  return Number.POSITIVE_INFINITY;
}

function letters(seed: number, i: number, extra: number, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += String.fromCharCode(97 + (hash32(seed, i, S_NAMES, extra * 64 + k + 1) % 26));
  return s;
}

function hex32(seed: number, i: number): string {
  let s = '';
  for (let k = 0; k < 4; k++)
    s += hash32(seed, i, S_NAMES, 9000 + k)
      .toString(16)
      .padStart(8, '0');
  return s;
}

function ordinaryKind(u: number): CompromisePlan['kind'] {
  if (u < 0.35) return 'template';
  if (u < 0.6) return 'notrobin';
  if (u < 0.8) return 'miner';
  return 'webshell-2020';
}

function dedicatedKind(h: HostSpec): CompromisePlan['kind'] | null {
  switch (h.persona) {
    case 'citrix-compromised-webshell':
    case 'citrix-patched-compromised':
      return 'webshell-2020';
    case 'citrix-compromised-2023-v1':
      return 'webshell-2023-v1';
    case 'citrix-compromised-2023-v2':
      return 'webshell-2023-v2';
    default:
      return null;
  }
}

/** The step-independent draw for host `h` (null: never compromised). */
export function compromisePlan(seed: number, h: HostSpec): CompromisePlan | null {
  const b0 = h.build0;
  if (!b0) return null;
  const i = h.index;
  const ded = dedicatedKind(h);
  let kind: CompromisePlan['kind'];
  let day: number;
  if (ded) {
    kind = ded;
    day = 0;
  } else {
    if (!b0.vulnerable || (h.responder0 && !b0.responderIneffective)) return null;
    day = compromiseDay(unit(seed, i, S_COMP));
    if (!Number.isFinite(day)) return null;
    kind = ordinaryKind(unit(seed, i, S_CKIND));
  }
  let shells: string[] = [];
  if (kind === 'webshell-2020') {
    const first = pick(X1_NAMES, seed, i, S_NAMES, 1);
    shells = [first];
    if (unit(seed, i, S_NAMES, 2) < 0.25) {
      const second = pick(X1_NAMES, seed, i, S_NAMES, 3);
      if (second !== first) shells.push(second);
    }
  } else if (kind === 'webshell-2023-v1') shells = [pick(X2_NAMES, seed, i, S_NAMES, 1)];
  else if (kind === 'webshell-2023-v2') shells = [pick(X3_NAMES, seed, i, S_NAMES, 1)];
  const templatesCleaned = kind !== 'notrobin' && unit(seed, i, S_CLEAN) < 0.2;
  return {
    kind,
    day,
    template: letters(seed, i, 5, 8),
    key: hex32(seed, i),
    shells,
    templatesCleaned,
    timestomped: kind === 'webshell-2020' && unit(seed, i, S_STOMP) < 0.3,
    salt: hash32(seed, i, S_NAMES, 77),
    dedicated: ded !== null,
    upgradedBefore0:
      (kind === 'webshell-2020' && ded !== null && !b0.vulnerable) ||
      ((kind === 'webshell-2023-v1' || kind === 'webshell-2023-v2') && fixed2023(b0)),
  };
}

/** True when the build is fixed for CVE-2023-3519 (13.0-91.13, 13.1-49.13, 13.1-FIPS 37.159). */
export function fixed2023(b: Build): boolean {
  const [maj, min, bld] = b.parts;
  if (maj > 13 || (maj === 13 && min > 1)) return true;
  if (maj === 13 && min === 1)
    return bld === 37 ? compareParts(b.parts, [13, 1, 37, 159]) >= 0 : compareParts(b.parts, [13, 1, 49, 13]) >= 0;
  if (maj === 13 && min === 0) return compareParts(b.parts, [13, 0, 91, 13]) >= 0;
  return false;
}

/** True when a 2020 exploit works on this configuration. */
export function exploitable(st: BaseState): boolean {
  const b = st.build;
  return !!b && b.vulnerable && (!st.responder || b.responderIneffective);
}

/** Appliance paths left behind by a plan, after `rebooted` (firmware upgrade since the compromise). */
export function implantPaths(p: CompromisePlan, rebooted: boolean): string[] {
  const out: string[] = [];
  const ram = (path: string) => {
    if (!rebooted) out.push(path);
  };
  const templates = () => {
    if (p.templatesCleaned) return;
    ram(`/netscaler/portal/templates/${p.template}.xml`);
    out.push(`/var/tmp/netscaler/portal/templates/${p.template}.xml`);
  };
  switch (p.kind) {
    case 'template':
      templates();
      break;
    case 'notrobin':
      ram('/tmp/.init/httpd');
      out.push('/var/nstmp/.nscache/httpd', '/var/cron/tabs/nobody', `/var/vpn/themes/${p.key}.php`);
      break;
    case 'miner':
      templates();
      out.push('/var/tmp/netscalerd', '/var/cron/tabs/nobody');
      break;
    case 'webshell-2020':
      templates();
      for (const s of p.shells) out.push(`${X1_DIR}${s}`);
      break;
    case 'webshell-2023-v1':
      for (const s of p.shells) out.push(`${X2_DIR}${s}`);
      break;
    case 'webshell-2023-v2':
      for (const s of p.shells) ram(`${X3_DIR}${s}`);
      out.push('/var/nss');
      break;
  }
  return out.sort();
}

/** Request paths that answer as an implant (only files still present). */
function webPaths(p: CompromisePlan, paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of p.shells) {
    if (p.kind === 'webshell-2020' && paths.includes(`${X1_DIR}${s}`)) out.push(`${X1_WEB}${s}`);
    if (p.kind === 'webshell-2023-v1' && paths.includes(`${X2_DIR}${s}`)) out.push(`${X2_WEB}${s}`);
    if (p.kind === 'webshell-2023-v2' && paths.includes(`${X3_DIR}${s}`)) out.push(`${X3_WEB}${s}`);
  }
  return out;
}

/** Plans are step-independent: computed once per population and host. */
const planCache = new WeakMap<Population, Array<CompromisePlan | null | undefined>>();

function cachedPlan(pop: Population, h: HostSpec): CompromisePlan | null {
  let arr = planCache.get(pop);
  if (!arr) {
    arr = new Array(pop.hosts.length);
    planCache.set(pop, arr);
  }
  let p = arr[h.index];
  if (p === undefined) {
    p = compromisePlan(pop.seed, h);
    arr[h.index] = p;
  }
  return p;
}

/**
 * Compromise of host `h` on day `step`. `base(d)` is the host's configuration on day d (without
 * compromise); the plan is gated by exploitability on the compromise day for ordinary personas.
 */
export function compromiseAt(pop: Population, h: HostSpec, step: number, base: (day: number) => BaseState): Compromise {
  const p = cachedPlan(pop, h);
  if (!p || step < p.day) return NO_COMPROMISE;
  const then = base(p.day);
  if (!p.dedicated && !exploitable(then)) return NO_COMPROMISE;
  const now = base(step);
  const rebooted = p.upgradedBefore0 || now.build !== then.build;
  const paths = implantPaths(p, rebooted);
  const web = webPaths(p, paths);
  return { kind: p.kind, since_step: p.day, visible_from_outside: web.length > 0, paths, web, plan: p };
}
