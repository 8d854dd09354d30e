/**
 * Building packs: collect `checks/*.yaml` and `data/*.csv` from a source root, write
 * `manifest.json` (and an Ed25519 `manifest.json.sig` when a private key is given) into a pack
 * folder or a .tar.gz; and keep the bundled manifest `checks/MANIFEST.json` in step with the
 * repository's files. Used by `scripts/pack.mjs` and the tests.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create as createTar } from 'tar';
import { EdgewatchError } from '../../errors.js';
import { REPO_ROOT } from '../paths.js';
import { programVersion } from './active.js';
import {
  BUNDLED_MANIFEST,
  buildManifest,
  MANIFEST_NAME,
  type Manifest,
  manifestText,
  PACK_PATH_RE,
  parseManifest,
  SIGNATURE_NAME,
} from './manifest.js';
import { signManifest } from './signature.js';

/** Default compatibility range: this program's version up to the next major (`<1.0.0` for 0.x). */
export function defaultRange(): string {
  const v = programVersion();
  const major = Number(v.split('.')[0]) || 0;
  return `>=${v.split('-')[0]} <${major + 1}.0.0`;
}

/** The pack files under a source root: `checks/*.yaml|yml` and `data/*.csv` (top level of each). */
export async function collectPackFiles(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const sub of ['checks', 'data']) {
    let names: string[];
    try {
      names = (await readdir(join(root, sub), { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
    } catch {
      continue;
    }
    for (const n of names.sort()) {
      const rel = `${sub}/${n}`;
      if (PACK_PATH_RE.test(rel)) files.set(rel, await readFile(join(root, sub, n)));
    }
  }
  if (![...files.keys()].some((k) => k.startsWith('checks/')))
    throw new EdgewatchError('EW_PACK_READ', 'no check files (checks/*.yaml) under the source folder', { file: root });
  return files;
}

export interface BuildOptions {
  /** Folder holding `checks/` and `data/` (default: the repository root). */
  from?: string;
  name?: string;
  version: string;
  edgewatch?: string;
  description?: string;
  created?: string;
  /** PEM text of an Ed25519 private key: also write manifest.json.sig. */
  signingKeyPem?: string;
  /** Only these files (path → bytes) instead of collecting from `from`. */
  files?: Map<string, Buffer>;
}

/** Write a pack as a folder (`out` not ending .tar.gz/.tgz) or a .tar.gz. Returns the manifest. */
export async function buildPack(out: string, opts: BuildOptions): Promise<Manifest> {
  const files = opts.files ?? (await collectPackFiles(opts.from ?? REPO_ROOT));
  const manifest = buildManifest(
    {
      name: opts.name ?? 'edgewatch-checks',
      version: opts.version,
      edgewatch: opts.edgewatch ?? defaultRange(),
      created: opts.created,
      description: opts.description,
    },
    files,
  );
  const text = Buffer.from(manifestText(manifest));
  const archive = /\.(tar\.gz|tgz)$/i.test(out);
  const dir = archive ? await mkdtemp(join(tmpdir(), 'edgewatch-pack-')) : out;
  try {
    await mkdir(dir, { recursive: true });
    for (const [p, data] of files) {
      await mkdir(dirname(join(dir, p)), { recursive: true });
      await writeFile(join(dir, p), data);
    }
    await writeFile(join(dir, MANIFEST_NAME), text);
    if (opts.signingKeyPem) await writeFile(join(dir, SIGNATURE_NAME), signManifest(text, opts.signingKeyPem));
    if (archive) {
      const entries = [MANIFEST_NAME, ...(opts.signingKeyPem ? [SIGNATURE_NAME] : []), ...[...files.keys()].sort()];
      await createTar({ gzip: true, file: out, cwd: dir, portable: true, noDirRecurse: true }, entries);
    }
  } finally {
    if (archive) await rm(dir, { recursive: true, force: true });
  }
  return manifest;
}

/** The bundled manifest as it should be for the repository's current files. */
export async function expectedBundledManifest(current?: Manifest | null): Promise<Manifest> {
  const files = await collectPackFiles(REPO_ROOT);
  const fresh = buildManifest(
    {
      name: current?.name ?? 'edgewatch-checks',
      version: current?.version ?? '0.1.0',
      edgewatch: current?.edgewatch ?? defaultRange(),
      description: current?.description ?? 'check files and version tables shipped with edgewatch',
      created: current?.created,
    },
    files,
  );
  return fresh;
}

/** Read checks/MANIFEST.json (null when absent or invalid). */
export async function readBundledManifest(): Promise<Manifest | null> {
  try {
    const r = parseManifest(await readFile(join(REPO_ROOT, BUNDLED_MANIFEST)));
    return 'manifest' in r ? r.manifest : null;
  } catch {
    return null;
  }
}

/**
 * Regenerate checks/MANIFEST.json. Keeps name, version and range unless given; `created` changes
 * only when the file list does. Returns whether the file changed.
 */
export async function writeBundledManifest(opts: { version?: string } = {}): Promise<{ changed: boolean; manifest: Manifest }> {
  const current = await readBundledManifest();
  const base = current
    ? { ...current, ...(opts.version ? { version: opts.version } : {}) }
    : opts.version
      ? ({ version: opts.version } as Manifest)
      : null;
  let next = await expectedBundledManifest(base);
  const same = current !== null && manifestText({ ...next, created: current.created }) === manifestText(current);
  if (same) return { changed: false, manifest: current };
  next = { ...next, created: new Date().toISOString() };
  await writeFile(join(REPO_ROOT, BUNDLED_MANIFEST), manifestText(next));
  return { changed: true, manifest: next };
}
