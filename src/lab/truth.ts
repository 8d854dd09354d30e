/**
 * Ground truth: what a correct scanner must report for every lab address, derived only from the
 * persona's configured state (build, responder, wire quirks, listening mode) — never from any
 * scanner logic. Written as JSON Lines, one record per address, atomically (tmp file + rename).
 */
import { open, rename, rm } from 'node:fs/promises';
import { EdgewatchError } from '../errors.js';
import type { Compromise, CompromiseKind } from './compromise.js';
import type { Build } from './firmware.js';
import type { CertIdentity } from './identity.js';
import { expectedLater, LATER_CVE_IDS, LATER_CVES } from './later-cves.js';
import type { PersonaId } from './personas.js';
import { type HostSpec, type HostState, type Population, stateAt } from './population.js';
import { PULSE_CVE, PULSE_PRODUCT, pulseCveState } from './pulse.js';

/** Transport outcome (same closed vocabulary as the scan record). */
export type TruthStatus = 'ok' | 'unreachable' | 'error';
/** Reason for a non-ok status (subset of the scan record's reason codes). */
export type TruthReason = 'refused' | 'timeout' | 'tls_handshake' | 'reset' | 'closed' | 'protocol' | 'too_large';
/** Classification for one CVE. */
export type TruthCveState = 'vulnerable' | 'mitigated' | 'patched' | 'not_applicable' | 'unknown';
export type TruthMitigation = 'none' | 'responder' | 'responder-ineffective';

/** What a correct scanner reports for one address and scheme. */
export interface TruthExpect {
  status: TruthStatus;
  reason: TruthReason | null;
  /** `citrix-adc`, `pulse-connect-secure` or null (also null whenever status is not ok). */
  product: 'citrix-adc' | 'pulse-connect-secure' | null;
  /** Exact build when it can be read from outside (known rdx stamp or pluginlist/epa leak), else null. */
  version: string | null;
  /** CVE id → state; empty when status is not ok. */
  cve: Record<string, TruthCveState>;
  /**
   * Outside-view compromise (ISSUE3 X1–X3): `true` when an implant answers on an agreed indicator
   * path, `false` for a reachable Citrix host whose indicators all answer like a clean appliance
   * (no externally visible indicator, not proof of a clean box), `unknown` when the host is not
   * the product or not reachable.
   */
  compromised: TruthCompromised;
}

export type TruthCompromised = 'true' | 'false' | 'unknown';

/** Compromise facts of a host as placed by the lab (see compromise.ts). */
export interface TruthCompromise {
  kind: CompromiseKind;
  visible_from_outside: boolean;
  /** Day it happened (0: before day 0, i.e. 10–11 Jan 2020 or the July 2023 wave); null when none. */
  since_step: number | null;
  /** Appliance paths of what is left behind on this day (the collection holds exactly these). */
  paths: string[];
}

/** Certificate facts as the host presents them (null when it never completes a handshake). */
export interface TruthIdentity {
  cn: string;
  sans: string[];
  org: string | null;
  subject: string;
  issuer: string;
  self_signed: boolean;
  key: string;
  serial: string;
}

/** One line of the truth file (identity objects are shared between records: treat as read-only). */
export interface TruthRecord {
  ip: string;
  persona: PersonaId;
  step: number;
  /** Firmware build (Citrix personas), else null. */
  build: string | null;
  branch: string | null;
  mitigation: TruthMitigation | null;
  identity: TruthIdentity | null;
  /**
   * Wire quirks of this host: double-gzip, patched-403|patched-404|patched-302, http10, chunked, legacy-tls, rfwebui;
   * hostile-cert (certificate names with markup, RLO, quotes, CR/LF, a 300+ character name), hostile-title (page title).
   */
  traits: string[];
  /** Per scheme; a scheme whose port is disabled is absent. */
  expect: { https?: TruthExpect; http?: TruthExpect };
  /** What is implanted (kind `none` with no paths for clean Citrix hosts and every non-Citrix persona). */
  compromise: TruthCompromise;
}

export type ListenMode = 'per-address' | 'wildcard';

