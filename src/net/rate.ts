/**
 * Rate limiting of new hosts: a global token bucket and an optional bucket per network (/24 for
 * IPv4, /48 for IPv6), so a scan never hammers one provider's range. Buckets are GCRA
 * ("virtual scheduling"): one number per bucket (the theoretical arrival time), exact over long
 * runs — waiters woken late by the event loop keep their slot, so timer lateness does not drift
 * the rate down. Each stage keeps a FIFO and at most one timer; no polling, no busy loops.
 * Rate 0/undefined means unlimited, with a fast path that allocates nothing and sets no timer.
 * The per-network map is bounded: idle buckets (full again, nobody waiting) are evicted.
 */
import { EdgewatchError } from '../errors.js';
import { abortError, onAbort } from './abort.js';

export interface RateLimiterOptions {
  /** New hosts per second over everything (0/undefined: unlimited). */
  rate?: number;
  /** Tokens that may be spent at once after an idle period (default 1). */
  burst?: number;
  /** New hosts per second per /24 (IPv4) or /48 (IPv6) (0/undefined: unlimited). */
  perNetRate?: number;
  /** Burst per network (default 1). */
  perNetBurst?: number;
  /** Max per-network buckets kept before idle ones are evicted (default 65,536). */
  maxNetworks?: number;
}

/**
 * How late (ms) a woken waiter may be and still keep its slot. Covers timer lateness and short
 * event-loop stalls; a longer stall loses slots rather than releasing a burst above `burst`.
 */
const LATE_SLACK_MS = 250;
const MAX_DELAY = 2 ** 31 - 1;
const RESOLVED: Promise<void> = Promise.resolve();

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
  done: boolean;
  unsub: (() => void) | null;
}

/** One GCRA bucket with its FIFO of waiters and at most one timer. */
class Stage {
  tat = 0;
  private readonly interval: number;
  private readonly tolerance: number;
  private queue: Waiter[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    perSecond: number,
    burst: number,
    private readonly release: (w: Waiter) => void,
  ) {
    this.interval = 1000 / perSecond;
    this.tolerance = (Math.max(1, Math.floor(burst)) - 1) * this.interval;
  }

  get idle(): boolean {
    return this.head >= this.queue.length && this.tat <= performance.now();
  }

  /** Take a token now if possible (ms to wait otherwise). */
  private take(now: number, queued: boolean): number {
    const allowAt = this.tat - this.tolerance;
    if (allowAt > now) return allowAt - now;
    // A queued waiter woken a little late keeps its slot: the schedule, not the wake-up, advances.
    this.tat = Math.max(this.tat, queued ? now - LATE_SLACK_MS : now) + this.interval;
    return 0;
  }

  enter(w: Waiter): void {
    if (this.head >= this.queue.length && this.take(performance.now(), false) === 0) {
      this.release(w);
      return;
    }
    this.queue.push(w);
    if (!this.timer) this.pump();
  }

  private readonly pump = (): void => {
    this.timer = null;
    const q = this.queue;
    const now = performance.now();
    while (this.head < q.length) {
      const w = q[this.head];
      if (w.done) {
        this.head++;
        continue;
      }
      const wait = this.take(now, true);
      if (wait > 0) {
        this.timer = setTimeout(this.pump, Math.min(MAX_DELAY, Math.max(1, Math.ceil(wait))));
        break;
      }
      this.head++;
      this.release(w);
    }
    if (this.head >= q.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  };
}

/** Network key: `a.b.c` for IPv4 (/24), the first three hextets for IPv6 (/48). */
export function networkKey(ip: string): string {
  if (!ip.includes(':')) {
    const d = ip.lastIndexOf('.');
    return d < 0 ? ip : ip.slice(0, d);
  }
  let s = ip.toLowerCase();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  // IPv4-mapped (::ffff:a.b.c.d) counts as IPv4.
  if (s.startsWith('::ffff:') && s.includes('.')) return networkKey(s.slice(7));
  const dbl = s.indexOf('::');
  let groups: string[];
  if (dbl < 0) {
    groups = s.split(':');
  } else {
    const head = dbl === 0 ? [] : s.slice(0, dbl).split(':');
    const tailStr = s.slice(dbl + 2);
    const tail = tailStr === '' ? [] : tailStr.split(':');
    const tailCount = tail.length + (tail.length && tail[tail.length - 1].includes('.') ? 1 : 0);
    const zeros = Math.max(0, 8 - head.length - tailCount);
    groups = head.concat(new Array<string>(zeros).fill('0'), tail);
  }
  const g = (i: number): string => (groups[i] ? Number.parseInt(groups[i], 16).toString(16) : '0');
  return `${g(0)}:${g(1)}:${g(2)}::`;
}

function checkRate(name: string, v: number | undefined): number {
  if (v === undefined || v === 0) return 0;
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
    throw new EdgewatchError('EW_NET_BAD_RATE', `${name} must be a positive number or 0 (unlimited), got ${String(v)}`);
  }
  return v;
}

/** Token-bucket limiter of new hosts: global and per network. */
export class RateLimiter {
  private readonly global: Stage | null;
  private readonly perNetRate: number;
  private readonly perNetBurst: number;
  private readonly maxNetworks: number;
  private readonly nets = new Map<string, Stage>();

  constructor(opts: RateLimiterOptions = {}) {
    const rate = checkRate('rate', opts.rate);
    this.perNetRate = checkRate('perNetRate', opts.perNetRate);
    this.perNetBurst = opts.perNetBurst ?? 1;
    this.maxNetworks = Math.max(16, opts.maxNetworks ?? 65_536);
    this.global = rate > 0 ? new Stage(rate, opts.burst ?? 1, this.grant) : null;
  }

  /** Number of per-network buckets currently kept (for tests and metrics). */
  get networks(): number {
    return this.nets.size;
  }

  /**
   * Resolve when a new connection to `ip` may start. Rejects with EW_NET_ABORTED when `signal`
   * aborts first (the token is not consumed).
   */
  acquire(ip: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError('connect'));
    if (!this.global && this.perNetRate === 0) return RESOLVED;
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, done: false, unsub: null };
      if (signal) {
        w.unsub = onAbort(signal, () => {
          if (w.done) return;
          w.done = true;
          reject(abortError('connect'));
        });
      }
      if (this.perNetRate > 0) this.netStage(ip).enter(w);
      else this.toGlobal(w);
    });
  }

  private netStage(ip: string): Stage {
    const key = networkKey(ip);
    let st = this.nets.get(key);
    if (!st) {
      if (this.nets.size >= this.maxNetworks) this.evict();
      st = new Stage(this.perNetRate, this.perNetBurst, this.toGlobal);
      this.nets.set(key, st);
    }
    return st;
  }

  /** Drop idle buckets (they are equivalent to fresh ones). Amortised: runs when the map is full. */
  private evict(): void {
    for (const [k, st] of this.nets) if (st.idle) this.nets.delete(k);
  }

  private readonly toGlobal = (w: Waiter): void => {
    if (w.done) return;
    if (this.global) this.global.enter(w);
    else this.grant(w);
  };

  private readonly grant = (w: Waiter): void => {
    if (w.done) return;
    w.done = true;
    w.unsub?.();
    w.resolve();
  };
}
