import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type RawBuilder, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import type { Store, StoreConfig } from '../../src/store/types.js';
import { DIALECTS, storePlaces } from './dialects.js';
import { tempDir } from './helpers.js';
import { syntheticBatch } from './synthetic.js';

const tmp = tempDir('ew-store-crash-');
const pgPlaces = storePlaces('postgres', 'ew-store-crash-pg-');
afterAll(async () => {
  tmp.cleanup();
  await pgPlaces.cleanup();
});

// `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild process, so a
// SIGKILL sent to it would not reach the writer.
const WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const BATCH = 250;

/** Start the writer, wait for its first commit, SIGKILL it after a random short delay. */
function writeThenKill(file: string, scanId: string): Promise<{ lastSeen: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, file, scanId, String(BATCH)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastSeen = 0;
    let killTimer: NodeJS.Timeout | undefined;
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const m of chunk.matchAll(/committed (\d+)/g)) lastSeen = Number(m[1]);
      if (killTimer === undefined) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), 50 + Math.floor(Math.random() * 400));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (signal === null && code !== 0) reject(new Error(`writer failed (${code}): ${stderr}`));
      else resolve({ lastSeen, signal });
    });
  });
}

/** The same checks through the store's own connection (PostgreSQL). */
async function checkStore(store: Store, id: string): Promise<{ obs: number; done: number; orphans: number; findings: number }> {
  const one = async (q: RawBuilder<{ n: unknown }>) => Number((await q.execute(store.db)).rows[0]?.n ?? 0);
  return {
    obs: await one(sql`SELECT count(*) AS n FROM observations WHERE scan_id = ${id}`),
    done: await one(sql`SELECT done AS n FROM scans WHERE id = ${id}`),
    orphans: await one(
      sql`SELECT count(*) AS n FROM observations o WHERE o.scan_id = ${id} AND o.status = 'ok'
            AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.scan_id = o.scan_id AND f.seq = o.seq)`,
    ),
    findings: await one(sql`SELECT count(*) AS n FROM findings WHERE scan_id = ${id}`),
  };
}

function check(file: string, scanId: string): { obs: number; done: number; orphans: number; findings: number; integrity: string } {
  const db = new Database(file, { readonly: true });
  try {
    const one = (sql: string, ...p: unknown[]) =>
      db
        .prepare(sql)
        .pluck()
        .get(...p);
    return {
      obs: one('SELECT count(*) FROM observations WHERE scan_id = ?', scanId) as number,
      done: one('SELECT done FROM scans WHERE id = ?', scanId) as number,
      // ok observations whose record has CVE entries but no finding rows
      orphans: one(
        `SELECT count(*) FROM observations o WHERE o.scan_id = ? AND o.status = 'ok'
           AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.scan_id = o.scan_id AND f.seq = o.seq)`,
        scanId,
      ) as number,
      findings: one('SELECT count(*) FROM findings WHERE scan_id = ?', scanId) as number,
      integrity: one('PRAGMA integrity_check') as string,
    };
  } finally {
    db.close();
  }
}

describe.each(DIALECTS)('crash safety (%s)', (dialect) => {
  it('a writer killed with SIGKILL mid-batch leaves only whole batches, and the scan resumes', async () => {
    const cfg: StoreConfig = dialect === 'sqlite' ? { dialect: 'sqlite', file: tmp.file('crash.db') } : await pgPlaces.config('crash');
    const file = cfg.dialect === 'sqlite' ? cfg.file : cfg.url;
    const setup = await openStore(cfg);
    const scan = await setup.createScan({ label: 'crash', settings: {} });
    await setup.close();

    for (let round = 0; round < 2; round++) {
      const { lastSeen, signal } = await writeThenKill(file, scan.id);
      expect(signal).toBe('SIGKILL');
      let c: { obs: number; done: number; orphans: number; findings: number; integrity?: string };
      if (cfg.dialect === 'sqlite') {
        c = check(file, scan.id);
        expect(c.integrity).toBe('ok');
      } else {
        const s = await openStore(cfg);
        c = await checkStore(s, scan.id).finally(() => s.close());
      }
      expect(c.obs).toBe(c.done);
      expect(c.obs % BATCH).toBe(0);
      expect(c.obs).toBeGreaterThanOrEqual(lastSeen);
      expect(c.orphans).toBe(0);
      const expected = syntheticBatch(0, c.obs).reduce((n, r) => n + Object.keys(r.cve).length, 0);
      expect(c.findings).toBe(expected);

      // The store opens and resumes where the dead writer stopped.
      const store = await openStore(cfg);
      try {
        const done = await store.doneSeqs(scan.id);
        expect(done.size).toBe(c.obs);
        expect(await store.insertRecords(scan.id, syntheticBatch(0, c.obs + BATCH))).toBe(BATCH);
      } finally {
        await store.close();
      }
    }
  });
});
