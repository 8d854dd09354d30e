/**
 * THE LAB: a seeded population of emulated appliances on loopback and its ground truth.
 * `startLab` builds the population (population.ts), generates the certificate pool (certs.ts),
 * binds the listeners (server.ts) and writes the truth file (truth.ts). Shares no code with
 * src/checks, src/classify or src/net on purpose. See src/lab/README.md.
 */
import { EdgewatchError } from '../errors.js';
import { parseLabRange, rangeForSize } from './addr.js';
import { type CertPool, createCertPool } from './certs.js';
import { loadFirmware } from './firmware.js';
import { identityPool } from './identity.js';
import { DEFAULT_MIX, normaliseMix, type PersonaId } from './personas.js';
import { buildPopulation, type HostState, type Population, stateAt } from './population.js';
import { listenerCount, PER_ADDRESS_AUTO_MAX, PER_ADDRESS_HARD_MAX, type RunningServers, startServers } from './server.js';
import { type TruthContext, type TruthRecord, truthAll, writeTruthFile } from './truth.js';

export { CHECK_PERSONAS, COMPROMISE_KIND_OF_CHECK } from './catalogue.js';
export type { CompromiseKind } from './compromise.js';
export { ALL_CVE_IDS } from './truth.js';
export type { PersonaId } from './personas.js';
export { DEFAULT_MIX, PERSONA_IDS } from './personas.js';
export type {
  TruthCompromise,
  TruthCompromised,
  TruthCveState,
  TruthExpect,
  TruthIdentity,
  TruthReason,
  TruthRecord,
  TruthStatus,
} from './truth.js';

/** Default population: 65,536 addresses. */
export const DEFAULT_RANGE = '127.1.0.0/16';
export const DEFAULT_HTTPS_PORT = 8443;
export const DEFAULT_HTTP_PORT = 8080;

/** Options of {@link startLab}. */
export interface LabOptions {
  /** CIDR inside 127.0.0.0/8 (default 127.1.0.0/16). */
  range?: string;
  /** Use only the first `size` addresses of the range (with no range: the smallest block at 127.1.0.0). */
  size?: number;
  /** Population seed (default 1). */
  seed?: number;
  /** Day the population starts at (default 0 = 12 Jan 2020). */
  step?: number;
  /** HTTPS port (default 8443); 0 = ephemeral; null = disabled. */
  httpsPort?: number | null;
  /** Plain HTTP port (default 8080); 0 = ephemeral; null = disabled. */
  httpPort?: number | null;
  /** Listening mode (default auto: per-address when at most 8,192 listeners are needed). */
  listen?: 'auto' | 'per-address' | 'wildcard';
  /** Persona → weight (replaces the default mix; unnamed personas get 0). */
  mix?: Record<string, number>;
  /** Write the truth here as JSON Lines (rewritten atomically on every step change). */
  truthFile?: string;
}

/** A running lab. */
export interface Lab {
  range: string;
  size: number;
  seed: number;
  /** Bound ports; 0 when the scheme is disabled. */
  httpsPort: number;
  httpPort: number;
  mode: 'per-address' | 'wildcard';
  /** Current day. */
  step: number;
  /** Number of listening sockets. */
  listeners: number;
  /** How many addresses got each persona. */
  personaCounts: Record<PersonaId, number>;
  /** PEM of the lab CA that issued the organisation/site certificates. */
  caPem: string;
  /** Ground truth of every address for the current step. */
  truth(): TruthRecord[];
  /** Move the population to day `n` (live: new requests see the new state); rewrites the truth file. */
  setStep(n: number): Promise<void>;
  /** Addresses listeners are bound to (wildcard mode: 0.0.0.0 with the loopback admission filter). */
  boundAddresses(): string[];
  close(): Promise<void>;
}

function checkPort(name: string, v: number | null | undefined, dflt: number): number | null {
  if (v === null) return null;
  const p = v ?? dflt;
  if (!Number.isInteger(p) || p < 0 || p > 65535) {
    throw new EdgewatchError('EW_LAB_OPTION', `${name} must be an integer from 0 to 65535 (or null to disable), got ${String(v)}`);
  }
  return p;
}

function checkStep(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 10_000)
    throw new EdgewatchError('EW_LAB_OPTION', `step must be an integer from 0 to 10000, got ${n}`);
  return n;
}

/** Start a lab population on loopback. */
export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new EdgewatchError('EW_LAB_OPTION', `seed must be an integer from 0 to 4294967295, got ${seed}`);
  let step = checkStep(opts.step ?? 0);
  const ports = {
    https: checkPort('httpsPort', opts.httpsPort, DEFAULT_HTTPS_PORT),
    http: checkPort('httpPort', opts.httpPort, DEFAULT_HTTP_PORT),
  };
  if (ports.https === null && ports.http === null) throw new EdgewatchError('EW_LAB_OPTION', 'both ports are disabled');
  const listenOpt = opts.listen ?? 'auto';
  if (!['auto', 'per-address', 'wildcard'].includes(listenOpt))
    throw new EdgewatchError('EW_LAB_OPTION', `listen must be auto, per-address or wildcard, got ${listenOpt}`);
  const cidr = opts.range ?? (opts.size !== undefined ? rangeForSize('127.1.0.0', opts.size) : DEFAULT_RANGE);
  const range = parseLabRange(cidr, opts.size);
  const mix = opts.mix ? normaliseMix(opts.mix) : { ...DEFAULT_MIX };

  const identities = identityPool(seed);
  // Keys are generated on the thread pool while the population is built and bound.
  const certsP: Promise<CertPool> = createCertPool(identities);
  certsP.catch(() => {});
  const pop: Population = buildPopulation(range, seed, mix, loadFirmware());
  const states: HostState[] = pop.hosts.map((h) => stateAt(pop, h, step));
  const needed = listenerCount(pop, ports);
  let mode: 'per-address' | 'wildcard';
  if (listenOpt === 'auto') mode = needed <= PER_ADDRESS_AUTO_MAX ? 'per-address' : 'wildcard';
  else mode = listenOpt;
  if (mode === 'per-address' && needed > PER_ADDRESS_HARD_MAX) {
    throw new EdgewatchError(
      'EW_LAB_OPTION',
      `per-address mode would need ${needed} listeners (limit ${PER_ADDRESS_HARD_MAX}, ulimit -n); use --listen wildcard or a smaller range`,
    );
  }
  const certs = await certsP;
  const servers: RunningServers = await startServers({ pop, states, certs, mode, ports });
  const ctx: TruthContext = { mode, https: ports.https !== null, http: ports.http !== null };
  let closed = false;

  const lab: Lab = {
    range: range.cidr,
    size: range.size,
    seed,
    httpsPort: servers.httpsPort ?? 0,
    httpPort: servers.httpPort ?? 0,
    mode,
    step,
    listeners: servers.listeners,
    personaCounts: pop.counts,
    caPem: certs.caPem,
    truth: () => truthAll(pop, step, ctx),
    setStep: async (n: number) => {
      step = checkStep(n);
      for (let i = 0; i < pop.hosts.length; i++) states[i] = stateAt(pop, pop.hosts[i] as Population['hosts'][number], step);
      lab.step = step;
      if (opts.truthFile) await writeTruthFile(opts.truthFile, lab.truth());
    },
    boundAddresses: () => servers.boundAddresses(),
    close: async () => {
      if (closed) return;
      closed = true;
      await servers.close();
    },
  };
  if (opts.truthFile) {
    try {
      await writeTruthFile(opts.truthFile, lab.truth());
    } catch (e) {
      await lab.close();
      throw e;
    }
  }
  return lab;
}
