/**
 * The SQLite page cache is sized per connection: 32 MiB by default (report queries), smaller where
 * a caller asks (a scan's writer, issue #2: bounded RSS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ew-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cacheSize(cacheKib?: number): Promise<number> {
  const store = await openStore({ dialect: 'sqlite', file: join(dir, 'c.db'), ...(cacheKib !== undefined ? { cacheKib } : {}) });
  try {
    const r = await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(store.db);
    return r.rows[0].cache_size;
  } finally {
    await store.close();
  }
}

describe('SQLite page cache', () => {
  it('is 32 MiB by default and what the caller asks otherwise', async () => {
    expect(await cacheSize()).toBe(-32_768);
    expect(await cacheSize(8_192)).toBe(-8_192);
  });
});
