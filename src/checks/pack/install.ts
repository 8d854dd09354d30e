/**
 * `edgewatch checks update FILE`: verify a pack and install it under `<data dir>/packs/` — or
 * refuse it and change nothing. Order: read (unsafe entries refused) → verify manifest, signature,
 * sizes and SHA-256 sums, extra/missing files → program compatibility → version against the pack
 * in use (older or equal refused unless forced) → write into a fresh temporary folder beside the
 * packs → validate every check file there with the loader → one atomic rename into place.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EdgewatchError } from '../../errors.js';
import { formatIssue } from '../issues.js';
import { validateCheckFiles } from '../load.js';
import { REPO_ROOT } from '../paths.js';
import { type ActivePack, activePack, installedDirs, inspectInstalled, type PackInfo, packsRoot, programVersion } from './active.js';
import { BUNDLED_MANIFEST, MANIFEST_NAME, parseManifest, SIGNATURE_NAME } from './manifest.js';
import type { TrustedKey } from './signature.js';
import { readPack } from './source.js';
import { type VerifiedPack, verifyPack } from './verify.js';
import { compareVersions, satisfies } from './version.js';

export interface UpdateOptions {
  /** Trusted public keys (from --key and the config); any key makes a signature mandatory. */
  keys?: readonly TrustedKey[];
  /** Install even when the pack is not newer than the one in use (a downgrade or a reinstall). */
  force?: boolean;
  /** Data directory override (config `data_dir`); default EDGEWATCH_DATA_DIR / XDG / home. */
  dataRoot?: string;
}

export interface UpdateResult {
  /** `installed`, or `unchanged` when the very same pack is already in use. */
  action: 'installed' | 'unchanged';
  pack: VerifiedPack;
  /** The pack in use before, and after. */
  before: PackInfo;
  after: ActivePack;
  /** Installed packs removed by a forced downgrade. */
  removed: string[];
}

function sameFiles(a: ReadonlyArray<{ path: string; sha256: string }>, b: ReadonlyArray<{ path: string; sha256: string }>): boolean {
  if (a.length !== b.length) return false;
  const m = new Map(a.map((f) => [f.path, f.sha256]));
  return b.every((f) => m.get(f.path) === f.sha256);
}

async function filesOfActive(p: PackInfo): Promise<Array<{ path: string; sha256: string }> | null> {
  try {
    if (p.origin === 'bundled') {
      const r = parseManifest(readFileSync(join(REPO_ROOT, BUNDLED_MANIFEST)));
      return 'manifest' in r ? r.manifest.files : null;
    }
    const r = await inspectInstalled(p.dir);
    return 'manifest' in r ? r.manifest.files : null;
  } catch {
    return null;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Verify and install a pack (directory or .tar.gz). Throws EW_PACK_* and leaves everything as it was. */
export async function updatePack(file: string, opts: UpdateOptions = {}): Promise<UpdateResult> {
  const pack = verifyPack(await readPack(file), { keys: opts.keys ?? [] });
  const m = pack.manifest;
  const refuse = (code: string, message: string) => new EdgewatchError(code, `${message}; nothing was changed`, { file });
  if (!satisfies(programVersion(), m.edgewatch))
    throw refuse('EW_PACK_VERSION', `pack ${m.name} ${m.version} needs edgewatch ${m.edgewatch}; this is ${programVersion()}`);

  const before = await activePack(opts.dataRoot);
  const cmp = compareVersions(m.version, before.version);
  if (cmp === 0 && !opts.force) {
    const files = await filesOfActive(before);
    if (files && sameFiles(files, m.files)) return { action: 'unchanged', pack, before, after: before, removed: [] };
    throw refuse('EW_PACK_VERSION', `version ${m.version} is already in use (${before.origin} pack ${before.name}) with different content; give the pack a newer version, or --force to replace it`);
  }
  if (cmp < 0 && !opts.force)
    throw refuse('EW_PACK_VERSION', `pack ${m.name} ${m.version} is older than the ${before.origin} pack in use (${before.name} ${before.version}); use --force to downgrade`);

  const root = packsRoot(opts.dataRoot);
  let made: string | undefined;
  try {
    // The first folder this call created (if any) is removed again when the install fails.
    made = await mkdir(root, { recursive: true });
  } catch (e) {
    throw refuse('EW_PACK_INSTALL', `cannot create ${root}: ${(e as Error).message}`);
  }
  const tmp = await mkdtemp(join(root, '.incoming-'));
  try {
    for (const [path, data] of pack.files) {
      const dest = join(tmp, ...path.split('/'));
      await mkdir(dirname(dest), { recursive: true });
      await writeFile(dest, data, { flag: 'wx', mode: 0o644 });
    }
    await mkdir(join(tmp, 'checks'), { recursive: true });
    await mkdir(join(tmp, 'data'), { recursive: true });
    await writeFile(join(tmp, MANIFEST_NAME), pack.manifestBytes, { flag: 'wx', mode: 0o644 });
    if (pack.signatureBytes) await writeFile(join(tmp, SIGNATURE_NAME), pack.signatureBytes, { flag: 'wx', mode: 0o644 });

    const results = await validateCheckFiles(join(tmp, 'checks'), { dataDir: join(tmp, 'data'), displayBase: tmp });
    const issues = results.flatMap((r) => r.issues);
    if (results.length === 0) throw refuse('EW_PACK_INVALID', 'the pack holds no check files');
    if (issues.length > 0) {
      // Issues name files inside the pack (checks/x.yaml), not the temporary folder.
      const shown = issues.slice(0, 20).map((i) => `  ${formatIssue(i).replaceAll(`${tmp}/`, '')}`);
      if (issues.length > 20) shown.push(`  … and ${issues.length - 20} more`);
      throw new EdgewatchError('EW_PACK_INVALID', `${issues.length} problem(s) in the pack's check files; nothing was changed:\n${shown.join('\n')}`, { file });
    }

    const final = join(root, `${m.name}@${m.version}`);
    if (await exists(final)) {
      const old = join(root, `.replaced-${randomBytes(6).toString('hex')}`);
      await rename(final, old);
      try {
        await rename(tmp, final);
      } catch (e) {
        await rename(old, final);
        throw e;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, final);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (made) await rm(made, { recursive: true, force: true });
    if (e instanceof EdgewatchError) throw e;
    throw refuse('EW_PACK_INSTALL', `cannot install into ${root}: ${(e as Error).message}`);
  }

  // A forced downgrade only takes effect when newer installed packs step aside.
  const removed: string[] = [];
  if (cmp < 0) {
    for (const dir of await installedDirs(root)) {
      const r = await inspectInstalled(dir);
      if ('pack' in r && compareVersions(r.pack.version, m.version) > 0) {
        const trash = join(root, `.removed-${randomBytes(6).toString('hex')}`);
        await rename(dir, trash);
        await rm(trash, { recursive: true, force: true });
        removed.push(dir);
      }
    }
  }
  const after = await activePack(opts.dataRoot);
  return { action: 'installed', pack, before, after, removed };
}
