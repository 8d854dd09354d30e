/**
 * Background WAL checkpoints for a SQLite store file (issue #6, store writes). In WAL mode a commit
 * appends pages to the `-wal` file; a checkpoint copies them back into the database file and syncs
 * it. Left to SQLite, the writing connection does that itself, inside the commit that crosses 1,000
 * WAL pages: the batch writer then waits for the copy and the fsync, about 15 % of its wall time
 * (bench/store-write.ts). Here a worker thread with its own connection runs passive checkpoints
 * after the writer's commits, on the other core; the writer's own automatic checkpoint stays as a
 * safety valve at WAL_LIMIT_BYTES, in case the worker falls behind or fails.
 *
 * While the writer commits back to back, every passive checkpoint ends behind its latest commit, so
 * the WAL cannot start over from its beginning; it grows to WAL_LIMIT_BYTES, where the writer's own
 * checkpoint (copying only the last few commits, the worker did the rest) lets it restart. The WAL
 * file therefore stays below WAL_LIMIT_BYTES plus one batch (journal_size_limit trims it back).
 *
 * The worker costs the process 5–8 MB of memory (a V8 isolate, measured), so it starts only once the
 * writer writes fast: START_BYTES_PER_S of records within a second (bulk loads, benchmarks, a
 * store shared by fast writers). A scan writes far less (about 2 MB/s at 800 Citrix hosts/s, 3 MB/s
 * at 10,000 refused targets/s); SQLite's own checkpoints (one per 1,000 WAL pages) then cost it little,
 * and its memory stays bounded (issue #2).
 *
 * Durability is unchanged: a passive checkpoint never blocks or undoes a commit, synchronous=NORMAL
 * holds on both connections, and a process killed mid-checkpoint leaves a valid WAL that the next
 * open recovers. If the worker cannot start or a checkpoint fails, the writer's automatic checkpoint
 * returns to SQLite's default and the store goes on as before (`failure` tells why).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The writer checkpoints itself only when the WAL has grown past this (see above). */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;
/** Record bytes the writer must commit within one second before the worker starts (see above). */
export const START_BYTES_PER_S = 16 * 1024 * 1024;
/** SQLite's default automatic checkpoint, in pages: restored when the worker fails. */
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;
/** How long stop() waits for the worker to finish its checkpoint and close before terminating it. */
const STOP_WAIT_MS = 10_000;

/** The part of a better-sqlite3 connection the checkpointer touches (the writer's own settings). */
export interface PragmaHandle {
  pragma(source: string, options?: { simple?: boolean }): unknown;
}

// The worker's code: CommonJS run with `eval`, so it needs no TypeScript loader; the driver comes
// by absolute path. Messages in: 'checkpoint' | 'stop'. Out: {} after each checkpoint, or {error}.
// Its connection keeps a 1 MiB page cache: a checkpoint copies frames from the WAL, not the cache.
const WORKER_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: workerData.busyMs });
db.pragma('synchronous = NORMAL');
db.pragma('journal_size_limit = ' + workerData.walLimit);
db.pragma('cache_size = -1024');
parentPort.on('message', (m) => {
  if (m === 'stop') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({});
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) });
  }
});
`;

export interface CheckpointerOptions {
  /** Module path of the driver the worker loads (default: better-sqlite3 as this package resolves it). */
  driver?: string;
  busyMs?: number;
}

/** Checkpoints of one database file, run by a worker thread that starts once the writer writes fast. */
export class BackgroundCheckpointer {
  readonly #file: string;
  readonly #writer: PragmaHandle;
  readonly #driver: string;
  readonly #busyMs: number;
  #worker?: Worker;
  /** A checkpoint was asked for and has not been answered. */
  #asked = false;
  /** The writer committed since that request. */
  #dirty = false;
  #stopped = false;
  #exited = false;
  #failure?: string;
  #checkpoints = 0;
  #idle: Array<() => void> = [];
  #windowStart = 0;
  #windowBytes = 0;

  constructor(file: string, writer: PragmaHandle, opts: CheckpointerOptions = {}) {
    this.#file = file;
    this.#writer = writer;
    this.#driver = opts.driver ?? createRequire(import.meta.url).resolve('better-sqlite3');
    this.#busyMs = opts.busyMs ?? 5_000;
  }

  /** Why background checkpoints stopped (the writer checkpoints itself again), if they did. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** Checkpoints the worker has completed. */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /** Whether the worker runs (it starts once the writer writes fast enough). */
  get running(): boolean {
    return this.#worker !== undefined && !this.#exited && this.#failure === undefined;
  }

  /**
   * Call after each commit of the writer with the bytes of records it wrote: starts the worker once
   * they reach START_BYTES_PER_S within a second, then asks for a checkpoint unless one is under way.
   */
  wrote(bytes: number): void {
    if (this.#stopped || this.#failure !== undefined) return;
    if (this.#worker === undefined) {
      const now = performance.now();
      if (now - this.#windowStart > 1000) {
        this.#windowStart = now;
        this.#windowBytes = 0;
      }
      this.#windowBytes += bytes;
      if (this.#windowBytes < START_BYTES_PER_S) return;
      if (!this.#start()) return;
    }
    if (this.#asked) {
      this.#dirty = true;
      return;
    }
    this.#ask();
  }

  /** Resolves when no checkpoint is asked for or running (at once when none is). */
  idle(): Promise<void> {
    if (!this.#asked) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Lets the running checkpoint finish, closes the worker's connection and ends the thread. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const w = this.#worker;
    if (w === undefined || this.#exited) {
      this.#settle();
      return;
    }
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    w.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_WAIT_MS);
    });
    if ((await Promise.race([exited, late])) === 'late') await w.terminate();
    clearTimeout(timer);
    this.#settle();
  }

  #start(): boolean {
    let pageSize: number;
    try {
      pageSize = Number(this.#writer.pragma('page_size', { simple: true })) || 4096;
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { driver: this.#driver, file: this.#file, busyMs: this.#busyMs, walLimit: WAL_LIMIT_BYTES },
        // It runs a pragma now and then: a small heap keeps a scan's memory bound (issue #2).
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
      });
      w.unref();
      w.on('message', (m: { error?: string }) => {
        if (m.error !== undefined) this.#fail(m.error);
        else this.#answered();
      });
      w.on('error', (e) => this.#fail(e instanceof Error ? e.message : String(e)));
      w.on('exit', (code) => {
        this.#exited = true;
        if (!this.#stopped) this.#fail(`checkpoint worker exited (code ${code})`);
      });
      this.#worker = w;
    } catch (e) {
      this.#fail(e instanceof Error ? e.message : String(e));
      return false;
    }
    this.#writer.pragma(`wal_autocheckpoint = ${Math.max(SQLITE_DEFAULT_AUTOCHECKPOINT, Math.floor(WAL_LIMIT_BYTES / pageSize))}`);
    this.#writer.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
    return true;
  }

  #ask(): void {
    this.#asked = true;
    this.#dirty = false;
    this.#worker?.postMessage('checkpoint');
  }

  #answered(): void {
    this.#checkpoints++;
    this.#asked = false;
    if (this.#dirty && !this.#stopped) this.#ask();
    else this.#settle();
  }

  #fail(why: string): void {
    if (this.#failure !== undefined || this.#stopped) return;
    this.#failure = why.slice(0, 300);
    try {
      this.#writer.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
    } catch {
      // The writer is closed already: nothing left to checkpoint for.
    }
    this.#asked = false;
    void this.#worker?.terminate();
    this.#settle();
  }

  #settle(): void {
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }
}
