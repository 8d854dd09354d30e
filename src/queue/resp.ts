/**
 * A minimal Redis (RESP2) client over node:net, shaped like Bun's built-in `RedisClient`
 * (`send`, `connected`, `onconnect`/`onclose`, `duplicate`), so BullMQ drives it through its own
 * `createBunRedisClient` adapter (Lua scripts, MULTI, reconnect with back-off all stay BullMQ's).
 *
 * Why it exists: BullMQ's usual driver (`ioredis`) is an optional peer that is not installed in
 * this project. This file owns only the wire protocol: one TCP connection, pipelined commands,
 * replies matched in order, bounded reply sizes, AUTH/SELECT on connect. Loopback or whatever the
 * operator configures as `redis`; the client never picks an address by itself.
 */
import { connect as netConnect, type Socket } from 'node:net';

export interface RespOptions {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** Connect (and AUTH/SELECT) timeout, ms. Default 5,000. */
  connectTimeoutMs?: number;
}

/** Largest single bulk reply or array accepted (a hostile or broken server cannot exhaust memory). */
const MAX_BULK = 512 * 1024 * 1024;
const MAX_ARRAY = 50_000_000;

/** A Redis error reply (`-ERR …`). */
export class RespError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyError';
  }
}

type Reply = string | number | null | RespError | Reply[];

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

const INCOMPLETE = Symbol('incomplete');

/** Parse one reply at `pos`; returns [reply, next position] or INCOMPLETE. */
function parseReply(buf: Buffer, pos: number): [Reply, number] | typeof INCOMPLETE {
  if (pos >= buf.length) return INCOMPLETE;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return INCOMPLETE;
  const type = buf[pos];
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case 43: // +
      return [line, next];
    case 45: // -
      return [new RespError(line), next];
    case 58: // :
      return [Number(line), next];
    case 36: {
      // $
      const len = Number(line);
      if (len < 0) return [null, next];
      if (!Number.isSafeInteger(len) || len > MAX_BULK) throw new Error(`redis reply too large (${line} bytes)`);
      if (next + len + 2 > buf.length) return INCOMPLETE;
      return [buf.toString('utf8', next, next + len), next + len + 2];
    }
    case 42: {
      // *
      const n = Number(line);
      if (n < 0) return [null, next];
      if (!Number.isSafeInteger(n) || n > MAX_ARRAY) throw new Error(`redis array reply too large (${line})`);
      const out: Reply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (r === INCOMPLETE) return INCOMPLETE;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default:
      throw new Error(`bad redis reply type byte ${type}`);
  }
}

function encode(command: string, args: ReadonlyArray<string | Buffer | number>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length + 1}\r\n$${Buffer.byteLength(command)}\r\n${command}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, CRLF);
  }
  return Buffer.concat(parts);
}
const CRLF = Buffer.from('\r\n');

/** One connection to Redis with the surface BullMQ's Bun adapter expects. */
export class RespClient {
  connected = false;
  onconnect: ((...args: unknown[]) => void) | null = null;
  onclose: ((...args: unknown[]) => void) | null = null;
  onerror: ((...args: unknown[]) => void) | null = null;
  readonly #opts: RespOptions;
  #socket: Socket | null = null;
  #pending: Pending[] = [];
  #head = 0;
  #buf: Buffer = Buffer.alloc(0);
  #out: Buffer[] = [];
  #flushQueued = false;
  #closed = false;

  constructor(opts: RespOptions) {
    this.#opts = { ...opts };
  }

  get url(): string {
    return `redis://${this.#opts.host}:${this.#opts.port}/${this.#opts.db ?? 0}`;
  }

  connect(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('Connection closed'));
    const o = this.#opts;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const sock = netConnect({ host: o.host, port: o.port });
      this.#socket = sock;
      sock.setNoDelay(true);
      sock.setKeepAlive(true, 10_000);
      const timer = setTimeout(() => fail(new Error(`Connection closed: connect timeout to ${o.host}:${o.port}`)), o.connectTimeoutMs ?? 5000);
      const fail = (e: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sock.destroy();
        reject(e);
      };
      sock.on('data', (d: Buffer) => this.#onData(d));
      sock.on('error', (e) => {
        if (!settled) fail(new Error(`Connection closed: ${e.message}`));
        else this.onerror?.(e);
      });
      sock.on('close', () => {
        clearTimeout(timer);
        const wasConnected = this.connected;
        this.connected = false;
        this.#closed = true;
        this.#failPending(new Error('Connection closed'));
        if (!settled) fail(new Error(`Connection closed: could not connect to ${o.host}:${o.port}`));
        // Also on a failed first connect: the adapter reconnects (with back-off) from onclose.
        this.onclose?.(wasConnected ? undefined : new Error(`Connection closed: ${o.host}:${o.port} unreachable`));
      });
      sock.once('connect', () => {
        this.connected = true;
        const init: Array<Promise<unknown>> = [];
        if (o.password !== undefined) init.push(this.send('AUTH', o.username ? [o.username, o.password] : [o.password]));
        if (o.db) init.push(this.send('SELECT', [String(o.db)]));
        Promise.all(init).then(
          () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve();
            this.onconnect?.();
          },
          (e: Error) => fail(new Error(`Connection closed: ${e.message}`)),
        );
      });
    });
  }

  send<T = unknown>(command: string, args: ReadonlyArray<string | Buffer | number> = []): Promise<T> {
    if (!this.connected || !this.#socket) return Promise.reject(new Error('Connection closed'));
    this.#out.push(encode(command, args));
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      process.nextTick(this.#flush);
    }
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ resolve: resolve as (v: unknown) => void, reject });
    });
  }

  readonly #flush = (): void => {
    this.#flushQueued = false;
    const out = this.#out;
    this.#out = [];
    if (out.length && this.#socket && !this.#socket.destroyed) this.#socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
  };

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, d]) : d;
    let pos = 0;
    try {
      for (;;) {
        const r = parseReply(this.#buf, pos);
        if (r === INCOMPLETE) break;
        pos = r[1];
        const p = this.#pending[this.#head];
        if (!p) throw new Error('redis reply without a request');
        this.#pending[this.#head++] = undefined as unknown as Pending;
        if (r[0] instanceof RespError) p.reject(r[0]);
        else p.resolve(r[0]);
      }
    } catch (e) {
      this.#socket?.destroy(e as Error);
      return;
    }
    this.#buf = pos >= this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(pos);
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
  }

  #failPending(e: Error): void {
    const list = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    this.#out = [];
    for (const p of list) p?.reject(e);
  }

  close(): void {
    this.#closed = true;
    this.connected = false;
    this.#socket?.destroy();
  }

  async duplicate(): Promise<this> {
    return new RespClient(this.#opts) as this;
  }

  get(key: string): Promise<string | null> {
    return this.send('GET', [key]);
  }

  smembers(key: string): Promise<unknown[]> {
    return this.send('SMEMBERS', [key]);
  }

  incr(key: string): Promise<number> {
    return this.send('INCR', [key]);
  }
}
