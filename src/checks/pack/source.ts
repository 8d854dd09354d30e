/**
 * Reading a pack (a directory, or a .tar / .tar.gz file) into memory as `path → bytes`, refusing
 * anything unsafe on the way: symbolic and hard links, devices, absolute or `..` names, duplicate
 * names, oversized files or archives (a decompression bomb stops at the cap). Nothing from the pack
 * reaches the file system here; names are only compared against the manifest later.
 */
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { EdgewatchError } from '../../errors.js';
import { MANIFEST_NAME, PACK_LIMITS } from './manifest.js';

/** A pack read into memory: every regular file, by its `/`-separated name relative to the root. */
export interface PackContents {
  /** What was read (for messages). */
  source: string;
  files: Map<string, Buffer>;
}

function unsafe(source: string, message: string): EdgewatchError {
  return new EdgewatchError('EW_PACK_UNSAFE', `refused: ${message}; nothing was changed`, { file: source });
}

/** Normalise an archive name; throws for absolute, `..`, backslash or control-character names. */
function cleanName(source: string, raw: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) throw unsafe(source, `entry name with a control character or backslash: ${JSON.stringify(raw)}`);
  let name = raw;
  while (name.startsWith('./')) name = name.slice(2);
  name = name.replace(/\/+$/, '');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw unsafe(source, `absolute path in the pack: ${JSON.stringify(raw)}`);
  const parts = name.split('/');
  if (parts.some((p) => p === '..')) throw unsafe(source, `path traversal in the pack: ${JSON.stringify(raw)}`);
  if (parts.some((p) => p === '' || p === '.')) throw unsafe(source, `malformed entry name: ${JSON.stringify(raw)}`);
  return name;
}

/** When every name sits under one top-level folder that holds manifest.json, drop that folder. */
function stripCommonRoot(files: Map<string, Buffer>, dirs: Set<string>): Map<string, Buffer> {
  if (files.has(MANIFEST_NAME)) return files;
  const names = [...files.keys()];
  const top = names[0]?.split('/')[0];
  if (!top || !files.has(`${top}/${MANIFEST_NAME}`)) return files;
  if (!names.every((n) => n.startsWith(`${top}/`))) return files;
  if (![...dirs].every((d) => d === top || d.startsWith(`${top}/`))) return files;
  const out = new Map<string, Buffer>();
  for (const [n, b] of files) out.set(n.slice(top.length + 1), b);
  return out;
}

class Budget {
  total = 0;
  count = 0;
  constructor(readonly source: string) {}
  add(name: string, size: number): void {
    if (size > PACK_LIMITS.fileBytes) throw unsafe(this.source, `${name} is ${size} bytes, more than the ${PACK_LIMITS.fileBytes}-byte limit per file`);
    this.total += size;
    this.count++;
    if (this.count > PACK_LIMITS.files) throw unsafe(this.source, `more than ${PACK_LIMITS.files} files`);
    if (this.total > PACK_LIMITS.totalBytes) throw unsafe(this.source, `more than ${PACK_LIMITS.totalBytes} bytes of files (decompressed)`);
  }
}

async function readDir(root: string): Promise<PackContents> {
  const files = new Map<string, Buffer>();
  const budget = new Budget(root);
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    if (depth > 8) throw unsafe(root, `folders nested deeper than 8 levels at ${prefix}`);
    for (const name of (await readdir(dir)).sort()) {
      const rel = prefix ? `${prefix}/${name}` : name;
      cleanName(root, rel);
      const p = join(dir, name);
      const s = await lstat(p);
      if (s.isSymbolicLink()) throw unsafe(root, `symbolic link in the pack: ${rel}`);
      if (s.isDirectory()) await walk(p, rel, depth + 1);
      else if (s.isFile()) {
        if (s.nlink > 1) throw unsafe(root, `hard-linked file in the pack: ${rel}`);
        budget.add(rel, s.size);
        files.set(rel, await readFile(p));
      } else throw unsafe(root, `not a regular file: ${rel}`);
    }
  };
  await walk(root, '', 0);
  return { source: root, files };
}

async function readTar(file: string, size: number): Promise<PackContents> {
  if (size > PACK_LIMITS.archiveBytes) throw unsafe(file, `the archive is ${size} bytes, more than the ${PACK_LIMITS.archiveBytes}-byte limit`);
  const data = await readFile(file);
  const files = new Map<string, Buffer>();
  const dirs = new Set<string>();
  const budget = new Budget(file);
  let failure: unknown = null;
  let entries = 0;
  const parser = new Parser({
    strict: true,
    maxMetaEntrySize: 64 * 1024,
    onReadEntry: (entry: ReadEntry) => {
      if (failure) {
        entry.resume();
        return;
      }
      try {
        // Folders count too: an archive of a million empty folders is a bomb as well.
        if (++entries > 2 * PACK_LIMITS.files) throw unsafe(file, `more than ${2 * PACK_LIMITS.files} entries in the archive`);
        const name = cleanName(file, entry.path);
        switch (entry.type) {
          case 'Directory':
            dirs.add(name);
            entry.resume();
            return;
          case 'File':
          case 'OldFile':
          case 'ContiguousFile':
            break;
          case 'SymbolicLink':
            throw unsafe(file, `symbolic link in the pack: ${name}`);
          case 'Link':
            throw unsafe(file, `hard link in the pack: ${name}`);
          default:
            throw unsafe(file, `entry ${name} is a ${entry.type}, not a regular file`);
        }
        if (files.has(name)) throw unsafe(file, `${name} appears twice in the archive`);
        budget.add(name, entry.size);
        const chunks: Buffer[] = [];
        let got = 0;
        entry.on('data', (c: Buffer) => {
          got += c.length;
          if (got <= PACK_LIMITS.fileBytes) chunks.push(c);
        });
        entry.on('end', () => files.set(name, Buffer.concat(chunks)));
      } catch (e) {
        failure = e;
        entry.resume();
        parser.abort(e as Error);
      }
    },
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('error', (e: Error) => reject(failure ?? e));
    parser.on('abort', (e: Error) => reject(failure ?? e));
    parser.on('end', () => resolve());
    parser.end(data);
  }).catch((e: unknown) => {
    if (e instanceof EdgewatchError) throw e;
    throw new EdgewatchError('EW_PACK_READ', `not a readable tar / tar.gz archive: ${(e as Error).message}`, { file, cause: e });
  });
  if (failure) throw failure;
  if (files.size === 0) throw new EdgewatchError('EW_PACK_READ', 'not a readable tar / tar.gz archive (no files in it)', { file });
  return { source: file, files: stripCommonRoot(files, dirs) };
}

/** Read a pack from a directory or a .tar / .tar.gz / .tgz file. */
export async function readPack(path: string): Promise<PackContents> {
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await lstat(path);
    if (s.isSymbolicLink()) s = await stat(path);
  } catch (e) {
    throw new EdgewatchError('EW_PACK_READ', `cannot read the pack: ${(e as Error).message}`, { file: path, cause: e });
  }
  if (s.isDirectory()) return readDir(path);
  if (!s.isFile()) throw new EdgewatchError('EW_PACK_READ', 'the pack is neither a directory nor a file', { file: path });
  return readTar(path, s.size);
}
