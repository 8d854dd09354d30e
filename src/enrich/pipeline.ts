/**
 * The enrichment pipeline: address (+ names) → GeoFacts (offline data) → reverse DNS and abuse
 * contact (optional network lookups: bounded concurrency, a deadline per lookup, never throwing,
 * never stalling) → organisation attribution (the store's organisations, explained) → Enrichment.
 *
 * - `enrichOne` is the synchronous offline core (geo + names + attribution), used by everything.
 * - `enrichAddresses` streams any (async) iterable in input order; offline items cost no promise.
 * - `enrichScan` enriches every observed host (status `ok`) of a stored scan and upserts
 *   `ip_enrichment` in batches. The scan command calls it at the end of a scan (offline by default).
 * Lab hosts listed in a lab identities file are enriched as the PUBLIC address they stand for
 * (geo facts and organisation match), labelled `lab`; no network lookup is ever made for them.
 */
import { z } from 'zod';
import { dataDir as defaultDataDir } from '../data-dir.js';
import { EdgewatchError } from '../errors.js';
import type { ScanRecord } from '../scan/record.js';
import { parseIPv4, parseIp } from '../scope/ip.js';
import { upsertEnrichments } from '../store/enrichment.js';
import type { Store } from '../store/types.js';
import { type EnrichNetFlags, resolveEnrichNet } from './contacts/config.js';
import { createAbuseContactResolver, type AbuseContactOptions } from './contacts/index.js';
import { openGeo } from './geo/index.js';
import { type LabIdentityMap, loadLabIdentities } from './geo/lab-identities.js';
import { createReverseDnsResolver, namesFromRecord, type ReverseDnsOptions, withPtr } from './names/index.js';
import { groupKey, loadOrgMatcher } from './org/index.js';
import type {
  AbuseContact,
  AbuseContactResolver,
  Attribution,
  DataSourceInfo,
  Enrichment,
  GeoLookup,
  HostName,
  OrgMatcher,
  ReverseDnsResolver,
} from './types.js';

/** One address to enrich, with the names it is known by (certificate, target name), if any. */
export interface EnrichInput {
  ip: string;
  names?: readonly HostName[];
}

export interface EnrichDeps {
  geo: GeoLookup;
  /** Organisation matcher (null: no organisations; hosts are grouped by AS and abuse contact). */
  matcher?: OrgMatcher | null;
  /** Reverse DNS (null/absent: off). */
  rdns?: ReverseDnsResolver | null;
  /** Abuse contacts (null/absent: off). */
  abuse?: AbuseContactResolver | null;
  /** Lab demo identities (loopback lab address → public identity). */
  labIdentities?: LabIdentityMap | null;
  /** Addresses with network lookups under way at once (default 32). */
  concurrency?: number;
  /** Upper bound on one address's network lookups, ms (default 15000); past it they count as none. */
  lookupDeadlineMs?: number;
  /** Clock (tests). */
  now?: () => string;
}

/** Attribution when there is no matcher: no organisation, grouped by AS and abuse contact. */
export function unattributed(ip: string, asn: number | null, abuse: string | null): Attribution {
  const group = groupKey(asn, abuse);
  return { org_key: null, org_name: null, sector: null, rule: 'none', matched: null, why: `${ip}: no organisations loaded; grouped by AS and abuse contact as ${group}`, group };
}

function attribute(deps: EnrichDeps, ip: string, asn: number | null, names: readonly HostName[], abuse: string | null): Attribution {
  if (!deps.matcher) return unattributed(ip, asn, abuse);
  return deps.matcher.match({ ip, asn, names, abuse });
}

/** Canonical address text, or null when `ip` is not an address. */
export function canonicalIp(ip: string): string | null {
  // A strict dotted quad (no leading zeros) is already canonical: skip the re-formatting.
  if (parseIPv4(ip) >= 0) return ip;
  return parseIp(ip.trim())?.text ?? null;
}

