/** Shared helpers for target tests: temp files and collecting targets. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTargets } from '../../src/targets/index.js';
import type { Target, TargetInput, TargetReadOptions } from '../../src/targets/types.js';

export function tempDir(): { dir: string; file(name: string, content: string | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ew-targets-'));
  return {
    dir,
    file(name, content) {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function collect(inputs: TargetInput[], opts: TargetReadOptions = { ports: [443] }): Promise<Target[]> {
  const out: Target[] = [];
  for await (const t of readTargets(inputs, opts)) out.push(t);
  return out;
}

/** `ip|host:port` strings, for compact assertions. */
export function keys(ts: Target[]): string[] {
  return ts.map((t) => `${t.ip ?? ''}${t.host ? `|${t.host}` : ''}:${t.port}`);
}

/** Runs `fn` and returns the error it throws (fails if it does not). */
export async function errorOf(fn: () => Promise<unknown>): Promise<Error & { code?: string; file?: string; line?: number }> {
  try {
    await fn();
  } catch (e) {
    return e as Error & { code?: string; file?: string; line?: number };
  }
  throw new Error('expected an error');
}
