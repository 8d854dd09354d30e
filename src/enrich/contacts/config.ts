/**
 * Configuration of the network lookups of enrichment (reverse DNS, RDAP, RIPEstat): the `enrich:`
 * keys `rdns` and `rdap` of the config file, validated with zod, merged with the CLI flags
 * (`--rdns`, `--dns-server`, `--rdap`, `--rdap-base`, `--ripestat-base`) into resolver options.
 * Both lookups are off unless asked for: offline by default.
 *
 * ```yaml
 * enrich:
 *   rdns:
 *     enabled: true
 *     servers: ['192.0.2.53', '192.0.2.54:5353']
 *     timeout_ms: 2000
 *     concurrency: 32
 *     ttl_seconds: 86400
 *   rdap:
 *     enabled: true
 *     sources: [rdap, ripestat]
 *     base: https://rdap.db.ripe.net/     # skip the IANA bootstrap, ask this server for everything
 *     bootstrap: /path/to/rdap-bootstrap/ # ipv4.json / ipv6.json
 *     ripestat_base: https://stat.ripe.net
 *     timeout_ms: 5000
 *     rate_per_second: 5
 *     ttl_seconds: 604800
 * ```
 */
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EdgewatchError } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import type { ReverseDnsOptions } from '../names/index.js';
import { parseDnsServer } from '../names/servers.js';
import type { AbuseContactOptions } from './index.js';

const url = z
  .string()
  .max(2000)
  .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), { message: 'not an http(s) URL' });
const dnsServer = z.string().refine((s) => parseDnsServer(s) !== null, { message: 'not an IP address with an optional :port' });

export const RdnsConfig = z
  .object({
    enabled: z.boolean().default(false),
    servers: z.array(dnsServer).max(16).optional(),
    timeout_ms: z.number().int().min(10).max(60_000).optional(),
    tries: z.number().int().min(1).max(5).optional(),
    concurrency: z.number().int().min(1).max(1024).optional(),
    ttl_seconds: z.number().int().min(0).max(30 * 86400).optional(),
    negative_ttl_seconds: z.number().int().min(0).max(30 * 86400).optional(),
  })
  .strict();

export const RdapConfig = z
  .object({
    enabled: z.boolean().default(false),
    sources: z.array(z.enum(['rdap', 'ripestat'])).min(1).max(2).optional(),
    base: url.optional(),
    bootstrap: z.string().min(1).max(4096).optional(),
    ripestat_base: url.optional(),
    timeout_ms: z.number().int().min(50).max(120_000).optional(),
    rate_per_second: z.number().min(0).max(1000).optional(),
    concurrency: z.number().int().min(1).max(256).optional(),
    ttl_seconds: z.number().int().min(0).max(90 * 86400).optional(),
    negative_ttl_seconds: z.number().int().min(0).max(90 * 86400).optional(),
  })
  .strict();

/**
 * The network-lookup part of the config's `enrich:` record. Other keys of `enrich` (geo, data) are
 * passed through untouched for their own schema.
 */
export const EnrichNetConfig = z
  .object({
    rdns: RdnsConfig.optional(),
    rdap: RdapConfig.optional(),
  })
  .passthrough();
export type EnrichNetConfig = z.infer<typeof EnrichNetConfig>;

/** The CLI flags of the network lookups (commander's camel-cased names). */
export interface EnrichNetFlags {
  /** `--rdns`: look up PTR names. */
  rdns?: boolean;
  /** `--dns-server IP[:PORT]` (repeatable or comma-separated); implies --rdns. */
  dnsServer?: string | string[];
  /** `--rdap`: look up abuse contacts (RDAP, then RIPEstat). */
  rdap?: boolean;
  /** `--rdap-base URL`: ask this RDAP server for every address; implies --rdap. */
  rdapBase?: string;
  /** `--ripestat-base URL`; implies --rdap. */
  ripestatBase?: string;
}

export interface EnrichNetSettings {
  /** Options for createReverseDnsResolver, or null when reverse DNS is off. */
  rdns: ReverseDnsOptions | null;
  /** Options for createAbuseContactResolver, or null when abuse-contact lookups are off. */
  contacts: AbuseContactOptions | null;
}

function bad(what: string, issue: z.core.$ZodIssue | undefined, file?: string): EdgewatchError {
  const code = what.startsWith('enrich.rdns') || what === '--dns-server' ? 'EW_RDNS_CONFIG' : 'EW_RDAP_CONFIG';
  const path = issue?.path.length ? `.${issue.path.join('.')}` : '';
  return new EdgewatchError(code, `${what}${path}: ${issue?.message ?? 'invalid'}`, { file });
}

