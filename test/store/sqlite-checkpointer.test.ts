/**
 * Background WAL checkpoints of a SQLite store (issue #6, store writes): a worker thread copies the
 * writer's commits back into the database file, the writer's own automatic checkpoint only stays
 * as a safety valve, the WAL stays bounded, closing leaves no WAL behind, and a worker that cannot
 * run hands checkpoints back to the writer without losing a row.
 */
import { existsSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { BackgroundCheckpointer, START_BYTES_PER_S, WAL_LIMIT_BYTES } from '../../src/store/sqlite-checkpointer.js';
import { tempDir } from './helpers.js';
import { syntheticBatch } from './synthetic.js';

const tmp = tempDir('ew-ckpt-');
afterAll(() => tmp.cleanup());

/** A writer connection as the store opens one: WAL, synchronous=NORMAL, one table of 2 KB rows. */
function writer(name: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(tmp.file(name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)');
  return db;
}

function writeRows(db: BetterSqlite3.Database, n: number): void {
  const ins = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) ins.run(Buffer.alloc(2048, i & 255));
  })();
}

/** [busy, WAL frames, frames already copied back] of a passive checkpoint from another connection. */
function walState(file: string): { log: number; checkpointed: number } {
  const other = new BetterSqlite3(file);
  try {
    return (other.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number; checkpointed: number }>)[0];
  } finally {
    other.close();
  }
}

describe('background checkpoints', () => {
  it('copy every commit back from a worker thread; the writer keeps only a safety valve', async () => {
    const db = writer('a.db');
    const cp = new BackgroundCheckpointer(tmp.file('a.db'), db);
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      for (let k = 0; k < 20; k++) {
        writeRows(db, 500);
        cp.wrote(START_BYTES_PER_S); // a fast writer
      }
      await cp.idle();
      expect(cp.running).toBe(true);
      expect(cp.failure).toBeUndefined();
      expect(cp.checkpoints).toBeGreaterThanOrEqual(1);
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(Math.floor(WAL_LIMIT_BYTES / pageSize));
      // Nothing left for anyone else to copy: the worker did it all.
      const s = walState(tmp.file('a.db'));
      expect(s.log).toBeGreaterThan(0);
      expect(s.checkpointed).toBe(s.log);
    } finally {
      await cp.stop();
      db.close();
    }
    expect(existsSync(`${tmp.file('a.db')}-wal`)).toBe(false);
    const check = new BetterSqlite3(tmp.file('a.db'), { readonly: true });
    expect(check.prepare('SELECT count(*) FROM t').pluck().get()).toBe(10_000);
    check.close();
  });

  it('do not start for a writer that writes slowly (a scan): SQLite checkpoints as it always does', async () => {
    const db = writer('slow.db');
    const cp = new BackgroundCheckpointer(tmp.file('slow.db'), db);
    try {
      for (let k = 0; k < 10; k++) {
        writeRows(db, 100);
        cp.wrote(100 * 2048);
      }
      expect(cp.running).toBe(false);
      expect(cp.checkpoints).toBe(0);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      // Ten times the threshold within the same second: it starts.
      cp.wrote(10 * START_BYTES_PER_S);
      expect(cp.running).toBe(true);
      await cp.idle();
      expect(cp.checkpoints).toBe(1);
    } finally {
      await cp.stop();
      db.close();
    }
  });

  it('hand checkpoints back to the writer when the worker cannot run, losing nothing', async () => {
    const db = writer('b.db');
    const cp = new BackgroundCheckpointer(tmp.file('b.db'), db, { driver: tmp.file('no-such-driver.js') });
    try {
      writeRows(db, 100);
      cp.wrote(START_BYTES_PER_S);
      for (let i = 0; i < 100 && cp.failure === undefined; i++) await new Promise((r) => setTimeout(r, 20));
      expect(cp.failure).toMatch(/no-such-driver/);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      await cp.idle();
      for (let k = 0; k < 5; k++) {
        writeRows(db, 500);
        cp.wrote(START_BYTES_PER_S);
      }
    } finally {
      await cp.stop();
    }
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(2_600);
    db.close();
  });

  it('keep a writing store’s WAL bounded and leave none behind on close', async () => {
    const file = tmp.file('store.db');
    const store = await openStore({ dialect: 'sqlite', file });
    let maxWal = 0;
    const n = 60_000;
    try {
      const scan = await store.createScan({ settings: {} });
      for (let i = 0; i < n; i += 1000) {
        await store.insertRecords(scan.id, syntheticBatch(i, 1000));
        if (existsSync(`${file}-wal`)) maxWal = Math.max(maxWal, statSync(`${file}-wal`).size);
      }
    } finally {
      await store.close();
    }
    // 60,000 records of ~1.7 KB make a database of about 130 MB: unbounded, the WAL would hold them all.
    // It starts over once past the limit (the writer's own checkpoint), so at most one batch more.
    expect(maxWal).toBeGreaterThan(0);
    expect(maxWal).toBeLessThan(WAL_LIMIT_BYTES + 16 * 1024 * 1024);
    expect(existsSync(`${file}-wal`)).toBe(false);
    const again = await openStore({ dialect: 'sqlite', file });
    try {
      const scans = await again.listScans();
      expect(scans[0].done).toBe(n);
      expect((await again.doneSeqs(scans[0].id)).size).toBe(n);
    } finally {
      await again.close();
    }
  });
});
