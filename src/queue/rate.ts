/**
 * The rate limit shared by every worker of a distributed scan: a global bucket (hosts per second
 * over all workers) and one bucket per network (/24 IPv4, /48 IPv6) for politeness, kept in Redis.
 * Each bucket is GCRA "virtual scheduling" in one Lua call: the script reserves the next slot on
 * Redis's own clock (one clock for all machines) and returns how long to wait for it, so a host
 * costs one round trip per limit and no polling. While Redis is away, acquiring retries (work
 * pauses rather than running unlimited).
 */
import type { IRedisClient } from 'bullmq';
import { networkKey } from '../net/rate.js';

/** KEYS[1] bucket; ARGV[1] interval ms; returns the wait in ms (string: keeps fractions). */
const RESERVE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = tat
if start < now then start = now end
local nxt = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.ceil(nxt - now) + 60000)
return string.format('%.3f', start - now)
`;

const CMD = 'edgewatchReserve';

export interface SharedRateOptions {
  /** Hosts per second over all workers (0 = unlimited). */
  rate: number;
  /** Hosts per second per /24 (/48) over all workers (0 = unlimited). */
  perNetRate: number;
  /** Key namespace, e.g. `edgewatch:rl:<scan>`. */
  keyPrefix: string;
  /** Called once per outage while Redis cannot be reached. */
  onWait?: (e: Error) => void;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class SharedRateLimiter {
  readonly #redis: IRedisClient;
  readonly #o: SharedRateOptions;
  #defined = false;

  constructor(redis: IRedisClient, o: SharedRateOptions) {
    this.#redis = redis;
    this.#o = o;
  }

  get active(): boolean {
    return this.#o.rate > 0 || this.#o.perNetRate > 0;
  }

  async acquire(ip: string, signal?: AbortSignal): Promise<void> {
    if (this.#o.perNetRate > 0) await this.#take(`${this.#o.keyPrefix}:n:${networkKey(ip)}`, 1000 / this.#o.perNetRate, signal);
    if (this.#o.rate > 0) await this.#take(`${this.#o.keyPrefix}:g`, 1000 / this.#o.rate, signal);
  }

  async #take(key: string, intervalMs: number, signal?: AbortSignal): Promise<void> {
    if (!this.#defined) {
      this.#redis.defineCommand(CMD, { numberOfKeys: 1, lua: RESERVE_LUA });
      this.#defined = true;
    }
    let warned = false;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      let wait: number;
      // Counted from when the reply is read: never earlier than the slot Redis reserved (a late
      // reply makes the host late, not early).
      try {
        wait = Number(await this.#redis.runCommand(CMD, [key, intervalMs.toFixed(3)]));
      } catch (e) {
        if (!warned) this.#o.onWait?.(e as Error);
        warned = true;
        await sleep(Math.min(2000, 250 * 2 ** Math.min(attempt, 3)), signal);
        continue;
      }
      if (wait > 0) await sleep(Math.ceil(wait), signal);
      return;
    }
  }
}
