/**
 * Decoded bytes of one collected log file, streamed: gzip is recognised by its magic bytes
 * (`1f 8b`), not by the name, and inflated with zlib's streaming gunzip. Output is capped per file
 * (`maxBytes`, and for gzip also a ratio cap against the compressed size, so a gzip bomb stops
 * early); a cap, a corrupt member or a read error ends the file with a reason instead of throwing.
 */
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { EdgewatchError } from '../../errors.js';

/** Decompressed output allowed per compressed byte before a gzip file is treated as a bomb. */
export const GZIP_MAX_RATIO = 200;
/** Output every gzip file may produce whatever its compressed size (small rotations). */
export const GZIP_MIN_ALLOWANCE = 64 * 1024 * 1024;
const GUNZIP_CHUNK = 256 * 1024;

/** What reading one file produced; `stopped` says why the rest was not read. */
export interface DecodeStats {
  gzip: boolean;
  /** Decoded bytes handed on. */
  bytes: number;
  stopped?: string;
}

export interface DecodeOptions {
  /** Cap on decoded bytes for this file. */
  maxBytes: number;
  /** Size of the stored (compressed) file, for the gzip ratio cap; 0 when unknown. */
  storedSize: number;
  signal?: AbortSignal;
}

type Chunk = Buffer | string;
const toBuf = (c: Chunk): Buffer => (typeof c === 'string' ? Buffer.from(c, 'latin1') : c);

function destroy(s: NodeJS.ReadableStream | Readable): void {
  const d = (s as Partial<Readable>).destroy;
  if (typeof d === 'function') d.call(s);
}

/**
 * Throws when `signal` is aborted: its reason when that is an EdgewatchError (the CLI aborts with
 * EW_TRIAGE_ABORTED), otherwise EW_TRIAGE_ABORTED (exit status 130).
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (!signal?.aborted) return;
  if (signal.reason instanceof EdgewatchError) throw signal.reason;
  throw new EdgewatchError('EW_TRIAGE_ABORTED', 'log analysis was stopped', { cause: signal.reason, exitCode: 130 });
}

/**
 * Yields the decoded chunks of `raw`, filling `st` on the way. Never throws for bad input (only
 * EW_TRIAGE_ABORTED when `signal` fires); `st.stopped` is set when the file was not read to the end.
 */
export async function* decodeLog(raw: NodeJS.ReadableStream, st: DecodeStats, o: DecodeOptions): AsyncGenerator<Buffer> {
  const it = (raw as AsyncIterable<Chunk>)[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  try {
    while (head.length < 2) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      head = head.length ? Buffer.concat([head, toBuf(r.value)]) : toBuf(r.value);
    }
  } catch (e) {
    st.stopped = `read error: ${(e as Error).message}`;
    destroy(raw);
    return;
  }
  st.gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  let limit = o.maxBytes;
  if (st.gzip) limit = Math.min(limit, Math.max(GZIP_MIN_ALLOWANCE, o.storedSize * GZIP_MAX_RATIO));

  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield toBuf(r.value);
    }
  }

  let out: AsyncIterable<Chunk> = rest();
  let gz: ReturnType<typeof createGunzip> | null = null;
  if (st.gzip) {
    gz = createGunzip({ chunkSize: GUNZIP_CHUNK });
    out = pipeline(Readable.from(rest(), { objectMode: false }), gz, () => {});
  }
  try {
    for await (const c of out) {
      throwIfAborted(o.signal);
      let b = toBuf(c);
      if (st.bytes + b.length > limit) {
        b = b.subarray(0, limit - st.bytes);
        st.bytes += b.length;
        if (b.length) yield b;
        st.stopped = st.gzip
          ? `stopped after ${fmtBytes(limit)} decompressed (cap; possible gzip bomb)`
          : `stopped after ${fmtBytes(limit)} (per-file cap)`;
        return;
      }
      st.bytes += b.length;
      yield b;
    }
  } catch (e) {
    if (e instanceof EdgewatchError) throw e;
    const msg = (e as Error).message;
    st.stopped = st.gzip ? `gzip data corrupt or truncated (${msg})` : `read error: ${msg}`;
  } finally {
    if (gz) gz.destroy();
    destroy(raw);
  }
}

/** `12.3 MB` style size for messages. */
export function fmtBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
