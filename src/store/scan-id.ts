/** Scan ids: `s` + UTC time to the second + `-` + 4 random hex chars, e.g. `s20261123T104500-ab12`.
 * Ids sort by start time; the suffix separates scans started in the same second. */
import { randomBytes } from 'node:crypto';

export function newScanId(now: Date = new Date()): string {
  const iso = now.toISOString(); // 2026-11-23T10:45:00.000Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `s${stamp}-${randomBytes(2).toString('hex')}`;
}
