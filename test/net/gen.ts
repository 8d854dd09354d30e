/**
 * Generator of (mostly malformed) HTTP responses for the fuzz tests: random bytes, bad
 * Content-Length and chunk sizes, huge headers, mixed line endings, NULs, truncations, bodies
 * around the caps, floods of interim responses and headers. Deterministic for a given PRNG.
 */

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

const TEMPLATES = [
  'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nServer: x\r\n\r\nhello world',
  'HTTP/1.1 403 Forbidden\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\n',
  'HTTP/1.0 302 Found\r\nLocation: /vpn/index.html\r\n\r\n<html></html>',
  'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n',
  'HTTP/1.1 200 OK\r\nSet-Cookie: NSC_TEMP=xyz\r\nCneonction: close\r\nContent-Length: 3\r\n\r\nabc',
];
const BAD_CL = ['-1', '99999999999999999999', 'abc', '5,6', '', '0x10', ' 5 ', '1e3', '18446744073709551616', '00000000000000000000001'];
const BAD_CHUNK = ['zz', '-1', 'ffffffffffffffffffff', '', `1;${'x'.repeat(5000)}`, '1 1', '0x5', '\0'];

/** A generated (mostly malformed) response. */
export function genCase(rnd: () => number): Buffer {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const kind = Math.floor(rnd() * 9);
  let s: string;
  switch (kind) {
    case 0: {
      // random bytes, biased to HTTP-ish characters
      const alpha = 'HTTP/1.1 200\r\n:; \t0123456789abcdefABCDEF\0\xff';
      const n = Math.floor(rnd() * 600);
      s = '';
      for (let i = 0; i < n; i++) s += rnd() < 0.3 ? String.fromCharCode(Math.floor(rnd() * 256)) : alpha[Math.floor(rnd() * alpha.length)];
      if (rnd() < 0.5) s = `HTTP/1.1 200 OK\r\n${s}`;
      break;
    }
    case 1:
      s = `HTTP/1.1 200 OK\r\nContent-Length: ${pick(BAD_CL)}\r\n\r\nbody`;
      break;
    case 2:
      s = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${pick(BAD_CHUNK)}\r\nabc\r\n0\r\n\r\n`;
      break;
    case 3:
      s = `HTTP/1.1 200 OK\r\nX-Huge: ${'h'.repeat(Math.floor(rnd() * 9000))}\r\nContent-Length: 0\r\n\r\n`;
      break;
    case 4: {
      // mixed line endings
      s = pick(TEMPLATES).replace(/\r\n/g, () => pick(['\r\n', '\n', '\r', '\n\r', '\r\r\n']));
      break;
    }
    case 5: {
      // NULs and flipped bytes
      const a = b(pick(TEMPLATES));
      const flips = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < flips; i++) a[Math.floor(rnd() * a.length)] = rnd() < 0.5 ? 0 : Math.floor(rnd() * 256);
      return a;
    }
    case 6:
      // truncated anywhere
      s = pick(TEMPLATES);
      s = s.slice(0, Math.floor(rnd() * s.length));
      break;
    case 7:
      // big close-delimited or chunked bodies around the cap
      s =
        rnd() < 0.5
          ? `HTTP/1.1 200 OK\r\n\r\n${'b'.repeat(Math.floor(rnd() * 12000))}`
          : `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${'1000\r\n'.concat('c'.repeat(4096), '\r\n').repeat(1 + Math.floor(rnd() * 3))}0\r\n\r\n`;
      break;
    default:
      // many interim responses or many headers
      s =
        rnd() < 0.5
          ? 'HTTP/1.1 103 Early Hints\r\n\r\n'.repeat(Math.floor(rnd() * 12)) + pick(TEMPLATES)
          : `HTTP/1.1 200 OK\r\n${'A: b\r\n'.repeat(Math.floor(rnd() * 1000))}\r\n`;
  }
  return b(s);
}