export const CVE_ID = 'CVE-2019-19781';

/** Every CVE the lab states for every reachable host (the shipped checks' CVEs). */
export const ALL_CVE_IDS: readonly string[] = [CVE_ID, ...LATER_CVE_IDS, PULSE_CVE];

function allNotApplicable(): Record<string, TruthCveState> {
  const out: Record<string, TruthCveState> = {};
  for (const id of ALL_CVE_IDS) out[id] = 'not_applicable';
  return out;
}

function citrixCve(b: Build, responder: boolean): TruthCveState {
  if (!b.vulnerable) return b.fingerprintable ? 'patched' : 'unknown';
  if (!responder) return 'vulnerable';
  return b.responderIneffective ? 'vulnerable' : 'mitigated';
}

function mitigationOf(st: HostState): TruthMitigation | null {
  if (!st.build) return null;
  if (!st.responder) return 'none';
  return st.build.vulnerable && st.build.responderIneffective ? 'responder-ineffective' : 'responder';
}

function fail(status: TruthStatus, reason: TruthReason): TruthExpect {
  return { status, reason, product: null, version: null, cve: {}, compromised: 'unknown' };
}

/** A port with nothing behind it: really refused per address, reset by the wildcard listener. */
function refused(mode: ListenMode): TruthExpect {
  return mode === 'per-address' ? fail('unreachable', 'refused') : fail('error', 'reset');
}

function expectFor(h: HostSpec, st: HostState, scheme: 'https' | 'http', mode: ListenMode): TruthExpect {
  switch (h.persona) {
    case 'refused':
      return refused(mode);
    case 'tls-alert':
      // TLS-only fault: the plain-HTTP port is refused.
      return scheme === 'https' ? fail('error', 'tls_handshake') : refused(mode);
    case 'tarpit':
    case 'drip':
      return fail('error', 'timeout');
    case 'oversized':
      return fail('error', 'too_large');
    case 'garbage':
      return fail('error', 'protocol');
    default:
      break;
  }
  if (h.pulse && !h.pulse.lookalike) {
    // No compromise check exists for this product: compromised stays unknown.
    const version = h.pulse.versionFileRemoved ? null : h.pulse.version;
    const cve = allNotApplicable();
    cve[PULSE_CVE] = pulseCveState(version);
    return { status: 'ok', reason: null, product: PULSE_PRODUCT, version, cve, compromised: 'unknown' };
  }
  if (!st.build) {
    return { status: 'ok', reason: null, product: null, version: null, cve: allNotApplicable(), compromised: 'unknown' };
  }
  const b = st.build;
  const cve = allNotApplicable();
  cve[CVE_ID] = citrixCve(b, st.responder);
  const exposure = { versionKnown: b.fingerprintable, gateway: h.persona !== 'citrix-adc-mgmt', mgmt: h.persona === 'citrix-adc-mgmt' };
  for (const c of LATER_CVES) cve[c.id] = expectedLater(c, b, exposure);
  return {
    status: 'ok',
    reason: null,
    product: 'citrix-adc',
    version: b.fingerprintable ? b.version : null,
    cve,
    compromised: h.persona === 'citrix-waf-php' ? 'unknown' : st.compromise.visible_from_outside ? 'true' : 'false',
  };
}

function traitsOf(h: HostSpec, st: HostState): string[] {
  const t: string[] = [];
  // Hostile text the host controls (identity.ts HOSTILE, others.ts HOSTILE_TITLE).
  if (h.persona === 'citrix-hostile-names' || h.persona === 'hostile-site') t.push('hostile-cert');
  if (h.persona === 'hostile-site') t.push('hostile-title');
  if (!st.build) return t;
  if (h.doubleGzip && st.build.stamp !== null) t.push('double-gzip');
  if (!st.build.vulnerable) t.push(`patched-${h.patchedStyle === 'forbidden' ? '403' : h.patchedStyle === 'notfound' ? '404' : '302'}`);
  if (h.persona === 'citrix-http10') t.push('http10');
  if (h.persona === 'citrix-chunked') t.push('chunked');
  if (h.persona === 'citrix-legacy-tls') t.push('legacy-tls');
  if (h.persona === 'citrix-rfwebui') t.push('rfwebui');
  return t;
}

