/**
 * openCollection(path): recognise a collection's backing (directory, .tar, .tar.gz/.tgz, .zip; by
 * content first, then by name) and open it with the matching reader.
 */
import { open as openFile, stat } from 'node:fs/promises';
import { EdgewatchError } from '../errors.js';
import type { IndexedCollection } from './collection.js';
import { openDirCollection } from './collection-dir.js';
import { openTarCollection } from './collection-tar.js';
import { openZipCollection } from './collection-zip.js';
import { resolveLimits, type TriageLimits } from './limits.js';

/** Options of openCollection. */
export interface OpenOptions {
  limits?: Partial<TriageLimits>;
  signal?: AbortSignal;
}

type Kind = 'dir' | 'tar' | 'tgz' | 'zip';

async function sniff(path: string): Promise<Kind | null> {
  const fh = await openFile(path, 'r');
  try {
    const b = Buffer.alloc(512);
    const { bytesRead } = await fh.read(b, 0, 512, 0);
    if (bytesRead >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'tgz';
    if (bytesRead >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6)) return 'zip';
    if (bytesRead >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  } finally {
    await fh.close();
  }
  if (/\.(tar\.gz|tgz)$/i.test(path)) return 'tgz';
  if (/\.tar$/i.test(path)) return 'tar';
  if (/\.zip$/i.test(path)) return 'zip';
  return null;
}

/**
 * Open a collection: a directory, `.tar`, `.tar.gz`/`.tgz` or `.zip` (recognised by content,
 * then by name). Throws EW_TRIAGE_NOT_FOUND, EW_TRIAGE_UNSUPPORTED, EW_TRIAGE_ARCHIVE_CORRUPT,
 * EW_TRIAGE_TOO_LARGE or EW_TRIAGE_NOT_COLLECTION.
 */
export async function openCollection(path: string, opts: OpenOptions = {}): Promise<IndexedCollection> {
  const limits = resolveLimits(opts.limits);
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (cause) {
    throw new EdgewatchError('EW_TRIAGE_NOT_FOUND', `cannot open the collection: ${(cause as Error).message}`, { file: path, cause });
  }
  if (st.isDirectory()) {
    return openDirCollection(path, limits, opts.signal);
  }
  if (!st.isFile()) throw new EdgewatchError('EW_TRIAGE_UNSUPPORTED', 'not a directory or an archive file', { file: path });
  const kind = await sniff(path);
  if (kind === 'zip') {
    return openZipCollection(path, limits, opts.signal);
  }
  if (kind === 'tar' || kind === 'tgz') {
    return openTarCollection(path, kind === 'tgz', limits, opts.signal);
  }
  throw new EdgewatchError('EW_TRIAGE_UNSUPPORTED', 'unknown archive format (expected a directory, .tar, .tar.gz, .tgz or .zip)', {
    file: path,
  });
}