/** Validate the config's `enrich` record (its rdns/rdap parts). Throws EW_RDNS_CONFIG / EW_RDAP_CONFIG. */
export function parseEnrichNetConfig(enrich: unknown, file?: string): EnrichNetConfig {
  const top = z.object({}).passthrough().safeParse(enrich ?? {});
  if (!top.success) throw bad('enrich', top.error.issues[0], file);
  const raw = top.data as Record<string, unknown>;
  const rdns = raw.rdns === undefined ? undefined : RdnsConfig.safeParse(raw.rdns);
  if (rdns && !rdns.success) throw bad('enrich.rdns', rdns.error.issues[0], file);
  const rdap = raw.rdap === undefined ? undefined : RdapConfig.safeParse(raw.rdap);
  if (rdap && !rdap.success) throw bad('enrich.rdap', rdap.error.issues[0], file);
  return { ...raw, rdns: rdns?.data, rdap: rdap?.data };
}

function list(v: string | string[] | undefined): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

/**
 * Merge config (`enrich:` record) and flags into resolver options. Flags win; giving a server or
 * base URL flag turns its lookup on. Throws EW_RDNS_CONFIG / EW_RDAP_CONFIG on bad values.
 */
export function resolveEnrichNet(
  enrich: unknown,
  flags: EnrichNetFlags = {},
  extra: { db?: Kysely<Database>; dataDir?: string; file?: string } = {},
): EnrichNetSettings {
  const cfg = parseEnrichNetConfig(enrich, extra.file);
  const servers = list(flags.dnsServer);
  for (const s of servers) {
    if (parseDnsServer(s) === null) throw new EdgewatchError('EW_RDNS_CONFIG', `--dns-server ${JSON.stringify(s)}: not an IP address with an optional :port`);
  }
  for (const [flag, v] of [['--rdap-base', flags.rdapBase], ['--ripestat-base', flags.ripestatBase]] as const) {
    if (v !== undefined && !url.safeParse(v).success) throw new EdgewatchError('EW_RDAP_CONFIG', `${flag} ${JSON.stringify(v)}: not an http(s) URL`);
  }
  const r = cfg.rdns;
  const rdnsOn = flags.rdns === true || servers.length > 0 || r?.enabled === true;
  const rdns: ReverseDnsOptions | null = rdnsOn
    ? {
        servers: servers.length > 0 ? servers : r?.servers,
        timeoutMs: r?.timeout_ms,
        tries: r?.tries,
        concurrency: r?.concurrency,
        ttlSeconds: r?.ttl_seconds,
        negativeTtlSeconds: r?.negative_ttl_seconds,
        db: extra.db,
      }
    : null;
  const c = cfg.rdap;
  const rdapOn = flags.rdap === true || flags.rdapBase !== undefined || flags.ripestatBase !== undefined || c?.enabled === true;
  const contacts: AbuseContactOptions | null = rdapOn
    ? {
        sources: c?.sources,
        rdapBase: flags.rdapBase ?? c?.base,
        bootstrap: c?.bootstrap,
        ripestatBase: flags.ripestatBase ?? c?.ripestat_base,
        timeoutMs: c?.timeout_ms,
        ratePerSecond: c?.rate_per_second,
        concurrency: c?.concurrency,
        ttlSeconds: c?.ttl_seconds,
        negativeTtlSeconds: c?.negative_ttl_seconds,
        dataDir: extra.dataDir,
        db: extra.db,
      }
    : null;
  return { rdns: rdns && dropUndefined(rdns), contacts: contacts && dropUndefined(contacts) };
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Add the network-lookup flags to a commander command (for `enrich`, `scan`, …). The parsed
 * options (`opts()`) then fit `EnrichNetFlags` for `resolveEnrichNet`.
 */
export function addEnrichNetOptions(cmd: Command): Command {
  const collect = (v: string, prev: string[] = []) => [...prev, v];
  return cmd
    .option('--rdns', 'look up reverse DNS (PTR) names, with a timeout and a cache (off by default)')
    .option('--dns-server <ip[:port]>', 'DNS server for --rdns (repeatable or comma-separated; implies --rdns)', collect)
    .option('--rdap', 'look up abuse contacts via RDAP (IANA bootstrap), then RIPEstat (off by default)')
    .option('--rdap-base <url>', 'send every RDAP query to this server instead of the bootstrap (implies --rdap)')
    .option('--ripestat-base <url>', 'RIPEstat data API base URL (default https://stat.ripe.net; implies --rdap)');
}