/** A clock that reads the time once per 1,024 calls (one enrichment run stamps in batches). */
function batchClock(): () => string {
  let n = 0;
  let at = '';
  return () => {
    if ((n++ & 1023) === 0) at = new Date().toISOString();
    return at;
  };
}

/**
 * Offline enrichment of one address (geo + names + attribution; rdns/abuse given by the caller).
 * `ip` must be canonical (see canonicalIp).
 */
export function enrichOne(
  input: EnrichInput,
  deps: EnrichDeps,
  net: { rdns?: string | null; abuse?: AbuseContact | null } = {},
): Enrichment {
  const at = deps.now ? deps.now() : new Date().toISOString();
  const lab = deps.labIdentities?.get(input.ip) ?? null;
  if (lab) {
    // A lab host: the facts and the match are those of the public address it stands for.
    const facts = deps.geo.lookup(lab.public_ip);
    const names = [...(input.names ?? [])];
    const attribution = attribute(deps, lab.public_ip, facts.asn, names, null);
    return {
      ip: input.ip,
      ...facts,
      names,
      rdns: null,
      abuse: null,
      attribution,
      lab: { lab_ip: lab.lab_ip, public_ip: lab.public_ip, org: lab.org, sector: lab.sector },
      enriched_at: at,
    };
  }
  const facts = deps.geo.lookup(input.ip);
  const rdns = net.rdns ?? null;
  const names = rdns ? withPtr(input.names ?? [], rdns) : [...(input.names ?? [])];
  const abuse = net.abuse ?? null;
  return {
    ip: input.ip,
    ...facts,
    names,
    rdns,
    abuse,
    attribution: attribute(deps, input.ip, facts.asn, names, abuse?.email ?? null),
    lab: null,
    enriched_at: at,
  };
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref?.();
  });
  return Promise.race([p.catch(() => null), deadline]).finally(() => clearTimeout(timer));
}

/** Network lookups of one address (both at once), never throwing, bounded by the deadline. */
async function lookupNet(ip: string, deps: EnrichDeps): Promise<{ rdns: string | null; abuse: AbuseContact | null }> {
  const ms = deps.lookupDeadlineMs ?? 15_000;
  const [rdns, abuse] = await Promise.all([
    deps.rdns ? withDeadline(Promise.resolve().then(() => deps.rdns?.reverse(ip) ?? null), ms) : null,
    deps.abuse ? withDeadline(Promise.resolve().then(() => deps.abuse?.abuseContact(ip) ?? null), ms) : null,
  ]);
  return { rdns: rdns ?? null, abuse: abuse ?? null };
}

/**
 * Enriches a stream of addresses, yielding in input order. Inputs whose `ip` is not an address
 * are yielded as `{ error }` items (the caller reports them) so one bad line never stops a run.
 */
export async function* enrichAddresses(
  input: Iterable<EnrichInput> | AsyncIterable<EnrichInput>,
  deps: EnrichDeps,
): AsyncGenerator<Enrichment | { error: string; input: EnrichInput }> {
  if (!deps.now) deps = { ...deps, now: batchClock() };
  const networked = !!(deps.rdns || deps.abuse);
  if (!networked) {
    for await (const item of input as AsyncIterable<EnrichInput>) {
      const ip = canonicalIp(item.ip);
      if (!ip) {
        yield { error: 'not an IP address', input: item };
        continue;
      }
      yield enrichOne({ ip, names: item.names }, deps);
    }
    return;
  }
  const limit = Math.max(1, deps.concurrency ?? 32);
  const queue: Array<Promise<Enrichment | { error: string; input: EnrichInput }>> = [];
  for await (const item of input as AsyncIterable<EnrichInput>) {
    const ip = canonicalIp(item.ip);
    if (!ip) queue.push(Promise.resolve({ error: 'not an IP address', input: item }));
    else if (deps.labIdentities?.has(ip)) queue.push(Promise.resolve(enrichOne({ ip, names: item.names }, deps)));
    else queue.push(lookupNet(ip, deps).then((net) => enrichOne({ ip, names: item.names }, deps, net)));
    while (queue.length >= limit) yield await (queue.shift() as Promise<Enrichment | { error: string; input: EnrichInput }>);
  }
  while (queue.length) yield await (queue.shift() as Promise<Enrichment | { error: string; input: EnrichInput }>);
}

