/**
 * Lab addressing: IPv4 dotted-quad <-> uint32, CIDR ranges confined to 127.0.0.0/8, and the
 * loopback test the wildcard listener applies to every accepted connection. The lab's own code;
 * it deliberately shares nothing with src/scope or src/targets.
 */
import { EdgewatchError } from '../errors.js';

/** A contiguous block of lab addresses (the population). */
export interface LabRange {
  /** CIDR as given/normalised, e.g. `127.1.0.0/16`. */
  cidr: string;
  /** First address as uint32. */
  base: number;
  /** Number of addresses in the population (≤ the CIDR's size). */
  size: number;
}

const LOOPBACK_NET = 127;

/** Parse a dotted quad into a uint32, or -1 when it is not one. No regex: runs per connection. */
export function ipToInt(s: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      if (dots > 3) return -1;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
      if (digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return n * 256 + part;
}

export function intToIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Strip an IPv4-mapped IPv6 prefix (`::ffff:127.0.0.1`). */
export function plainV4(addr: string | undefined): string {
  if (!addr) return '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

/** True when `addr` (possibly IPv4-mapped) lies in 127.0.0.0/8. */
export function isLoopbackV4(addr: string | undefined): boolean {
  const n = ipToInt(plainV4(addr));
  return n >= 0 && n >>> 24 === LOOPBACK_NET;
}

/**
 * The wildcard listener's admission rule: both the local address the client reached and the
 * peer address must be inside 127.0.0.0/8; anything else is destroyed at once.
 */
export function admitConnection(local: string | undefined, peer: string | undefined): boolean {
  return isLoopbackV4(local) && isLoopbackV4(peer);
}

/**
 * Parse `a.b.c.d/len` and require it inside 127.0.0.0/8. `size`, when given, takes the first
 * `size` addresses of the block. Throws EW_LAB_RANGE otherwise.
 */
export function parseLabRange(cidr: string, size?: number): LabRange {
  const slash = cidr.indexOf('/');
  const ipPart = slash < 0 ? cidr : cidr.slice(0, slash);
  const lenPart = slash < 0 ? '32' : cidr.slice(slash + 1);
  const ip = ipToInt(ipPart.trim());
  const len = /^\d{1,2}$/.test(lenPart.trim()) ? Number(lenPart) : Number.NaN;
  if (ip < 0 || !Number.isInteger(len) || len > 32) {
    throw new EdgewatchError('EW_LAB_RANGE', `lab range "${cidr}" is not an IPv4 CIDR (e.g. 127.1.0.0/16)`);
  }
  if (len < 8 || ip >>> 24 !== LOOPBACK_NET) {
    throw new EdgewatchError('EW_LAB_RANGE', `lab range "${cidr}" must lie inside 127.0.0.0/8 (the lab listens on loopback only)`);
  }
  const blockSize = 2 ** (32 - len);
  const base = Math.floor(ip / blockSize) * blockSize;
  let n = blockSize;
  if (size !== undefined) {
    if (!Number.isInteger(size) || size < 1 || size > blockSize) {
      throw new EdgewatchError('EW_LAB_RANGE', `lab size ${size} must be an integer from 1 to ${blockSize} (the size of ${cidr})`);
    }
    n = size;
  }
  return { cidr: `${intToIp(base)}/${len}`, base, size: n };
}

/** Smallest CIDR starting at `start` that holds `size` addresses (for `--size` without `--range`). */
export function rangeForSize(start: string, size: number): string {
  if (!Number.isInteger(size) || size < 1 || size > 2 ** 24) {
    throw new EdgewatchError('EW_LAB_RANGE', `lab size ${size} must be an integer from 1 to 16777216`);
  }
  let len = 32;
  while (2 ** (32 - len) < size) len--;
  return `${start}/${len}`;
}
