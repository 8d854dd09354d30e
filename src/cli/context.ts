/**
 * Shared CLI plumbing: resolving the config layers from flags, opening the store, printing errors.
 */
import { type Config, LAB_PROFILE, loadConfigFile, resolveConfig } from '../config.js';
import { openStore } from '../store/index.js';
import { storeConfigFor } from '../store/location.js';
import type { Store, StoreConfig } from '../store/types.js';

export interface CommonFlags {
  config?: string;
  db?: string;
  lab?: boolean;
}

export function envLayer(): Partial<Config> {
  const layer: Partial<Config> = {};
  if (process.env.EDGEWATCH_SCOPE) layer.scope = process.env.EDGEWATCH_SCOPE.split(/[\s,]+/).filter(Boolean);
  if (process.env.EDGEWATCH_DB) layer.db = process.env.EDGEWATCH_DB;
  return layer;
}

export function baseConfig(flags: CommonFlags, flagLayer: Partial<Config> = {}): Config {
  return resolveConfig(
    flags.lab ? LAB_PROFILE : undefined,
    flags.config ? loadConfigFile(flags.config) : undefined,
    envLayer(),
    flags.db ? { db: flags.db } : undefined,
    flagLayer,
  );
}

/** The store named by config `db` (flag --db > EDGEWATCH_DB > config file): a postgres:// URL or a SQLite path. */
export function configuredStore(cfg: Config): StoreConfig {
  return storeConfigFor(cfg.db);
}

/** Open the configured store; `sqliteCacheKib` sizes a SQLite page cache (ignored for PostgreSQL). */
export async function openConfiguredStore(cfg: Config, o: { sqliteCacheKib?: number } = {}): Promise<Store> {
  const sc = configuredStore(cfg);
  return openStore(sc.dialect === 'sqlite' && o.sqliteCacheKib !== undefined ? { ...sc, cacheKib: o.sqliteCacheKib } : sc);
}

export function parseIntFlag(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
    return n;
  };
}

export function parseNumberFlag(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number ≥ ${min}, got "${v}"`);
    return n;
  };
}

export function parsePorts(v: string): number[] {
  const out: number[] = [];
  for (const part of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad port list "${v}"`);
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    if (a < 1 || b > 65535 || b < a || b - a > 65535) throw new Error(`bad port range "${part}"`);
    for (let p = a; p <= b; p++) out.push(p);
  }
  return out;
}
