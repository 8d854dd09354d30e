/**
 * Zip collections, read in place through yauzl's central directory (random access; nothing is
 * extracted). Names are decoded here (yauzl's own validation would abort the whole archive on
 * the first hostile name) and sanitised by buildIndex. Unix symlinks and other non-regular modes
 * are skipped; encrypted entries are skipped. Inflation is checked against the declared size
 * (yauzl validateEntrySizes plus our own cap), so a lying entry stops with an error instead of
 * filling memory or disk; declared sizes over the caps are skipped before anything is inflated.
 */
import { PassThrough, type Readable } from 'node:stream';
import yauzl from 'yauzl';
import { EdgewatchError } from '../errors.js';
import { buildIndex, type IndexedCollection, type RawEntry } from './collection.js';
import type { TriageLimits } from './limits.js';

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false },
      (err, zf) => (err ? rej(err) : res(zf)),
    );
  });
}

function entryType(e: yauzl.Entry, name: string): RawEntry['type'] {
  const unixMode = (e.externalFileAttributes >>> 16) & 0o170000;
  const madeBy = e.versionMadeBy >> 8;
  if (madeBy === 3 && unixMode !== 0) {
    if (unixMode === 0o120000) return 'symlink';
    if (unixMode === 0o040000) return 'dir';
    if (unixMode === 0o020000 || unixMode === 0o060000) return 'device';
    if (unixMode !== 0o100000) return 'other';
  }
  return name.endsWith('/') ? 'dir' : 'file';
}

export async function openZipCollection(path: string, limits: TriageLimits, signal?: AbortSignal): Promise<IndexedCollection> {
  let zf: yauzl.ZipFile;
  try {
    zf = await openZip(path);
  } catch (cause) {
    throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `not a readable zip archive: ${(cause as Error).message}`, { file: path, cause });
  }
  if (zf.entryCount > limits.maxEntries) {
    zf.close();
    throw new EdgewatchError('EW_TRIAGE_TOO_LARGE', `the zip holds ${zf.entryCount} entries, more than the cap of ${limits.maxEntries}`, {
      file: path,
    });
  }
  const raw: RawEntry[] = [];
  const warnings: string[] = [];
  try {
    await new Promise<void>((res, rej) => {
      const onAbort = () => rej(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      zf.on('error', (e: Error) =>
        rej(new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `corrupt zip: ${e.message}`, { file: path, cause: e })),
      );
      zf.on('end', () => res());
      zf.on('entry', (e: yauzl.Entry) => {
        const rawName = (e as yauzl.Entry & { fileNameRaw?: Buffer }).fileNameRaw ?? Buffer.from(String(e.fileName), 'latin1');
        const name = rawName.toString(e.generalPurposeBitFlag & 0x800 ? 'utf8' : 'latin1');
        const type = entryType(e, name);
        if (type !== 'file') raw.push({ name, type, size: 0 });
        else if (e.isEncrypted()) raw.push({ name, type, size: e.uncompressedSize, refuse: 'encrypted entry' });
        else {
          raw.push({
            name,
            type,
            size: e.uncompressedSize,
            open: () => {
              const out = new PassThrough();
              zf.openReadStream(e, (err, s: Readable) => {
                if (err) out.destroy(new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `zip entry ${name}: ${err.message}`, { cause: err }));
                else {
                  s.on('error', (x: Error) =>
                    out.destroy(new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `zip entry ${name}: ${x.message} (stopped)`, { cause: x })),
                  );
                  out.on('close', () => s.destroy());
                  s.pipe(out);
                }
              });
              return out;
            },
          });
        }
        zf.readEntry();
      });
      zf.readEntry();
    });
  } catch (e) {
    zf.close();
    throw e;
  }
  try {
    return buildIndex(path, raw, warnings, limits, async () => zf.close());
  } catch (e) {
    zf.close();
    throw e;
  }
}