/** Pipeline settings from the config's `enrich:` record (other keys belong to the lookups). */
export const EnrichPipelineConfig = z
  .object({
    concurrency: z.number().int().min(1).max(1024).optional(),
    batch_size: z.number().int().min(1).max(50_000).optional(),
    lookup_deadline_ms: z.number().int().min(100).max(600_000).optional(),
    lab_identities: z.string().min(1).max(4096).optional(),
  })
  .passthrough();
export type EnrichPipelineConfig = z.infer<typeof EnrichPipelineConfig>;

export function parseEnrichPipelineConfig(enrich: unknown, file?: string): EnrichPipelineConfig {
  const p = EnrichPipelineConfig.safeParse(enrich ?? {});
  if (!p.success) {
    const i = p.error.issues[0];
    throw new EdgewatchError('EW_ENRICH_OPTION', `enrich.${i.path.join('.')}: ${i.message}`, { file });
  }
  return p.data;
}

export interface EnrichScanOptions {
  /** Geo lookup to use (default: openGeo on `dataDir`). */
  geo?: GeoLookup;
  /** Data directory of imported geo data (default: dataDir()). */
  dataDir?: string;
  /** Reverse DNS: resolver options (the store's lookup cache is used), or absent/null for off. */
  rdns?: ReverseDnsOptions | null;
  /** Abuse contacts: resolver options, or absent/null for off. */
  abuse?: AbuseContactOptions | null;
  /** Lab identities: a file path or a loaded map. */
  labIdentities?: string | LabIdentityMap | null;
  /** Organisation matching against the store's organisations (default true). */
  attribute?: boolean;
  concurrency?: number;
  lookupDeadlineMs?: number;
  /** Rows per upsert transaction (default 1000). */
  batchSize?: number;
  /** Called after each stored batch with the number of hosts enriched so far. */
  onProgress?: (done: number) => void;
  /** Stop early (Ctrl-C): what is stored stays stored. */
  signal?: AbortSignal;
}

export interface EnrichScanResult {
  scanId: string;
  /** Distinct observed hosts (addresses with status ok). */
  hosts: number;
  /** Rows written to ip_enrichment. */
  enriched: number;
  /** Hosts attributed to an organisation. */
  attributed: number;
  /** Hosts enriched through a lab identity. */
  lab: number;
  /** Hosts with no country / AS in the data. */
  uncovered: number;
  sources: DataSourceInfo[];
  ms: number;
}

const MAX_NAMES = 32;

