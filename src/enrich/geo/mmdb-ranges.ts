/**
 * Converts a MaxMind DB (.mmdb) into a RangeTable by walking its whole search tree once: every
 * leaf becomes a range (adjacent leaves with the same country are merged for country data; AS
 * leaves are kept as the database's own networks). This is both the full validation of an
 * imported .mmdb (every node and every data record is read) and what makes lookups fast: a binary
 * search over typed arrays instead of a 32/128-step tree walk plus record decoding per address.
 * IPv4 aliases inside IPv6 trees (::ffff:0:0/96, 2002::/16) are skipped, IPv4 is read once.
 */
import { EdgewatchError } from '../../errors.js';
import { formatIPv4, formatIPv6 } from '../../scope/ip.js';
import { RangeTableBuilder, type RangeTable } from './ranges.js';
import { countryOfRecord, type MmdbReader, type MmdbRecord, mmdbGet } from './sources.js';

export type MmdbKind = 'country' | 'asn';

interface Tree {
  nodeCount: number;
  read(node: number, bit: number): number;
}

function treeOf(reader: MmdbReader, db: Buffer): Tree {
  const { nodeCount, recordSize, nodeByteSize, searchTreeSize } = reader.metadata;
  if (nodeByteSize * nodeCount !== searchTreeSize || searchTreeSize > db.length) {
    throw new Error('search tree size does not match the node count');
  }
  let read: (node: number, bit: number) => number;
  if (recordSize === 24) {
    read = (n, b) => db.readUIntBE(n * 6 + b * 3, 3);
  } else if (recordSize === 28) {
    read = (n, b) => {
      const o = n * 7;
      return b === 0 ? ((db[o + 3] & 0xf0) << 20) + db.readUIntBE(o, 3) : (db[o + 3] & 0x0f) * 0x1000000 + db.readUIntBE(o + 4, 3);
    };
  } else if (recordSize === 32) {
    read = (n, b) => db.readUInt32BE(n * 8 + b * 4);
  } else {
    throw new Error(`unsupported record size ${recordSize}`);
  }
  return { nodeCount, read };
}

export interface MmdbConversion {
  table: RangeTable;
  /** Leaves with data (before merging). */
  leaves: number;
  /** Leaves whose record had no usable value for the kind (e.g. no country code). */
  empty: number;
}

/** Which kind of data a record holds (for auto-detection). */
export function kindOfRecord(r: MmdbRecord | null): MmdbKind | null {
  if (!r) return null;
  if (typeof r.autonomous_system_number === 'number') return 'asn';
  if (countryOfRecord(r)) return 'country';
  return null;
}

/**
 * Walks the tree. The work is capped (nodes visited) so a hostile file with a cyclic tree cannot
 * spin forever; any structural problem throws (callers wrap it with the file name).
 */