const identityCache = new WeakMap<CertIdentity, TruthIdentity>();
const identityJson = new WeakMap<TruthIdentity, string>();

/** Shared (read-only) truth identity per pool certificate. */
function identityOf(id: CertIdentity | undefined): TruthIdentity | null {
  if (!id) return null;
  const hit = identityCache.get(id);
  if (hit) return hit;
  const t: TruthIdentity = {
    cn: id.cn,
    sans: id.sans,
    org: id.org,
    subject: id.subject,
    issuer: id.issuer,
    self_signed: id.selfSigned,
    key: id.key,
    serial: id.serial,
  };
  identityCache.set(id, t);
  return t;
}

const NONE_JSON = '{"kind":"none","visible_from_outside":false,"since_step":null,"paths":[]}';
const NONE: TruthCompromise = Object.freeze({ kind: 'none', visible_from_outside: false, since_step: null, paths: [] }) as TruthCompromise;

function compromiseOf(c: Compromise): TruthCompromise {
  if (c.kind === 'none') return NONE;
  return { kind: c.kind, visible_from_outside: c.visible_from_outside, since_step: c.since_step, paths: [...c.paths] };
}

function str(s: string | null): string {
  return s === null ? 'null' : JSON.stringify(s);
}

/** One JSON line; identity JSON is serialised once per certificate (65,536 lines in ~0.3 s). */
export function truthLine(r: TruthRecord): string {
  let id = 'null';
  if (r.identity) {
    id = identityJson.get(r.identity) ?? JSON.stringify(r.identity);
    identityJson.set(r.identity, id);
  }
  const comp = r.compromise.kind === 'none' ? NONE_JSON : JSON.stringify(r.compromise);
  return `{"ip":${str(r.ip)},"persona":${str(r.persona)},"step":${r.step},"build":${str(r.build)},"branch":${str(r.branch)},"mitigation":${str(r.mitigation)},"identity":${id},"traits":${JSON.stringify(r.traits)},"expect":${JSON.stringify(r.expect)},"compromise":${comp}}`;
}

export interface TruthContext {
  mode: ListenMode;
  https: boolean;
  http: boolean;
}

/** Truth record of one host on day `step`. */
export function truthOf(pop: Population, h: HostSpec, step: number, ctx: TruthContext): TruthRecord {
  const st = stateAt(pop, h, step);
  const expect: TruthRecord['expect'] = {};
  if (ctx.https) expect.https = expectFor(h, st, 'https', ctx.mode);
  if (ctx.http) expect.http = expectFor(h, st, 'http', ctx.mode);
  return {
    ip: h.ip,
    persona: h.persona,
    step,
    build: st.build?.version ?? null,
    branch: st.build?.branch ?? null,
    mitigation: mitigationOf(st),
    identity: h.certId >= 0 ? identityOf(pop.identities[h.certId]) : null,
    traits: traitsOf(h, st),
    expect,
    compromise: compromiseOf(st.compromise),
  };
}

/** Truth of the whole population. */
export function truthAll(pop: Population, step: number, ctx: TruthContext): TruthRecord[] {
  return pop.hosts.map((h) => truthOf(pop, h, step, ctx));
}

/** Write the truth as JSON Lines atomically (tmp + rename), in batches (no 40 MB string). */
export async function writeTruthFile(file: string, records: readonly TruthRecord[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      const BATCH = 2048;
      for (let i = 0; i < records.length; i += BATCH) {
        let chunk = '';
        const end = Math.min(records.length, i + BATCH);
        for (let k = i; k < end; k++) chunk += `${truthLine(records[k] as TruthRecord)}\n`;
        await fh.write(chunk);
      }
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (cause) {
    await rm(tmp, { force: true }).catch(() => {});
    throw new EdgewatchError('EW_LAB_TRUTH', `cannot write truth file ${file}`, { file, cause });
  }
}