/** Enriches every observed host of a stored scan and upserts ip_enrichment. */
export async function enrichScan(store: Store, scanId: string, opts: EnrichScanOptions = {}): Promise<EnrichScanResult> {
  const t0 = performance.now();
  const scan = await store.getScan(scanId);
  if (!scan) throw new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', `no scan with id ${scanId}`);
  const labIdentities = typeof opts.labIdentities === 'string' ? loadLabIdentities(opts.labIdentities) : (opts.labIdentities ?? null);
  const geo = opts.geo ?? (await openGeo({ dataDir: opts.dataDir ?? defaultDataDir() }));
  const ownGeo = !opts.geo;
  const rdns = opts.rdns ? createReverseDnsResolver({ ...opts.rdns, db: opts.rdns.db ?? store.db }) : null;
  const abuse = opts.abuse ? createAbuseContactResolver({ ...opts.abuse, db: opts.abuse.db ?? store.db }) : null;
  try {
    const matcher = opts.attribute === false ? null : await loadOrgMatcher(store.db);
    // Names of each observed address, merged over its records (ports, host names).
    const byIp = new Map<string, HostName[]>();
    for await (const rec of store.iterateRecords(scanId)) {
      if (opts.signal?.aborted) break;
      if ((rec as ScanRecord).status !== 'ok') continue;
      const ip = canonicalIp(rec.ip);
      if (!ip) continue;
      let names: HostName[] = [];
      try {
        names = namesFromRecord(rec);
      } catch {
        names = [];
      }
      const have = byIp.get(ip);
      if (!have) byIp.set(ip, names.slice(0, MAX_NAMES));
      else {
        for (const n of names) {
          if (have.length >= MAX_NAMES) break;
          if (!have.some((h) => h.name === n.name && h.source === n.source)) have.push(n);
        }
      }
    }
    const deps: EnrichDeps = { geo, matcher, rdns, abuse, labIdentities, concurrency: opts.concurrency, lookupDeadlineMs: opts.lookupDeadlineMs };
    const batchSize = opts.batchSize ?? 1000;
    const res: EnrichScanResult = { scanId, hosts: byIp.size, enriched: 0, attributed: 0, lab: 0, uncovered: 0, sources: [...geo.sources], ms: 0 };
    let batch: Enrichment[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      res.enriched += await upsertEnrichments(store.db, batch, geo.sources);
      batch = [];
      opts.onProgress?.(res.enriched);
    };
    const inputs = (function* () {
      for (const [ip, names] of byIp) yield { ip, names };
    })();
    for await (const e of enrichAddresses(inputs, deps)) {
      if ('error' in e) continue;
      if (e.attribution.org_key) res.attributed++;
      if (e.lab) res.lab++;
      if (e.cc === null && e.asn === null) res.uncovered++;
      batch.push(e);
      if (batch.length >= batchSize) await flush();
      if (opts.signal?.aborted) break;
    }
    await flush();
    res.ms = Math.round(performance.now() - t0);
    return res;
  } finally {
    await rdns?.close();
    await abuse?.close();
    if (ownGeo) geo.close();
  }
}

/** What `enrichScanAsConfigured` takes besides the config: the command's flags. */
export interface ConfiguredEnrichOptions {
  /** The config file (named in config errors). */
  configFile?: string;
  /** `--rdns`, `--rdap` and their servers; the config's `enrich.rdns/rdap` apply without them. */
  net?: EnrichNetFlags;
  /** `--lab-identities` (default: config `enrich.lab_identities`). */
  labIdentities?: string;
  /** false: no organisation matching (`--no-attribute`). */
  attribute?: boolean;
  /** `--concurrency` (default: config `enrich.concurrency`). */
  concurrency?: number;
}

/**
 * Enrich a stored scan as the config says (`enrich:` and `data_dir`), flags first: what
 * `edgewatch enrich --scan` and a finished `edgewatch scan` both run.
 */
export async function enrichScanAsConfigured(
  store: Store,
  scanId: string,
  cfg: { enrich?: unknown; data_dir?: string },
  o: ConfiguredEnrichOptions = {},
): Promise<EnrichScanResult> {
  const pipe = parseEnrichPipelineConfig(cfg.enrich, o.configFile);
  const dir = defaultDataDir(cfg);
  const net = resolveEnrichNet(cfg.enrich, o.net ?? {}, { db: store.db, dataDir: dir, file: o.configFile });
  return enrichScan(store, scanId, {
    dataDir: dir,
    rdns: net.rdns,
    abuse: net.contacts,
    labIdentities: o.labIdentities ?? pipe.lab_identities ?? null,
    attribute: o.attribute,
    concurrency: o.concurrency ?? pipe.concurrency,
    lookupDeadlineMs: pipe.lookup_deadline_ms,
    batchSize: pipe.batch_size,
  });
}
