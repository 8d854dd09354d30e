/**
 * A minimal MaxMind DB writer for tests (no writer library is installed): builds a valid .mmdb
 * (search tree, data section, metadata) from a list of networks and records, so GeoLite2-Country
 * and GeoLite2-ASN shaped files can be imported without shipping MaxMind's data. Supports maps,
 * strings, uint16/32 and arrays; 24-bit records; ip_version 4 or 6 (IPv4 at ::/96).
 */
import { parseIPv4, parseIPv6 } from '../../src/scope/ip.js';

type Value = string | number | boolean | Value[] | { [k: string]: Value };

function ctrl(type: number, size: number): Buffer {
  const ext = type > 7;
  const first = (ext ? 0 : type) << 5;
  const parts: number[] = [];
  let sizeBytes: number[] = [];
  let s5: number;
  if (size < 29) s5 = size;
  else if (size < 285) {
    s5 = 29;
    sizeBytes = [size - 29];
  } else if (size < 65821) {
    s5 = 30;
    const v = size - 285;
    sizeBytes = [v >> 8, v & 255];
  } else {
    s5 = 31;
    const v = size - 65821;
    sizeBytes = [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  parts.push(first | s5);
  if (ext) parts.push(type - 7);
  parts.push(...sizeBytes);
  return Buffer.from(parts);
}

function uintBytes(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0) {
    out.unshift(v % 256);
    v = Math.floor(v / 256);
  }
  return Buffer.from(out);
}

export function encode(v: Value, uintType: 5 | 6 = 6): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([ctrl(2, b.length), b]);
  }
  if (typeof v === 'number') {
    const b = uintBytes(v);
    return Buffer.concat([ctrl(v > 0xffffffff ? 9 : uintType, b.length), b]);
  }
  if (typeof v === 'boolean') return ctrl(14, v ? 1 : 0);
  if (Array.isArray(v)) return Buffer.concat([ctrl(11, v.length), ...v.map((x) => encode(x))]);
  const keys = Object.keys(v);
  return Buffer.concat([ctrl(7, keys.length), ...keys.flatMap((k) => [encode(k), encode(v[k] as Value)])]);
}

export interface MmdbNetwork {
  /** CIDR text (IPv4 or IPv6). */
  cidr: string;
  record: { [k: string]: Value };
}

interface Node {
  l: Node | number | null; // number = data offset
  r: Node | number | null;
  id?: number;
}

function bitsOf(cidr: string, ipVersion: 4 | 6): { bits: number[] } {
  const [addr, lenText] = cidr.split('/');
  const len = Number(lenText);
  const v4 = parseIPv4(addr);
  let value: bigint;
  let total: number;
  let prefixLen: number;
  if (v4 >= 0) {
    if (ipVersion === 4) {
      value = BigInt(v4);
      total = 32;
      prefixLen = len;
    } else {
      value = BigInt(v4);
      total = 128;
      prefixLen = 96 + len;
    }
  } else {
    if (ipVersion === 4) throw new Error('IPv6 network in an IPv4 database');
    value = parseIPv6(addr) as bigint;
    total = 128;
    prefixLen = len;
  }
  const bits: number[] = [];
  for (let i = 0; i < prefixLen; i++) bits.push(Number((value >> BigInt(total - 1 - i)) & 1n));
  return { bits };
}

export function writeMmdb(opts: { databaseType: string; ipVersion: 4 | 6; networks: MmdbNetwork[]; buildEpoch?: number }): Buffer {
  // data section: one encoded record per distinct JSON
  const dataParts: Buffer[] = [];
  const offsets = new Map<string, number>();
  let dataLen = 0;
  const root: Node = { l: null, r: null };
  for (const n of opts.networks) {
    const key = JSON.stringify(n.record);
    let off = offsets.get(key);
    if (off === undefined) {
      off = dataLen;
      const enc = encode(n.record);
      dataParts.push(enc);
      dataLen += enc.length;
      offsets.set(key, off);
    }
    const { bits } = bitsOf(n.cidr, opts.ipVersion);
    let node = root;
    for (let i = 0; i < bits.length; i++) {
      const side = bits[i] ? 'r' : 'l';
      if (i === bits.length - 1) {
        node[side] = off;
      } else {
        let next = node[side];
        if (next === null) {
          next = { l: null, r: null };
          node[side] = next;
        }
        if (typeof next === 'number') throw new Error('overlapping networks');
        node = next;
      }
    }
  }
  // number the nodes breadth-first
  const nodes: Node[] = [];
  const queue: Node[] = [root];
  while (queue.length) {
    const n = queue.shift() as Node;
    n.id = nodes.length;
    nodes.push(n);
    for (const c of [n.l, n.r]) if (c && typeof c === 'object') queue.push(c);
  }
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 6);
  const rec = (c: Node | number | null): number => (c === null ? nodeCount : typeof c === 'number' ? nodeCount + 16 + c : (c.id as number));
  nodes.forEach((n, i) => {
    tree.writeUIntBE(rec(n.l), i * 6, 3);
    tree.writeUIntBE(rec(n.r), i * 6 + 3, 3);
  });
  const meta = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: opts.ipVersion,
    database_type: opts.databaseType,
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: opts.buildEpoch ?? 1_750_000_000,
    description: { en: 'edgewatch test database' },
  });
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...dataParts,
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com', 'latin1'),
    meta,
  ]);
}
