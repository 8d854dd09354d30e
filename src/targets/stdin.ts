/**
 * Stdin inputs: a scan may need to read its targets twice (count, then scan) and again on
 * `--resume`, but stdin can be read once. `spoolStdin` copies it to a file (streamed, bounded);
 * `spoolInputs` swaps every `{kind:'stdin'}` for that file, labelled `stdin` in error messages.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EdgewatchError } from '../errors.js';
import type { TargetInput } from './types.js';

/** Largest stdin copy accepted by default, bytes (guards against an endless producer). */
export const DEFAULT_MAX_SPOOL_BYTES = 4 * 1024 * 1024 * 1024;

/**
 * Copies `source` (default process.stdin) into a new file in `dir` and returns its path. The file
 * name is unique, so an earlier scan's spool (needed for its resume) is never overwritten.
 */
export async function spoolStdin(dir: string, source: Readable = process.stdin, maxBytes = DEFAULT_MAX_SPOOL_BYTES): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `stdin-${Date.now()}-${randomBytes(4).toString('hex')}.targets`);
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > maxBytes) cb(new EdgewatchError('EW_TARGET_STDIN', `stdin is larger than ${maxBytes} bytes`));
      else cb(null, chunk);
    },
  });
  try {
    await pipeline(source, limit, createWriteStream(path, { flags: 'wx' }));
  } catch (e) {
    await rm(path, { force: true });
    if (e instanceof EdgewatchError) throw e;
    throw new EdgewatchError('EW_TARGET_STDIN', `cannot copy stdin: ${(e as Error).message}`, { cause: e });
  }
  return path;
}

/** Replaces a stdin input by its spooled copy; more than one stdin input is an error. */
export async function spoolInputs(inputs: readonly TargetInput[], dir: string, source: Readable = process.stdin): Promise<TargetInput[]> {
  if (inputs.filter((i) => i.kind === 'stdin').length > 1) {
    throw new EdgewatchError('EW_TARGET_STDIN', 'stdin given more than once as a target input');
  }
  const out: TargetInput[] = [];
  for (const i of inputs) out.push(i.kind === 'stdin' ? { kind: 'file', path: await spoolStdin(dir, source), label: 'stdin' } : i);
  return out;
}
