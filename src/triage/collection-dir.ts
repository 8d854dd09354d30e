/**
 * Directory collections: walks the tree with lstat semantics (symlinks, devices, sockets and
 * FIFOs are listed as such and skipped, never followed), bounded in entry count; files are opened
 * with O_NOFOLLOW so a file swapped for a link after listing is refused. Nothing is written.
 */
import { constants, createReadStream, openSync } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { EdgewatchError } from '../errors.js';
import { buildIndex, type IndexedCollection, type RawEntry } from './collection.js';
import type { TriageLimits } from './limits.js';

const NOFOLLOW = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);

/** A read stream on a regular file, refusing to follow a link swapped in after listing. */
function openNoFollow(abs: string): Readable {
  try {
    const fd = openSync(abs, NOFOLLOW);
    return createReadStream('', { fd, highWaterMark: 1024 * 1024 });
  } catch (e) {
    const p = new PassThrough();
    process.nextTick(() => p.destroy(e as Error));
    return p;
  }
}

export async function openDirCollection(root: string, limits: TriageLimits, signal?: AbortSignal): Promise<IndexedCollection> {
  const raw: RawEntry[] = [];
  const warnings: string[] = [];
  const stack: string[] = [''];
  while (stack.length > 0) {
    signal?.throwIfAborted();
    const rel = stack.pop() as string;
    let dir: Awaited<ReturnType<typeof opendir>>;
    try {
      dir = await opendir(join(root, rel));
    } catch (e) {
      warnings.push(`cannot list ${rel || '.'}: ${(e as Error).message}`);
      continue;
    }
    for await (const d of dir) {
      if (raw.length >= limits.maxEntries) {
        throw new EdgewatchError('EW_TRIAGE_TOO_LARGE', `more than ${limits.maxEntries} entries in the collection directory (stopped)`, {
          file: root,
        });
      }
      const name = rel ? `${rel}/${d.name}` : d.name;
      const abs = join(root, name);
      if (d.isDirectory()) {
        raw.push({ name, type: 'dir', size: 0 });
        stack.push(name);
      } else if (d.isFile()) {
        const st = await lstat(abs).catch(() => null);
        if (!st?.isFile()) continue;
        raw.push({ name, type: 'file', size: st.size, open: () => openNoFollow(abs) });
      } else if (d.isSymbolicLink()) raw.push({ name, type: 'symlink', size: 0 });
      else if (d.isBlockDevice() || d.isCharacterDevice()) raw.push({ name, type: 'device', size: 0 });
      else raw.push({ name, type: 'other', size: 0 });
    }
  }
  return buildIndex(root, raw, warnings, limits, async () => {});
}
