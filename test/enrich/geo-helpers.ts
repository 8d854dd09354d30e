/**
 * Test helpers for the geo/enrichment tests: a shared cache of the bundled data's range tables
 * (built once per machine and package version, so each test's temporary data directory does not
 * rebuild it) and temporary data directories seeded with that cache.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBundledAsnTable, loadBundledCountryTable } from '../../src/enrich/geo/bundled.js';

export const SHARED_GEO_CACHE = join(tmpdir(), 'edgewatch-test-geo-cache');

/** Builds the shared cache of bundled tables when missing (a few seconds, once). */
export function ensureSharedCache(): string {
  mkdirSync(SHARED_GEO_CACHE, { recursive: true });
  loadBundledCountryTable(SHARED_GEO_CACHE);
  loadBundledAsnTable(SHARED_GEO_CACHE);
  return SHARED_GEO_CACHE;
}

/** A fresh data directory whose geo cache is pre-seeded (so `openGeo` / the CLI start fast). */
export function tempDataDir(prefix = 'ew-geo-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cache = ensureSharedCache();
  const target = join(dir, 'geo', 'cache');
  mkdirSync(target, { recursive: true });
  for (const f of readdirSync(cache)) if (f.endsWith('.ewrt')) cpSync(join(cache, f), join(target, f));
  return { dir, cleanup: () => (existsSync(dir) ? rmSync(dir, { recursive: true, force: true }) : undefined) };
}
