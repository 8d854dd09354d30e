/**
 * Tar collections (.tar, .tar.gz, .tgz) read entry by entry, never extracted under archive names.
 * Headers are decoded with node-tar's `Header` and `Pax` (ustar, pax extended headers, GNU long
 * names). A plain .tar is indexed in place (files are byte ranges of the archive). A gzipped tar
 * is decompressed once, streaming; the bodies of kept regular files are appended to one private
 * blob file in a fresh mkdtemp directory (mode 0700) and served as byte ranges of it, so no name
 * from the archive ever reaches the file system. The temp directory is removed on close().
 * Decompressed bytes are capped (zip-bomb style .tar.gz stops with EW_TRIAGE_TOO_LARGE).
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { type FileHandle, mkdtemp, open as openFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Header, type HeaderData, Pax } from 'tar';
import { EdgewatchError } from '../errors.js';
import { buildIndex, type IndexedCollection, type RawEntry } from './collection.js';
import { humanBytes, type TriageLimits } from './limits.js';

/** Sequential byte access to the (decompressed) tar stream. */
interface ByteSource {
  /** Exactly n bytes, or fewer at end of input. */
  read(n: number): Promise<Buffer>;
  /** Skip n bytes (or copy them to `sink`); returns the sink offset the copy started at. */
  take(n: number, sink: Blob | null): Promise<number>;
  readonly position: number;
  close(): Promise<void>;
}

/** The private blob file bodies of a gzipped tar are appended to. */
class Blob {
  size = 0;
  constructor(
    readonly path: string,
    readonly out: WriteStream,
  ) {}
  async write(b: Buffer): Promise<void> {
    this.size += b.length;
    if (!this.out.write(b))
      await new Promise<void>((res, rej) => {
        this.out.once('drain', res);
        this.out.once('error', rej);
      });
  }
  async end(): Promise<void> {
    await new Promise<void>((res, rej) => {
      this.out.once('error', rej);
      this.out.end(res);
    });
  }
}

class FileSource implements ByteSource {
  position = 0;
  constructor(readonly fh: FileHandle) {}
  async read(n: number): Promise<Buffer> {
    const b = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.fh.read(b, got, n - got, this.position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.position += got;
    return got === n ? b : b.subarray(0, got);
  }
  async take(n: number): Promise<number> {
    const at = this.position;
    this.position += n;
    return at;
  }
  async close(): Promise<void> {
    await this.fh.close();
  }
}

class GunzipSource implements ByteSource {
  position = 0;
  #buf: Buffer = Buffer.alloc(0);
  readonly #it: AsyncIterator<Buffer>;
  readonly #gz: ReturnType<typeof createGunzip>;
  readonly #file: ReturnType<typeof createReadStream>;
  #done = false;

  constructor(
    path: string,
    readonly maxBytes: number,
  ) {
    this.#file = createReadStream(path, { highWaterMark: 256 * 1024 });
    this.#gz = createGunzip({ chunkSize: 256 * 1024 });
    this.#file.on('error', (e) => this.#gz.destroy(e));
    this.#file.pipe(this.#gz);
    this.#it = this.#gz[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async #fill(min: number): Promise<void> {
    while (this.#buf.length < min && !this.#done) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.#it.next();
      } catch (cause) {
        throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `gzip data is corrupt: ${(cause as Error).message}`, { cause });
      }
      if (r.done) this.#done = true;
      else this.#buf = this.#buf.length === 0 ? r.value : Buffer.concat([this.#buf, r.value]);
    }
  }

  #advance(n: number): void {
    this.position += n;
    if (this.position > this.maxBytes) {
      throw new EdgewatchError(
        'EW_TRIAGE_TOO_LARGE',
        `the archive inflates past the ${humanBytes(this.maxBytes)} cap on decompressed data (stopped; a decompression bomb or an oversized collection)`,
      );
    }
  }

  async read(n: number): Promise<Buffer> {
    await this.#fill(n);
    const out = this.#buf.subarray(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    this.#advance(out.length);
    return Buffer.from(out);
  }

  async take(n: number, sink: Blob | null): Promise<number> {
    const at = sink?.size ?? 0;
    let left = n;
    while (left > 0) {
      if (this.#buf.length === 0) {
        await this.#fill(1);
        if (this.#buf.length === 0) break;
      }
      const part = this.#buf.subarray(0, Math.min(left, this.#buf.length));
      this.#buf = this.#buf.subarray(part.length);
      left -= part.length;
      this.#advance(part.length);
      if (sink) await sink.write(part);
    }
    return at;
  }

  async close(): Promise<void> {
    this.#gz.destroy();
    this.#file.destroy();
  }
}

/** Bytes [start, start+size) of a file as a stream (an empty stream for size 0). */
function rangeStream(file: string, start: number, size: number): Readable {
  if (size === 0) return Readable.from([]);
  return createReadStream(file, { start, end: start + size - 1, highWaterMark: 1024 * 1024 });
}

function typeOf(h: Header): RawEntry['type'] | 'meta' {
  switch (h.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
    case 'GNUDumpDir':
      return 'dir';
    case 'SymbolicLink':
      return 'symlink';
    case 'Link':
      return 'hardlink';
    case 'CharacterDevice':
    case 'BlockDevice':
      return 'device';
    case 'ExtendedHeader':
    case 'GlobalExtendedHeader':
    case 'NextFileHasLongPath':
    case 'NextFileHasLongLinkpath':
      return 'meta';
    default:
      return 'other';
  }
}

const pad = (n: number) => (512 - (n % 512)) % 512;
const MAX_META_HEADER = 1024 * 1024;

