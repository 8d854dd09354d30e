/**
 * Bounded line reading for imports: streams a file and yields its lines with 1-based numbers. A
 * line longer than `maxLineBytes` is not buffered: it is skipped to its end and yielded as
 * `tooLong`, so a hostile file cannot exhaust memory. Also hashes the raw bytes (SHA-256) so an
 * import can recognise a file it has seen.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export type Line = { line: number; text: string; tooLong?: false } | { line: number; tooLong: true; bytes: number };

export interface LineReader extends AsyncIterable<Line> {
  /** SHA-256 (hex) of every byte read; complete once iteration has finished. */
  digest(): string;
}

export function readLines(file: string, maxLineBytes: number): LineReader {
  const hash: Hash = createHash('sha256');
  let digest = '';
  return {
    digest: () => digest,
    async *[Symbol.asyncIterator]() {
      let parts: Buffer[] = [];
      let size = 0;
      let skipping = false;
      let skipped = 0;
      let line = 0;
      const finish = (): Line => {
        line++;
        if (skipping) {
          const r: Line = { line, tooLong: true, bytes: skipped };
          skipping = false;
          skipped = 0;
          return r;
        }
        let text = Buffer.concat(parts, size).toString('utf8');
        if (text.endsWith('\r')) text = text.slice(0, -1);
        parts = [];
        size = 0;
        return { line, text };
      };
      for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
        hash.update(chunk);
        let from = 0;
        for (;;) {
          const nl = chunk.indexOf(0x0a, from);
          const end = nl === -1 ? chunk.length : nl;
          const piece = end - from;
          if (skipping) skipped += piece;
          else if (size + piece > maxLineBytes) {
            skipping = true;
            skipped = size + piece;
            parts = [];
            size = 0;
          } else if (piece > 0) {
            parts.push(chunk.subarray(from, end));
            size += piece;
          }
          if (nl === -1) break;
          yield finish();
          from = nl + 1;
        }
      }
      if (size > 0 || skipping) yield finish();
      digest = hash.digest('hex');
    },
  };
}
