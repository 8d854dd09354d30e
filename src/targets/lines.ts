/**
 * Bounded line splitting over a byte stream. Yields lines in batches (one per chunk) so a
 * million-line file costs a few hundred async steps, not a million. A line longer than the bound
 * (binary junk, a file with no newlines) fails as soon as the bound is crossed, so memory stays
 * at one chunk plus one line whatever the input.
 */
import { createReadStream } from 'node:fs';
import { EdgewatchError } from '../errors.js';
import { printable } from '../scope/cidr.js';

/** Lines of one chunk; `first` is the 1-based line number of `lines[0]`. */
export interface LineBatch {
  lines: string[];
  first: number;
}

/** Default bound on one input line, bytes. */
export const DEFAULT_MAX_LINE_BYTES = 4096;

/** Read size for target files. */
const CHUNK_BYTES = 1 << 20;

function tooLong(label: string, line: number, head: Buffer, max: number): EdgewatchError {
  const text = printable(head.subarray(0, 40).toString('latin1'), 40);
  return new EdgewatchError('EW_TARGET_PARSE', `bad target "${text}…": line longer than ${max} bytes`, { file: label, line });
}

/**
 * Splits `source` into lines (without `\n`; a trailing `\r` is left for the caller's trim).
 * Each chunk is decoded once up to its last newline and split in one native call; bytes after
 * the last newline are carried into the next chunk. The bound is checked per line (in UTF-16
 * units, equal to bytes for the ASCII that valid targets are) and on the carried partial line.
 */
export async function* readLineBatches(
  source: AsyncIterable<Buffer | string>,
  label: string,
  maxLineBytes: number,
): AsyncGenerator<LineBatch> {
  let carry: Buffer | null = null;
  let lineNo = 1;
  for await (const raw of source) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const lastNl = chunk.lastIndexOf(10);
    if (lastNl < 0) {
      carry = carry === null ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
      if (carry.length > maxLineBytes) throw tooLong(label, lineNo, carry, maxLineBytes);
      continue;
    }
    if (carry !== null) {
      const firstNl = chunk.indexOf(10);
      if (carry.length + firstNl > maxLineBytes) throw tooLong(label, lineNo, carry, maxLineBytes);
    }
    const head = carry === null ? chunk.subarray(0, lastNl) : Buffer.concat([carry, chunk.subarray(0, lastNl)]);
    carry = lastNl + 1 < chunk.length ? Buffer.from(chunk.subarray(lastNl + 1)) : null;
    const lines = head.toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].length > maxLineBytes) throw tooLong(label, lineNo + i, Buffer.from(lines[i].slice(0, 40)), maxLineBytes);
    }
    const first = lineNo;
    lineNo += lines.length;
    if (carry !== null && carry.length > maxLineBytes) throw tooLong(label, lineNo, carry, maxLineBytes);
    yield { lines, first };
  }
  if (carry !== null && carry.length > 0) yield { lines: [carry.toString('utf8')], first: lineNo };
}

/** A file as a byte stream with a large read size. */
export function fileSource(path: string): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: CHUNK_BYTES });
}