export function mmdbToRangeTable(reader: MmdbReader, db: Buffer, kind: MmdbKind): MmdbConversion {
  const tree = treeOf(reader, db);
  const { nodeCount } = tree;
  const ipVersion = reader.metadata.ipVersion;
  const b = new RangeTableBuilder();
  const values = new Map<number, { asn: number; name: string | null; cc: string | null } | null>();
  let leaves = 0;
  let empty = 0;
  let visits = 0;
  const maxVisits = nodeCount * 2 + 16;

  const valueOf = (record: number, ipText: string): { asn: number; name: string | null; cc: string | null } | null => {
    let v = values.get(record);
    if (v !== undefined) return v;
    const [r] = mmdbGet(reader, ipText);
    if (kind === 'country') {
      const cc = countryOfRecord(r);
      v = cc ? { asn: 0, name: null, cc } : null;
    } else {
      const asn = r?.autonomous_system_number;
      v =
        typeof asn === 'number' && Number.isInteger(asn) && asn > 0 && asn <= 0xffffffff
          ? { asn, name: typeof r?.autonomous_system_organization === 'string' ? r.autonomous_system_organization.slice(0, 512) : null, cc: null }
          : null;
    }
    values.set(record, v);
    return v;
  };

  // IPv4 part: pending merged range.
  let pStart = -1;
  let pEnd = -1;
  let pVal: { asn: number; name: string | null; cc: string | null } | null = null;
  const flush4 = () => {
    if (pVal) b.addV4(pStart, pEnd, pVal.asn, pVal.name, pVal.cc, 0);
    pVal = null;
  };
  const emit4 = (start: number, end: number, v: { asn: number; name: string | null; cc: string | null }) => {
    if (kind === 'country' && pVal && pVal.cc === v.cc && pEnd + 1 === start) {
      pEnd = end;
      return;
    }
    flush4();
    pStart = start;
    pEnd = end;
    pVal = v;
  };

  // Ordered walk: recursion via explicit stack of (node, depth, prefix, bit) frames so leaves come
  // out in address order.
  const walk4Ordered = (root: number) => {
    const sN: number[] = [root];
    const sD: number[] = [0];
    const sP: number[] = [0];
    while (sN.length) {
      const node = sN.pop() as number;
      const depth = sD.pop() as number;
      const prefix = sP.pop() as number;
      if (node < 0) {
        // a leaf frame: node = -(record) - 1
        const rec = -node - 1;
        const size = 2 ** (32 - depth);
        leaves++;
        const v = valueOf(rec, formatIPv4(prefix));
        if (v) emit4(prefix, prefix + size - 1, v);
        else empty++;
        continue;
      }
      if (++visits > maxVisits) throw new Error('search tree has cycles');
      if (depth >= 32) throw new Error('search tree deeper than 32 bits in IPv4');
      const half = 2 ** (31 - depth);
      for (const bit of [1, 0]) {
        const rec = tree.read(node, bit);
        if (rec === nodeCount) continue;
        sN.push(rec < nodeCount ? rec : -rec - 1);
        sD.push(depth + 1);
        sP.push(prefix + bit * half);
      }
    }
    flush4();
  };

  let ipv4Start = 0;
  if (ipVersion === 6) {
    for (let i = 0; i < 96 && ipv4Start < nodeCount; i++) ipv4Start = tree.read(ipv4Start, 0);
    if (ipv4Start < nodeCount) walk4Ordered(ipv4Start);
    // IPv6, skipping the IPv4 subtree and its aliases.
    let q6Start = -1n;
    let q6End = -1n;
    let q6Val: { asn: number; name: string | null; cc: string | null } | null = null;
    const flush6 = () => {
      if (q6Val) b.addV6(q6Start, q6End, q6Val.asn, q6Val.name, q6Val.cc, 0);
      q6Val = null;
    };
    const sN: number[] = [0];
    const sD: number[] = [0];
    const sP: bigint[] = [0n];
    while (sN.length) {
      const node = sN.pop() as number;
      const depth = sD.pop() as number;
      const prefix = sP.pop() as bigint;
      if (node < 0) {
        const rec = -node - 1;
        const size = 1n << BigInt(128 - depth);
        leaves++;
        const v = valueOf(rec, formatIPv6(prefix));
        if (!v) {
          empty++;
          continue;
        }
        const end = prefix + size - 1n;
        if (kind === 'country' && q6Val && (q6Val as { cc: string | null }).cc === v.cc && q6End + 1n === prefix) q6End = end;
        else {
          flush6();
          q6Start = prefix;
          q6End = end;
          q6Val = v;
        }
        continue;
      }
      if (node === ipv4Start && ipv4Start !== 0) continue; // the IPv4 subtree or an alias of it
      if (++visits > maxVisits) throw new Error('search tree has cycles');
      if (depth >= 128) throw new Error('search tree deeper than 128 bits');
      const shift = BigInt(127 - depth);
      for (const bit of [1, 0]) {
        const rec = tree.read(node, bit);
        if (rec === nodeCount) continue;
        sN.push(rec < nodeCount ? rec : -rec - 1);
        sD.push(depth + 1);
        sP.push(bit ? prefix | (1n << shift) : prefix);
      }
    }
    flush6();
  } else if (ipVersion === 4) {
    walk4Ordered(0);
  } else {
    throw new Error(`unsupported ip_version ${ipVersion}`);
  }
  const table = b.build((a, c) => {
    throw new EdgewatchError('EW_DATA_PARSE', `overlapping networks in the search tree (${a}/${c})`);
  });
  return { table, leaves, empty };
}
