/**
 * Exclusion (opt-out) files: one CIDR, address or `a-b` range per line, `#` comments, like
 * masscan's exclude.conf. Read synchronously at guard construction (before any packet); size is
 * bounded so a wrong path (a disk image, /dev/zero) fails fast instead of eating memory.
 */
import { readFileSync, statSync } from 'node:fs';
import { EdgewatchError } from '../errors.js';
import { type IpRange, parseCidrList } from './cidr.js';

/** Largest exclusion file accepted, bytes. */
export const MAX_EXCLUDE_FILE_BYTES = 256 * 1024 * 1024;

/** Reads and parses one exclusion file; errors name the file (and line for bad entries). */
export function readExcludeFile(path: string): IpRange[] {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_EXCLUDE_FILE_BYTES) throw new Error(`larger than ${MAX_EXCLUDE_FILE_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EdgewatchError('EW_SCOPE_FILE', `cannot read exclusion file: ${(cause as Error).message}`, { file: path, cause });
  }
  return parseCidrList(text, path);
}
