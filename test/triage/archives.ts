/**
 * Hand-made archives for the hostile-input tests: tar entries with any name and type (node-tar's
 * Header), zip files with any name, mode and (even lying) sizes, and bombs that are small on disk
 * but inflate to gigabytes — built by repeating one compressed chunk, so making them is instant.
 */
import { constants, crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { Header } from 'tar';

export function tarEntry(
  name: string,
  body: Buffer | string = '',
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' = 'File',
  linkpath?: string,
  size?: number,
): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const h = new Header({
    path: name,
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: size ?? (type === 'File' ? b.length : 0),
    mtime: new Date(1_579_500_000_000),
    type,
    linkpath,
  });
  const block = Buffer.alloc(512);
  h.encode(block, 0);
  if (type !== 'File' || size !== undefined) return block;
  const pad = Buffer.alloc((512 - (b.length % 512)) % 512);
  return Buffer.concat([block, b, pad]);
}

export const TAR_END = Buffer.alloc(1024);

export function tar(entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, TAR_END]);
}

/** gzip members concatenated: `head`, then `zerosMiB` MiB of zeros, then `tail` (one valid gzip stream). */
export function gzipWithZeros(head: Buffer, zerosMiB: number, tail: Buffer): Buffer {
  const mib = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
  return Buffer.concat([gzipSync(head), ...Array.from({ length: zerosMiB }, () => mib), gzipSync(tail)]);
}

export interface ZipItem {
  name: string;
  data?: Buffer | string;
  /** Unix mode incl. type (default regular 0644). */
  mode?: number;
  /** Pre-deflated data with its real size and CRC (for bombs). */
  raw?: { deflated: Buffer; size: number; crc: number };
  /** Declared uncompressed size (a lie when set). */
  declaredSize?: number;
}

/** A minimal zip (deflate, no zip64). */
export function zip(items: ZipItem[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const it of items) {
    const name = Buffer.from(it.name, 'utf8');
    let deflated: Buffer;
    let size: number;
    let crc: number;
    if (it.raw) ({ deflated, size, crc } = it.raw);
    else {
      const d = typeof it.data === 'string' ? Buffer.from(it.data) : (it.data ?? Buffer.alloc(0));
      deflated = deflateRawSync(d);
      size = d.length;
      crc = crc32(d);
    }
    const usize = it.declaredSize ?? size;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(0x800, 6);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(crc >>> 0, 14);
    lh.writeUInt32LE(deflated.length, 18);
    lh.writeUInt32LE(usize, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, deflated);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE((3 << 8) | 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(0x800, 8);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(crc >>> 0, 16);
    ch.writeUInt32LE(deflated.length, 20);
    ch.writeUInt32LE(usize, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(((it.mode ?? 0o100644) << 16) >>> 0, 38);
    ch.writeUInt32LE(offset, 42);
    centrals.push(ch, name);
    offset += 30 + name.length + deflated.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Raw deflate of `mib` MiB of zeros, built from one sync-flushed chunk repeated. */
export function deflatedZeros(mib: number): { deflated: Buffer; size: number; crc: number } {
  const zero = Buffer.alloc(1024 * 1024);
  const chunk = deflateRawSync(zero, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  let crc = 0;
  for (let i = 0; i < mib; i++) crc = crc32(zero, crc);
  return {
    deflated: Buffer.concat([...Array.from({ length: mib }, () => chunk), Buffer.from([0x03, 0x00])]),
    size: mib * 1024 * 1024,
    crc,
  };
}
