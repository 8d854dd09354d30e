/**
 * Bounded reads of collected files for the file rules: the first N bytes of a file. Read errors
 * become warnings, never exceptions.
 */
import type { Collection } from './types.js';

/** First `max` bytes of a collected file (fewer when it is shorter); null when unreadable. */
export async function readHead(c: Collection, path: string, max: number, warnings: string[]): Promise<Buffer | null> {
  const s = c.open(path) as NodeJS.ReadableStream & { destroy?: () => void };
  const chunks: Buffer[] = [];
  let got = 0;
  try {
    for await (const chunk of s) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : (chunk as Buffer);
      const room = max - got;
      chunks.push(b.length > room ? b.subarray(0, room) : b);
      got += Math.min(room, b.length);
      if (got >= max) break;
    }
  } catch (e) {
    warnings.push(`${path}: read failed (${(e as Error).message})`);
    return null;
  } finally {
    s.destroy?.();
  }
  return Buffer.concat(chunks, got);
}
