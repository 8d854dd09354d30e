/**
 * Writing a lab collection: as a plain directory tree, or as a .tar.gz (ustar, one top-level
 * folder named after the collection, fixed mtimes and owners so the bytes are reproducible).
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EdgewatchError } from '../../errors.js';

/** Write `files` (relative path → bytes) under `dir`; stale files of an earlier collection there are removed. */
export async function writeCollectionDir(dir: string, files: ReadonlyMap<string, Buffer>): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    const existing = await listFiles(dir);
    if (existing.length > 0 && !existing.includes('MANIFEST.sha256')) {
      throw new EdgewatchError(
        'EW_LAB_COLLECTION',
        `${dir} is not empty and holds no collection (no MANIFEST.sha256): refusing to write into it`,
      );
    }
    for (const old of existing) {
      if (!files.has(old)) await rm(join(dir, old), { force: true });
    }
    for (const [rel, data] of files) {
      if (rel.startsWith('/') || rel.split('/').includes('..'))
        throw new EdgewatchError('EW_LAB_COLLECTION', `unsafe collection path ${rel}`);
      const out = join(dir, rel);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, data);
    }
  } catch (cause) {
    if (cause instanceof EdgewatchError) throw cause;
    throw new EdgewatchError('EW_LAB_COLLECTION', `cannot write collection to ${dir}: ${(cause as Error).message}`, { file: dir, cause });
  }
}

/** Relative paths (with `/`) of the regular files under `dir`. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Read a collection directory back (relative path → bytes). */
export async function readCollectionDir(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const rel of await listFiles(dir)) out.set(rel, await readFile(join(dir, rel)));
  return out;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, mtime: number, type: '0' | '5'): Buffer {
  const h = Buffer.alloc(512);
  let prefix = '';
  let short = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100)
      throw new EdgewatchError('EW_LAB_COLLECTION', `path too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    short = name.slice(cut + 1);
  }
  h.write(short, 0, 100, 'utf8');
  h.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'latin1');
  h.write(octal(0, 8), 108, 'latin1');
  h.write(octal(0, 8), 116, 'latin1');
  h.write(octal(size, 12), 124, 'latin1');
  h.write(octal(mtime, 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write('root', 265, 'latin1');
  h.write('wheel', 297, 'latin1');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return h;
}

/** A .tar.gz of the collection under the top-level folder `top`. */
export function collectionTarGz(top: string, files: ReadonlyMap<string, Buffer>, mtime: number): Buffer {
  const parts: Buffer[] = [];
  const dirs = new Set<string>();
  for (const rel of files.keys()) {
    const segs = rel.split('/');
    for (let i = 1; i < segs.length; i++) dirs.add(segs.slice(0, i).join('/'));
  }
  parts.push(header(`${top}/`, 0, mtime, '5'));
  for (const d of [...dirs].sort()) parts.push(header(`${top}/${d}/`, 0, mtime, '5'));
  for (const [rel, data] of files) {
    parts.push(header(`${top}/${rel}`, data.length, mtime, '0'), data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  const out = gzipSync(Buffer.concat(parts));
  out[9] = 3;
  return out;
}

/** Write a .tar.gz file. */
export async function writeCollectionTarGz(file: string, top: string, files: ReadonlyMap<string, Buffer>, mtime: number): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, collectionTarGz(top, files, mtime));
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_COLLECTION', `cannot write ${file}: ${(cause as Error).message}`, { file, cause });
  }
}
