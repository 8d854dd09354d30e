/**
 * Test collections for the log analysers: an in-memory one (files given as strings/Buffers,
 * streamed in small chunks so line splitting across chunks is exercised) and a directory-backed
 * one (`fs/<absolute path>` under a temp dir, like a real collection).
 */
import { createReadStream, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { Collection, CollectionFile } from '../../../src/triage/types.js';

export class MemCollection implements Collection {
  readonly name = 'mem';
  readonly warnings: string[] = [];
  private readonly data = new Map<string, Buffer>();

  constructor(
    files: Record<string, string | Buffer>,
    private readonly metaFiles: Record<string, string> = {},
    private readonly chunk = 4096,
  ) {
    for (const [p, v] of Object.entries(files)) this.data.set(p, typeof v === 'string' ? Buffer.from(v, 'latin1') : v);
  }
  files(): readonly CollectionFile[] {
    return [...this.data].map(([path, b]) => ({ path, size: b.length }));
  }
  has(path: string): boolean {
    return this.data.has(path);
  }
  open(path: string): NodeJS.ReadableStream {
    const b = this.data.get(path);
    if (!b) throw new Error(`no ${path}`);
    const size = this.chunk;
    return Readable.from(
      (function* () {
        for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
      })(),
    );
  }
  async meta(name: string): Promise<string | null> {
    return this.metaFiles[name] ?? null;
  }
  async close(): Promise<void> {}
}

/** A collection on disk: `root/fs/<path>` files, `root/meta/*`. */
export class DirCollection implements Collection {
  readonly warnings: string[] = [];
  private readonly list: CollectionFile[] = [];
  constructor(readonly name: string) {
    const fs = join(name, 'fs');
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) this.list.push({ path: `/${relative(fs, p)}`, size: statSync(p).size });
      }
    };
    walk(fs);
  }
  files(): readonly CollectionFile[] {
    return this.list;
  }
  has(path: string): boolean {
    return this.list.some((f) => f.path === path);
  }
  open(path: string): NodeJS.ReadableStream {
    return createReadStream(join(this.name, 'fs', path), { highWaterMark: 1024 * 1024 });
  }
  async meta(name: string): Promise<string | null> {
    try {
      const { readFileSync } = await import('node:fs');
      return readFileSync(join(this.name, 'meta', name), 'utf8');
    } catch {
      return null;
    }
  }
  async close(): Promise<void> {}
}

/** Writes `files` (appliance path → content) under `root/fs`, gzip when `gz` lists the path. */
export function writeCollection(root: string, files: Record<string, string | Buffer>, gz: string[] = []): void {
  for (const [p, v] of Object.entries(files)) {
    const abs = join(root, 'fs', p);
    mkdirSync(dirname(abs), { recursive: true });
    const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
    writeFileSync(abs, gz.includes(p) ? gzipSync(b) : b);
  }
}

/** An access-log line in Apache combined format. */
export function access(ip: string, time: string, req: string, status: number, size: number | '-' = 1234, ua = 'Mozilla/5.0'): string {
  return `${ip} - - [${time}] "${req}" ${status} ${size} "-" "${ua}"`;
}
