/**
 * The Collection contract (types.ts) over any backing: an index of sanitised entries built by
 * the directory, tar and zip readers, plus `openCollection(path)` that picks the reader. Every
 * reader hands `buildIndex` raw entries; this module refuses hostile names and non-regular
 * entries, strips one top-level folder, applies the size caps and maps names onto the layout.
 */
import { PassThrough, type Readable, Transform } from 'node:stream';
import { EdgewatchError } from '../errors.js';
import { fileCap, humanBytes, type TriageLimits } from './limits.js';
import { cleanName, commonTop, layoutOf, showName } from './names.js';
import type { Collection, CollectionFile } from './types.js';

/** What a reader found in its backing, before sanitising. */
export interface RawEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'device' | 'other';
  size: number;
  /** Raw bytes of a regular file (at most `size` are let through). */
  open?: () => Readable;
  /** Reader-specific refusal (encrypted zip entry, …): skipped with this reason. */
  refuse?: string;
}

interface Source {
  size: number;
  open: () => Readable;
}

/** A stream that fails once more than `max` bytes went through (declared sizes are binding). */
export function capStream(max: number, label: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) cb(new EdgewatchError('EW_TRIAGE_TOO_LARGE', `${label}: more data than its declared ${humanBytes(max)} (stopped)`));
      else cb(null, chunk);
    },
  });
}

/** Pipe `src` through a cap, forwarding errors (the caller gets one stream to consume). */
export function capped(src: Readable, max: number, label: string): Readable {
  const cap = capStream(max, label);
  src.on('error', (e) => cap.destroy(e));
  cap.on('close', () => src.destroy());
  return src.pipe(cap);
}

export class IndexedCollection implements Collection {
  readonly name: string;
  readonly warnings: string[];
  readonly #files: Map<string, Source>;
  readonly #meta: Map<string, Source>;
  readonly #list: CollectionFile[];
  readonly #limits: TriageLimits;
  readonly #onClose: () => Promise<void>;
  readonly manifest: Source | undefined;
  #closed = false;

  constructor(
    name: string,
    parts: { files: Map<string, Source>; meta: Map<string, Source>; manifest?: Source },
    warnings: string[],
    limits: TriageLimits,
    onClose: () => Promise<void>,
  ) {
    this.name = name;
    this.#files = parts.files;
    this.#meta = parts.meta;
    this.manifest = parts.manifest;
    this.warnings = warnings;
    this.#limits = limits;
    this.#onClose = onClose;
    this.#list = [...parts.files].map(([path, s]) => ({ path, size: s.size })).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  files(): readonly CollectionFile[] {
    return this.#list;
  }

  has(path: string): boolean {
    return this.#files.has(path);
  }

  /** Names of the `meta/` files present. */
  metaNames(): string[] {
    return [...this.#meta.keys()].sort();
  }

  open(path: string): NodeJS.ReadableStream {
    const s = this.#files.get(path);
    if (!s) {
      const p = new PassThrough();
      process.nextTick(() => p.destroy(new EdgewatchError('EW_TRIAGE_NO_FILE', `the collection has no file ${path}`)));
      return p;
    }
    return capped(s.open(), s.size, path);
  }

  async meta(name: string): Promise<string | null> {
    const s = this.#meta.get(name);
    if (!s) return null;
    const max = this.#limits.maxMetaBytes;
    const chunks: Buffer[] = [];
    let got = 0;
    const stream = capped(s.open(), s.size, `meta/${name}`);
    try {
      for await (const c of stream) {
        const b = c as Buffer;
        const room = max - got;
        chunks.push(b.length > room ? b.subarray(0, room) : b);
        got += Math.min(b.length, room);
        if (got >= max) break;
      }
    } catch (e) {
      this.warnings.push(`meta/${name}: read failed (${(e as Error).message}); using what was read`);
    } finally {
      stream.destroy();
    }
    if (s.size > max)
      this.warnings.push(`meta/${name}: ${humanBytes(s.size)} is over the ${humanBytes(max)} cap; read the first part only`);
    return Buffer.concat(chunks).toString('utf8');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#onClose();
  }
}

/** Sanitise raw entries into a collection index (see module comment). */
export function buildIndex(
  name: string,
  raw: RawEntry[],
  warnings: string[],
  limits: TriageLimits,
  onClose: () => Promise<void>,
): IndexedCollection {
  const clean: Array<{ parts: string[]; e: RawEntry }> = [];
  let skippedShown = 0;
  let skipped = 0;
  const skip = (msg: string) => {
    skipped++;
    if (skippedShown++ < 50) warnings.push(msg);
  };
  for (const e of raw) {
    const c = cleanName(e.name);
    if (!c.ok) {
      skip(`skipped entry ${showName(e.name)}: ${c.reason}`);
      continue;
    }
    if (e.refuse !== undefined) {
      skip(`skipped entry ${showName(e.name)}: ${e.refuse}`);
      continue;
    }
    if (e.type !== 'file' && e.type !== 'dir') {
      skip(`skipped entry ${showName(e.name)}: ${e.type === 'other' ? 'not a regular file' : e.type} (never followed)`);
      continue;
    }
    clean.push({ parts: c.parts, e });
  }
  if (skipped > skippedShown) warnings.push(`… and ${skipped - skippedShown} more skipped entries`);
  const top = commonTop(clean.map((c) => c.parts));
  const files = new Map<string, Source>();
  const meta = new Map<string, Source>();
  let manifest: Source | undefined;
  let total = 0;
  let sawLayout = false;
  for (const { parts, e } of clean) {
    const rel = top !== null ? parts.slice(1) : parts;
    if (rel.length === 0) continue;
    const where = layoutOf(rel);
    if (where.kind !== 'other' || rel[0] === 'fs' || rel[0] === 'meta') sawLayout = true;
    if (e.type !== 'file' || !e.open) continue;
    if (where.kind === 'other') continue;
    const label = where.kind === 'fs' ? where.path : where.kind === 'meta' ? `meta/${where.name}` : 'MANIFEST.sha256';
    const cap = fileCap(limits, label);
    if (e.size > cap) {
      warnings.push(`skipped ${label}: ${humanBytes(e.size)} is over the per-file cap of ${humanBytes(cap)} (not read)`);
      continue;
    }
    if (total + e.size > limits.maxTotalBytes) {
      warnings.push(`skipped ${label}: the collection's files exceed the total cap of ${humanBytes(limits.maxTotalBytes)} (not read)`);
      continue;
    }
    total += e.size;
    const src: Source = { size: e.size, open: e.open };
    if (where.kind === 'fs') {
      if (files.has(where.path)) warnings.push(`duplicate entry for ${where.path}: the later one is used`);
      files.set(where.path, src);
    } else if (where.kind === 'meta') meta.set(where.name, src);
    else manifest = src;
  }
  if (!sawLayout) {
    throw new EdgewatchError(
      'EW_TRIAGE_NOT_COLLECTION',
      `${name} is not an edgewatch collection: no fs/, meta/ or MANIFEST.sha256 inside (make one with \`edgewatch collect-script\`)`,
      { file: name },
    );
  }
  return new IndexedCollection(name, { files, meta, manifest }, warnings, limits, onClose);
}
