import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { tempDir } from './helpers.js';
import { syntheticBatch } from './synthetic.js';

const tmp = tempDir('ew-store-crash-');
afterAll(() => tmp.cleanup());

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

describe('crash safety', () => {
  it('a writer killed with SIGKILL mid-batch leaves only whole batches, and the scan resumes', async () => {
    const file = tmp.file('crash.db');
    const setup = await openStore({ dialect: 'sqlite', file });
    const scan = await setup.createScan({ label: 'crash', settings: {} });
    await setup.close();

    for (let round = 0; round < 2; round++) {
      const { lastSeen, signal } = await writeThenKill(file, scan.id);
      expect(signal).toBe('SIGKILL');
      const c = check(file, scan.id);
      expect(c.integrity).toBe('ok');
      expect(c.obs).toBe(c.done);
      expect(c.obs % BATCH).toBe(0);
      expect(c.obs).toBeGreaterThanOrEqual(lastSeen);
      expect(c.orphans).toBe(0);
      const expected = syntheticBatch(0, c.obs).reduce((n, r) => n + Object.keys(r.cve).length, 0);
      expect(c.findings).toBe(expected);

      // The store opens and resumes where the dead writer stopped.
      const store = await openStore({ dialect: 'sqlite', file });
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
