import { describe, expect, it } from 'vitest';
import { type FeedResult, ResponseParser } from '../../src/net/http1.js';
import { genCase } from './gen.js';
import { prng } from './helpers.js';

const LIMITS = { maxHeaderBytes: 4096, maxBodyBytes: 8192 };

interface Outcome {
  result: FeedResult;
  reason?: string;
  status?: number;
  headers?: Array<[string, string]>;
  body?: string;
  framing?: string;
  keepAlive?: boolean;
  extra?: number;
}

/** Feed `input` in the given pieces, then EOF when `eof`. */
function parse(input: Buffer, pieces: number[] = [input.length], opts: { head?: boolean; eof?: boolean } = {}): Outcome {
  const p = new ResponseParser(LIMITS);
  p.reset(opts.head ?? false);
  let r: FeedResult = 'more';
  let off = 0;
  for (const n of pieces) {
    if (off >= input.length) break;
    r = p.feed(input.subarray(off, off + n));
    off += n;
    if (r === 'failed') break;
  }
  if (r !== 'failed' && off < input.length) r = p.feed(input.subarray(off));
  if (r === 'more' && (opts.eof ?? true)) r = p.end();
  if (r === 'failed') return { result: r, reason: p.failure?.reason };
  if (r === 'more') return { result: r };
  return {
    result: r,
    status: p.status,
    headers: p.headers,
    body: p.body.toString('latin1'),
    framing: p.framing,
    keepAlive: p.keepAlive,
    extra: p.extraBytes,
  };
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

describe('ResponseParser: framing', () => {
  it('parses the bare responder 403 (no headers) as close-delimited and empty', () => {
    expect(parse(b('HTTP/1.1 403 Forbidden\r\n\r\n'))).toMatchObject({
      result: 'done',
      status: 403,
      headers: [],
      body: '',
      framing: 'close',
      keepAlive: false,
    });
    // without EOF it is still waiting (close-delimited)
    expect(parse(b('HTTP/1.1 403 Forbidden\r\n\r\n'), undefined, { eof: false }).result).toBe('more');
  });

  it('tolerates a missing reason phrase, bare LF, obs-fold and leading empty lines', () => {
    expect(parse(b('HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok'))).toMatchObject({ status: 200, body: 'ok' });
    expect(parse(b('\r\n\nHTTP/1.0 302 Found\nLocation: /vpn/index.html\nX-Long: a\n  b\nContent-Length: 0\n\n'))).toMatchObject({
      status: 302,
      headers: [
        ['location', '/vpn/index.html'],
        ['x-long', 'a b'],
        ['content-length', '0'],
      ],
      keepAlive: false,
    });
  });

  it('salvages a head cut by EOF after a complete line, rejects one cut mid-line', () => {
    expect(parse(b('HTTP/1.1 403 Forbidden\r\n'))).toMatchObject({ result: 'done', status: 403, headers: [] });
    expect(parse(b('HTTP/1.1 403 Forb'))).toMatchObject({ result: 'failed', reason: 'protocol' });
    expect(parse(b(''))).toMatchObject({ result: 'failed', reason: 'closed' });
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n'))).toMatchObject({ result: 'failed', reason: 'closed' });
  });

  it('handles Content-Length: lists, duplicates, conflicts, garbage, huge', () => {
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\nabcEXTRA'))).toMatchObject({
      body: 'abc',
      extra: 5,
    });
    for (const v of ['-1', 'abc', '1e3', '0x10', '', '3 4', '+3']) {
      expect(parse(b(`HTTP/1.1 200 OK\r\nContent-Length: ${v}\r\n\r\nabc`)), v).toMatchObject({ result: 'failed', reason: 'protocol' });
    }
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'))).toMatchObject({ reason: 'protocol' });
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n'))).toMatchObject({ reason: 'too_large' });
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 8193\r\n\r\n'))).toMatchObject({ reason: 'too_large' });
  });

  it('de-chunks with extensions and trailers; rejects bad chunk syntax', () => {
    const ok =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 999\r\n\r\n3;a=b\r\nabc\r\nA \r\n0123456789\r\n0\r\nT: 1\r\n\r\n';
    expect(parse(b(ok), undefined, { eof: false })).toMatchObject({ result: 'done', body: 'abc0123456789', framing: 'chunked' });
    const bad: Array<[string, string]> = [
      ['zz\r\nabc\r\n0\r\n\r\n', 'protocol'],
      ['-1\r\nabc\r\n0\r\n\r\n', 'protocol'],
      ['\r\nabc\r\n0\r\n\r\n', 'protocol'],
      ['3\r\nabcX\r\n0\r\n\r\n', 'protocol'],
      ['3 x\r\nabc\r\n', 'protocol'],
      [`1;${'x'.repeat(5000)}\r\na\r\n0\r\n\r\n`, 'protocol'],
      ['ffffffffffffffffffffff\r\n', 'too_large'],
      ['2001\r\n', 'too_large'],
      ['3\r\nabc\r\n', 'closed'],
    ];
    for (const [body, reason] of bad) {
      expect(parse(b(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`)), body.slice(0, 20)).toMatchObject({
        result: 'failed',
        reason,
      });
    }
    // Transfer-Encoding without chunked last: close-delimited
    expect(parse(b('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw'))).toMatchObject({ framing: 'close', body: 'raw' });
  });

  it('has no body for HEAD, 204, 304; skips 1xx; caps interim responses', () => {
    expect(parse(b('HTTP/1.1 200 OK\r\nContent-Length: 83\r\n\r\n'), undefined, { head: true, eof: false })).toMatchObject({
      result: 'done',
      body: '',
      framing: 'none',
      keepAlive: true,
    });
    expect(parse(b('HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n'), undefined, { eof: false })).toMatchObject({
      result: 'done',
      status: 204,
    });
    expect(parse(b('HTTP/1.1 304 Not Modified\r\n\r\n'), undefined, { eof: false })).toMatchObject({ result: 'done', status: 304 });
    expect(parse(b('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx'), [7, 20, 3])).toMatchObject({
      status: 200,
      body: 'x',
    });
    expect(parse(b('HTTP/1.1 100 Continue\r\n\r\n'.repeat(9)))).toMatchObject({ reason: 'protocol' });
    expect(parse(b('HTTP/1.1 100 Continue\r\n\r\n'))).toMatchObject({ reason: 'closed' });
  });

  it('rejects garbage, bad status lines, bad header lines, NUL; bounds the head', () => {
    for (const s of [
      'SSH-2.0-OpenSSH\r\n\r\n',
      'HTTP/2.0 200 OK\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTP/1.1 099 X\r\n\r\n',
      'HTTP/1.1 20x\r\n\r\n',
      'http/1.1 200 OK\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\n: empty name\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n',
      ' folded: first\r\n\r\n',
      '\0\0\0\0\r\n\r\n',
    ]) {
      expect(parse(b(s)), JSON.stringify(s)).toMatchObject({ result: 'failed', reason: 'protocol' });
    }
    expect(parse(b(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(5000)}\r\n\r\n`))).toMatchObject({ reason: 'too_large' });
    expect(parse(b('x'.repeat(5000)), undefined, { eof: false })).toMatchObject({ reason: 'too_large' });
    expect(parse(b('\r\n'.repeat(3000)), undefined, { eof: false })).toMatchObject({ reason: 'too_large' });
  });

  it('keeps a connection only when HTTP/1.1 without close, or HTTP/1.0 with keep-alive', () => {
    const ka = (s: string): boolean | undefined => parse(b(`${s}Content-Length: 0\r\n\r\n`), undefined, { eof: false }).keepAlive;
    expect(ka('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(ka('HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\n')).toBe(false);
    expect(ka('HTTP/1.1 200 OK\r\nCneonction: close\r\nnnCoection: close\r\n')).toBe(true);
    expect(ka('HTTP/1.0 200 OK\r\n')).toBe(false);
    expect(ka('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n')).toBe(true);
  });

  it('stops a close-delimited body at the cap and stays bounded under an endless stream', () => {
    const p = new ResponseParser(LIMITS);
    p.reset(false);
    expect(p.feed(b('HTTP/1.1 200 OK\r\n\r\n'))).toBe('more');
    const block = Buffer.alloc(4096, 0x41);
    expect(p.feed(block)).toBe('more');
    expect(p.feed(block)).toBe('more');
    expect(p.feed(b('x'))).toBe('failed');
    expect(p.failure?.reason).toBe('too_large');
    const heap0 = process.memoryUsage().heapUsed;
    const big = Buffer.alloc(1 << 20, 0x42);
    for (let i = 0; i < 200; i++) expect(p.feed(big)).toBe('failed');
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(16 << 20);
  });

  it('completes a close-delimited body by grace', () => {
    const p = new ResponseParser(LIMITS);
    p.reset(false);
    expect(p.finishByGrace()).toBe(false);
    p.feed(b('HTTP/1.1 403 Forbidden\r\n\r\npartial'));
    expect(p.finishByGrace()).toBe(true);
    expect(p.bodyEndedByGrace).toBe(true);
    expect(p.body.toString()).toBe('partial');
  });

  it('gives the same outcome for every split of a response', () => {
    const inputs = [
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: NSC_AAAC=xyz\r\n\r\nhello',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x\r\nab\r\n3\ncde\n0\r\nA: b\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 403 Forbidden\n\nbody',
    ];
    for (const s of inputs) {
      const whole = parse(b(s));
      for (let cut = 1; cut < s.length; cut++) expect(parse(b(s), [cut]), `${JSON.stringify(s)} @${cut}`).toEqual(whole);
      expect(parse(b(s), new Array(s.length).fill(1))).toEqual(whole);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz: generated malformed responses. Seeded, so a failure names its seed and case.

function randomPieces(rnd: () => number, len: number): number[] {
  const out: number[] = [];
  let left = len;
  while (left > 0) {
    const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 2000));
    out.push(n);
    left -= n;
  }
  return out;
}

describe('ResponseParser: fuzz', () => {
  it('never throws, always ends in a response or a failure, independent of chunking (5,000 cases)', () => {
    const seed = 0x5eed;
    const rnd = prng(seed);
    const reasons = new Set(['protocol', 'too_large', 'closed']);
    const heap0 = process.memoryUsage().heapUsed;
    const tally: Record<string, number> = {};
    for (let i = 0; i < 5000; i++) {
      const input = genCase(rnd);
      const head = rnd() < 0.1;
      const where = `seed ${seed} case ${i}: ${JSON.stringify(input.toString('latin1').slice(0, 120))}`;
      let whole: Outcome;
      let split: Outcome;
      try {
        whole = parse(input, undefined, { head });
        split = parse(input, randomPieces(rnd, input.length), { head });
      } catch (e) {
        throw new Error(`${where}: threw ${String(e)}`);
      }
      expect(whole.result, where).not.toBe('more');
      if (whole.result === 'failed') expect(reasons.has(whole.reason ?? ''), where).toBe(true);
      else {
        expect(whole.status, where).toBeGreaterThanOrEqual(100);
        expect((whole.body ?? '').length, where).toBeLessThanOrEqual(LIMITS.maxBodyBytes);
      }
      expect(split, where).toEqual(whole);
      const k = whole.result === 'failed' ? (whole.reason as string) : 'ok';
      tally[k] = (tally[k] ?? 0) + 1;
    }
    // the generator must exercise every outcome
    expect(Object.keys(tally).sort()).toEqual(['closed', 'ok', 'protocol', 'too_large']);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(64 << 20);
  });
});
