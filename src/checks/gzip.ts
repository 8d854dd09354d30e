/**
 * GZIP MTIME reading for version stamps (DOMAIN §3.1): a raw body that starts `1f 8b 08 08`
 * (gzip, deflate, FNAME set) and names the expected file within its first 100 bytes carries the
 * build time as a little-endian uint32 at bytes 4..7. When the server wrapped the file in a
 * second gzip layer (`Content-Encoding: gzip`), inflate that layer once, bounded, then read.
 */
import { constants, gunzipSync } from 'node:zlib';

const HEAD = Buffer.from([0x1f, 0x8b, 0x08, 0x08]);
const NAME_WINDOW = 100;
/** Max bytes produced when inflating an outer Content-Encoding layer. */
const MAX_INFLATE = 1024 * 1024;

/** MTIME (Unix seconds) of a gzip member naming `fname`, or null when the bytes do not qualify. */
export function gzipMtime(raw: Buffer, fname: string): number | null {
  if (raw.length < 10 + fname.length || raw.compare(HEAD, 0, 4, 0, 4) !== 0) return null;
  const window = raw.subarray(10, Math.min(raw.length, NAME_WINDOW));
  if (window.indexOf(fname, 0, 'latin1') < 0) return null;
  return raw.readUInt32LE(4);
}

/**
 * MTIME from a response body, unwrapping one `Content-Encoding: gzip` layer when present and
 * the raw body does not already qualify. Never throws.
 */
export function gzipMtimeFromBody(body: Buffer, contentEncoding: string | null, fname: string): number | null {
  const direct = gzipMtime(body, fname);
  if (direct !== null) return direct;
  if (contentEncoding === null || !/\b(x-)?gzip\b/i.test(contentEncoding)) return null;
  if (body.length < 18 || body[0] !== 0x1f || body[1] !== 0x8b) return null;
  try {
    const inner = gunzipSync(body, { maxOutputLength: MAX_INFLATE, finishFlush: constants.Z_SYNC_FLUSH });
    return gzipMtime(inner, fname);
  } catch {
    return null;
  }
}
