/**
 * Test helpers for check packs: a hand-rolled tar writer (so tests can build hostile archives that
 * node-tar's own writer would refuse to produce: `..` names, links, lying sizes), a snapshot of a
 * folder tree (to prove a refused pack changed nothing), and a valid extra check file.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { DEFAULT_CHECKS_DIR } from '../../src/checks/index.js';

export interface TarEntry {
  name: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  data?: Buffer | string;
  linkpath?: string;
  /** Size written in the header (default: the data length). */
  size?: number;
}

/** A gzipped tar built block by block. */
export function tarGz(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    const type = e.type ?? 'File';
    const h = new Header({
      path: e.name,
      mode: type === 'Directory' ? 0o755 : 0o644,
      size: type === 'File' ? (e.size ?? data.length) : 0,
      mtime: new Date('2026-11-23T00:00:00Z'),
      type,
      linkpath: e.linkpath ?? '',
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && data.length > 0) {
      blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** Every file and folder under `dir` with a hash of its content (empty when `dir` is absent). */
export function snapshot(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const r = rel ? `${rel}/${n}` : n;
      const s = lstatSync(p);
      if (s.isDirectory()) {
        out.push(`${r}/`);
        walk(p, r);
      } else out.push(`${r} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16)}`);
    }
  };
  walk(dir, '');
  return out;
}

/** A valid new cve check (a copy of CVE-2019-19781 under another id), as `checks/<id>.yaml` text. */
export function extraCheck(id = 'CVE-2099-0001'): { path: string; text: string } {
  const text = readFileSync(join(DEFAULT_CHECKS_DIR, 'CVE-2019-19781.yaml'), 'utf8').replaceAll('CVE-2019-19781', id);
  return { path: `checks/${id}.yaml`, text };
}
