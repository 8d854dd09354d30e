/**
 * Run configuration: defaults < config file (YAML, `--config`) < environment < flags.
 * Validated once at the edge with zod; everything below receives a typed, frozen object.
 * `--lab` loads the built-in lab profile, which lifts 127.0.0.0/8 and ::1 out of the default
 * reserved-range exclusions so the lab on loopback can be scanned.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { EdgewatchError } from './errors.js';

const ms = z.number().int().positive().max(600_000);

export const ConfigSchema = z
  .object({
    /** CIDRs that may be probed. Required for scanning (or EDGEWATCH_SCOPE). */
    scope: z.array(z.string()).default([]),
    /** CIDRs / addresses never probed (opt-out lists); they win over targets and scope. */
    exclude: z.array(z.string()).default([]),
    exclude_files: z.array(z.string()).default([]),
    /** Apply the default reserved-range exclusions (private, loopback, multicast, …). */
    reserved: z.boolean().default(true),
    /** Reserved ranges lifted from the default exclusions (the lab profile lifts loopback). */
    allow_reserved: z.array(z.string()).default([]),
    db: z.string().default('edgewatch.db'),
    checks: z.string().optional(),
    ports: z.array(z.number().int().min(1).max(65535)).default([443]),
    scheme: z.enum(['https', 'http']).default('https'),
    concurrency: z.number().int().min(1).max(20_000).default(300),
    /** Global new-host rate, hosts per second (0 = unlimited). */
    rate_limit: z.number().min(0).default(0),
    /** Per-/24 (per-/48 for IPv6) host rate, hosts per second (0 = unlimited). */
    rate_limit_net: z.number().min(0).default(0),
    timeouts: z
      .object({
        connect: ms.default(3000),
        tls: ms.default(5000),
        first_byte: ms.default(5000),
        idle: ms.default(5000),
        total: ms.default(20000),
      })
      .strict()
      .default({ connect: 3000, tls: 5000, first_byte: 5000, idle: 5000, total: 20000 }),
    read_cap: z
      .object({
        body: z
          .number()
          .int()
          .min(1024)
          .default(256 * 1024),
        host: z
          .number()
          .int()
          .min(4096)
          .default(1024 * 1024),
      })
      .strict()
      .default({ body: 256 * 1024, host: 1024 * 1024 }),
    user_agent: z.string().min(1).max(300).optional(),
    /** Where imported data (geo/ASN files, check packs) lives; default EDGEWATCH_DATA_DIR or ~/.local/share/edgewatch. */
    data_dir: z.string().min(1).optional(),
    /** Trusted Ed25519 public keys (PEM files) for check packs; when set, `checks update` requires a valid signature. */
    pack_keys: z.array(z.string().min(1)).optional(),
    /** Redis for distributed scans (`scan --distributed`, `worker`). */
    redis: z.string().min(1).default('redis://127.0.0.1:6379'),
    /** Enrichment settings; validated by src/enrich with its own schema. */
    enrich: z.record(z.string(), z.unknown()).optional(),
    /** Cases and notifications (SMTP, OpenPGP, templates, intervals); validated by src/notify. */
    notify: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;

/** The built-in lab profile: scanning the lab on loopback. */
export const LAB_PROFILE: Partial<Config> = {
  allow_reserved: ['127.0.0.0/8', '::1/128'],
};

export function loadConfigFile(path: string): Partial<Config> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EdgewatchError('EW_CONFIG_READ', `cannot read config file: ${(cause as Error).message}`, { file: path, cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (cause) {
    const line = (cause as { linePos?: Array<{ line: number }> }).linePos?.[0]?.line;
    throw new EdgewatchError('EW_CONFIG_INVALID', `not valid YAML: ${(cause as Error).message.split('\n')[0]}`, {
      file: path,
      line,
      cause,
    });
  }
  const parsed = ConfigSchema.partial().safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EdgewatchError('EW_CONFIG_INVALID', `${issue.path.join('.') || '(root)'}: ${issue.message}`, { file: path });
  }
  return parsed.data as Partial<Config>;
}

/** Merge layers (later wins; arrays of exclusions and allowances accumulate) and validate. */
export function resolveConfig(...layers: Array<Partial<Config> | undefined>): Config {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      if ((k === 'exclude' || k === 'exclude_files' || k === 'allow_reserved') && Array.isArray(merged[k])) {
        merged[k] = [...(merged[k] as unknown[]), ...(v as unknown[])];
      } else if (k === 'timeouts' || k === 'read_cap') {
        merged[k] = { ...((merged[k] as object) ?? {}), ...(v as object) };
      } else {
        merged[k] = v;
      }
    }
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EdgewatchError('EW_CONFIG_INVALID', `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return Object.freeze(parsed.data);
}
