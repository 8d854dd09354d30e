/** Temp-dir helpers for store tests: every test gets real SQLite files under one temp dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'ew-store-'): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    file: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Both write/read paths: prepared statements (sync driver) and the Kysely builder (what pg uses). */
export const PATHS = ['auto', 'builder'] as const;
