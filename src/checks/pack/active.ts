/**
 * Which check pack is in use. Candidates are the bundled pack (`checks/` + `data/` of the program,
 * described by `checks/MANIFEST.json`) and every installed pack under `<data dir>/packs/<name>@<version>/`
 * that still verifies (manifest valid, every file's SHA-256 and size match, no extra files) and whose
 * `edgewatch` range admits this program's version. The newest version wins; on a tie the installed
 * pack wins. Packs that fail verification are skipped and reported (`skipped`), never half-used.
 * This module is what `loadChecks()` consults when it is given no paths.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDir } from '../../data-dir.js';
import { DEFAULT_CHECKS_DIR, DEFAULT_DATA_DIR, REPO_ROOT } from '../paths.js';
import { BUNDLED_MANIFEST, type Manifest, parseManifest } from './manifest.js';
import { readPack } from './source.js';
import { verifyPack } from './verify.js';
import { compareVersions, satisfies } from './version.js';

export interface PackInfo {
  name: string;
  version: string;
  /** `bundled` (shipped with the program) or `installed` (by `edgewatch checks update`). */
  origin: 'bundled' | 'installed';
  /** Pack root (the repository root for the bundled pack). */
  dir: string;
  checksDir: string;
  dataDir: string;
  created: string | null;
}

export interface ActivePack extends PackInfo {
  /** Installed packs that were not used, and why. */
  skipped: Array<{ dir: string; reason: string }>;
  /** Valid installed packs (newest first). */
  installed: PackInfo[];
}

/** Version of this program (package.json), used against a pack's `edgewatch` range. */
export function programVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** `<data dir>/packs` (data dir: config `data_dir`, EDGEWATCH_DATA_DIR, XDG, ~/.local/share/edgewatch). */
export function packsRoot(dataRoot?: string): string {
  return join(dataRoot ?? dataDir(), 'packs');
}

/** The bundled pack's identity from checks/MANIFEST.json (name `edgewatch-checks`, version `0` when absent). */
export function bundledPack(): PackInfo {
  let m: Manifest | null = null;
  try {
    const r = parseManifest(readFileSync(join(REPO_ROOT, BUNDLED_MANIFEST)));
    if ('manifest' in r) m = r.manifest;
  } catch {
    /* no manifest: version 0 */
  }
  return {
    name: m?.name ?? 'edgewatch-checks',
    version: m?.version ?? '0',
    origin: 'bundled',
    dir: REPO_ROOT,
    checksDir: DEFAULT_CHECKS_DIR,
    dataDir: DEFAULT_DATA_DIR,
    created: m?.created ?? null,
  };
}

/** Verify one installed pack directory; returns its info or the reason it cannot be used. */
export async function inspectInstalled(dir: string): Promise<{ pack: PackInfo; manifest: Manifest } | { reason: string }> {
  let manifest: Manifest;
  try {
    manifest = verifyPack(await readPack(dir), { skipSignature: true }).manifest;
  } catch (e) {
    return { reason: (e as Error).message };
  }
  if (!satisfies(programVersion(), manifest.edgewatch))
    return { reason: `needs edgewatch ${manifest.edgewatch}, this is ${programVersion()}` };
  return {
    manifest,
    pack: {
      name: manifest.name,
      version: manifest.version,
      origin: 'installed',
      dir,
      checksDir: join(dir, 'checks'),
      dataDir: join(dir, 'data'),
      created: manifest.created,
    },
  };
}

/** Names of pack directories under the packs root (temporary and hidden entries excluded). */
export async function installedDirs(root: string): Promise<string[]> {
  try {
    return (await readdir(root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => join(root, d.name))
      .sort();
  } catch {
    return [];
  }
}

/** Cheap test used by the loader: is there anything installed at all? */
function anyInstalled(root: string): boolean {
  try {
    return readdirSync(root).some((n) => !n.startsWith('.'));
  } catch {
    return false;
  }
}

/** The pack in use, with the installed packs seen. `dataRoot` overrides the data directory. */
export async function activePack(dataRoot?: string): Promise<ActivePack> {
  const bundled = bundledPack();
  const root = packsRoot(dataRoot);
  const skipped: ActivePack['skipped'] = [];
  const installed: PackInfo[] = [];
  if (anyInstalled(root)) {
    for (const dir of await installedDirs(root)) {
      const r = await inspectInstalled(dir);
      if ('reason' in r) skipped.push({ dir, reason: r.reason });
      else installed.push(r.pack);
    }
  }
  installed.sort((a, b) => compareVersions(b.version, a.version));
  let best: PackInfo = bundled;
  const cmp = (v: string) => {
    try {
      return compareVersions(v, best.version);
    } catch {
      return 1; // bundled manifest unreadable (version '0' parses, so only a broken one lands here)
    }
  };
  if (installed[0] && cmp(installed[0].version) >= 0) best = installed[0];
  return { ...best, skipped, installed };
}

/** Checks and data directories `loadChecks()` uses when given no paths. */
export async function defaultCheckLocation(dataRoot?: string): Promise<{ checksDir: string; dataDir: string }> {
  const root = packsRoot(dataRoot);
  if (!anyInstalled(root)) return { checksDir: DEFAULT_CHECKS_DIR, dataDir: DEFAULT_DATA_DIR };
  const p = await activePack(dataRoot);
  return { checksDir: p.checksDir, dataDir: p.dataDir };
}
