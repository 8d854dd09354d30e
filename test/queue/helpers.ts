/**
 * Queue test helpers: a private redis-server (random loopback port, AOF on, temp dir) that a test
 * may stop and restart, without touching the machine's Redis on 6379; and a gate that skips
 * loudly when the binary is missing (and fails under CI=true).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pingRedis } from '../../src/queue/redis.js';

export const REDIS_BIN = process.env.EDGEWATCH_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';

export function redisBinaryGate(): { ok: boolean } {
  const ok = existsSync(REDIS_BIN);
  if (!ok) {
    if (process.env.CI === 'true') throw new Error(`${REDIS_BIN} is required under CI=true`);
    console.warn(`\n!!! ${REDIS_BIN} missing: SKIPPING the tests that start their own redis-server (required under CI=true) !!!\n`);
  }
  return { ok };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  /** Graceful stop (SIGTERM: AOF flushed), then start again on the same port and dir. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function waitUp(url: string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pingRedis(url, 500)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server at ${url} did not come up in ${ms} ms`);
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ew-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(
      REDIS_BIN,
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--appendonly', 'yes',
        '--appendfsync', 'everysec',
        '--save', '',
        '--maxmemory-policy', 'noeviction',
        '--daemonize', 'no',
        '--protected-mode', 'yes',
        '--logfile', join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    await waitUp(url, 10_000);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill('SIGTERM');
    });
  };
  await start();
  return {
    url,
    port,
    dir,
    async restart(downMs = 1500) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    stop,
  };
}

/** A unique queue prefix per test (tests on the shared Redis never see each other's keys). */
export function testPrefix(name: string): string {
  return `ewtest-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
