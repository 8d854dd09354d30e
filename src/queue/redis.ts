/**
 * Redis connection settings for the queue: parses and validates the `redis` URL (config, `--redis`)
 * and plugs the small RESP client (resp.ts) into BullMQ as its driver. Every Queue/Worker created
 * after `useRespDriver()` connects through it; `openRedis()` gives a standalone auto-reconnecting
 * client for our own keys (rate limiter, worker heartbeats).
 */
import { createBunRedisClient, type IRedisClient, RedisConnection } from 'bullmq';
import { z } from 'zod';
import { EdgewatchError } from '../errors.js';
import { RespClient, type RespOptions } from './resp.js';

export interface RedisTarget {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
}

const Url = z.string().min(1).max(2048);

/** Parse `redis://[user:pass@]host[:port][/db]`. Throws EW_QUEUE_REDIS_URL. */
export function parseRedisUrl(url: string): RedisTarget {
  const ok = Url.safeParse(url);
  if (!ok.success) throw new EdgewatchError('EW_QUEUE_REDIS_URL', 'redis URL must be a non-empty string');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EdgewatchError('EW_QUEUE_REDIS_URL', `bad redis URL "${url.slice(0, 100)}": expected redis://host:port[/db]`);
  }
  if (u.protocol !== 'redis:') {
    throw new EdgewatchError('EW_QUEUE_REDIS_URL', `redis URL must start with redis:// (TLS rediss:// is not supported), got ${u.protocol}`);
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new EdgewatchError('EW_QUEUE_REDIS_URL', 'redis URL has no host');
  const port = u.port ? Number(u.port) : 6379;
  const dbPart = u.pathname.replace(/^\//, '');
  const db = dbPart === '' ? 0 : Number(dbPart);
  if (!Number.isInteger(db) || db < 0 || db > 1000) throw new EdgewatchError('EW_QUEUE_REDIS_URL', `bad redis database number "${dbPart}"`);
  const t: RedisTarget = { host, port, db };
  if (u.password) t.password = decodeURIComponent(u.password);
  if (u.username && u.password) t.username = decodeURIComponent(u.username);
  return t;
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

function toResp(o: Record<string, unknown>): RespOptions {
  return {
    host: typeof o.host === 'string' ? o.host : '127.0.0.1',
    port: typeof o.port === 'number' ? o.port : 6379,
    username: typeof o.username === 'string' ? o.username : undefined,
    password: typeof o.password === 'string' ? o.password : undefined,
    db: typeof o.db === 'number' ? o.db : 0,
    connectTimeoutMs: 5000,
  };
}

let installed = false;

/** Make BullMQ connect through the RESP client (idempotent). */
export function useRespDriver(): void {
  if (installed) return;
  installed = true;
  RedisConnection.clientFactory = (opts) => createBunRedisClient(new RespClient(toResp(opts as Record<string, unknown>)));
}

/** BullMQ `connection` options for a redis URL. */
export function connectionOptions(url: string): { host: string; port: number; db: number; username?: string; password?: string } {
  useRespDriver();
  return parseRedisUrl(url);
}

/**
 * A standalone client (auto-reconnecting, Lua via defineCommand/runCommand). Commands fail fast
 * with a connection error while Redis is away; callers retry.
 */
export function openRedis(url: string): IRedisClient {
  const client = createBunRedisClient(new RespClient(toResp(parseRedisUrl(url) as unknown as Record<string, unknown>)));
  // The adapter emits 'error' on every lost connection; callers see failures on their commands.
  client.on('error', () => {});
  return client;
}

/** Raw command on a client opened with openRedis (the adapter's escape hatch). */
export function sendRaw<T = unknown>(client: IRedisClient, command: string, args: Array<string | number>): Promise<T> {
  return (client as unknown as { sendCommand(c: string, a: string[]): Promise<T> }).sendCommand(command, args.map(String));
}

/** PING with a deadline: true when Redis answered. */
export async function pingRedis(url: string, timeoutMs = 2000): Promise<boolean> {
  const c = new RespClient({ ...toResp(parseRedisUrl(url) as unknown as Record<string, unknown>), connectTimeoutMs: timeoutMs });
  c.onclose = () => {};
  try {
    await c.connect();
    const r = await Promise.race([c.send('PING'), new Promise((res) => setTimeout(() => res(null), timeoutMs).unref())]);
    return r === 'PONG';
  } catch {
    return false;
  } finally {
    c.close();
  }
}