/** Walk the headers; `copy` decides per regular file whether its body is kept. */
async function walk(
  src: ByteSource,
  limits: TriageLimits,
  signal: AbortSignal | undefined,
  onEntry: (h: { name: string; type: RawEntry['type']; size: number }, src: ByteSource) => Promise<void>,
): Promise<void> {
  let ex: HeaderData | undefined;
  let gex: HeaderData | undefined;
  let entries = 0;
  let first = true;
  for (;;) {
    signal?.throwIfAborted();
    const block = await src.read(512);
    if (block.length === 0) {
      if (first) throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', 'empty archive');
      return; // end without the two zero blocks: tolerated
    }
    if (block.length < 512)
      throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `truncated tar header at byte ${src.position - block.length}`);
    let h: Header;
    try {
      h = new Header(block, 0, ex, gex);
    } catch (cause) {
      throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `unreadable tar header at byte ${src.position - 512}`, { cause });
    }
    if (h.nullBlock) return;
    if (!h.cksumValid) {
      throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `not a valid tar archive (bad header checksum at byte ${src.position - 512})`);
    }
    first = false;
    if (++entries > limits.maxEntries) {
      throw new EdgewatchError('EW_TRIAGE_TOO_LARGE', `more than ${limits.maxEntries} entries in the archive (stopped)`);
    }
    const size = h.size ?? 0;
    if (!Number.isSafeInteger(size) || size < 0) throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', 'bad entry size in tar header');
    const t = typeOf(h);
    if (t === 'meta') {
      if (size > MAX_META_HEADER)
        throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `tar extended header of ${humanBytes(size)} (refused)`);
      const body = await src.read(size);
      if (body.length < size) throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', 'truncated tar extended header');
      await src.take(pad(size), null);
      const text = body.toString('utf8');
      if (h.type === 'ExtendedHeader') ex = Pax.parse(text, ex, false);
      else if (h.type === 'GlobalExtendedHeader') gex = Pax.parse(text, gex, true);
      else if (h.type === 'NextFileHasLongPath') ex = { ...ex, path: text.replace(/\0.*$/s, '') };
      else ex = { ...ex, linkpath: text.replace(/\0.*$/s, '') };
      continue;
    }
    ex = undefined;
    const name = h.path ?? '';
    const bodySize = t === 'file' || t === 'other' || t === 'dir' ? size : 0;
    const before = src.position;
    await onEntry({ name, type: t, size: t === 'file' ? size : 0 }, src);
    const consumed = src.position - before;
    if (consumed < bodySize) await src.take(bodySize - consumed, null);
    await src.take(pad(bodySize), null);
    if (src.position < before + bodySize)
      throw new EdgewatchError('EW_TRIAGE_ARCHIVE_CORRUPT', `truncated tar entry ${JSON.stringify(name.slice(0, 200))}`);
  }
}

export async function openTarCollection(
  path: string,
  gzipped: boolean,
  limits: TriageLimits,
  signal?: AbortSignal,
): Promise<IndexedCollection> {
  const raw: RawEntry[] = [];
  const warnings: string[] = [];
  if (!gzipped) {
    const fh = await openFile(path, 'r');
    const src = new FileSource(fh);
    try {
      await walk(src, limits, signal, async (e) => {
        if (e.type !== 'file') return void raw.push({ name: e.name, type: e.type, size: 0 });
        const start = src.position;
        raw.push({ name: e.name, type: 'file', size: e.size, open: () => rangeStream(path, start, e.size) });
      });
    } catch (e) {
      throw withFile(e, path);
    } finally {
      await src.close();
    }
    return buildIndex(path, raw, warnings, limits, async () => {});
  }

  const dir = await mkdtemp(join(tmpdir(), 'edgewatch-triage-'));
  const cleanup = async () => {
    await rm(dir, { recursive: true, force: true });
  };
  const blobPath = join(dir, 'bodies.bin');
  const blob = new Blob(blobPath, createWriteStream(blobPath, { mode: 0o600, flags: 'wx' }));
  // Decompressed input is bounded by the total cap plus tar overhead (headers, padding).
  const src = new GunzipSource(path, limits.maxTotalBytes + limits.maxTotalBytes / 8 + 64 * 1024 * 1024);
  let kept = 0;
  try {
    await walk(src, limits, signal, async (e) => {
      if (e.type !== 'file') return void raw.push({ name: e.name, type: e.type, size: 0 });
      // Oversized files are listed (buildIndex warns) but their bodies are skipped, not copied.
      const cap = /(^|\/)fs\/var\/log\//.test(e.name) ? Math.max(limits.maxFileBytes, limits.maxLogBytes) : limits.maxFileBytes;
      if (e.size > cap || kept + e.size > limits.maxTotalBytes) {
        raw.push({
          name: e.name,
          type: 'file',
          size: e.size,
          refuse: `${humanBytes(e.size)} is over the per-file cap of ${humanBytes(cap)} or the total cap of ${humanBytes(limits.maxTotalBytes)} (not read)`,
        });
        return;
      }
      const start = await src.take(e.size, blob);
      kept += e.size;
      raw.push({ name: e.name, type: 'file', size: e.size, open: () => rangeStream(blobPath, start, e.size) });
    });
    await blob.end();
  } catch (e) {
    blob.out.destroy();
    await cleanup();
    throw withFile(e, path);
  } finally {
    await src.close();
  }
  try {
    return buildIndex(path, raw, warnings, limits, cleanup);
  } catch (e) {
    await cleanup();
    throw e;
  }
}

function withFile(e: unknown, file: string): unknown {
  if (e instanceof EdgewatchError && !e.file) return new EdgewatchError(e.code, e.message, { file, cause: e.cause });
  return e;
}
