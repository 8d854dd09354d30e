import { afterAll, describe, expect, it } from 'vitest';
import { NetError } from '../../src/net/errors.js';
import { createHostSession } from '../../src/net/session.js';
import { genCase } from './gen.js';
import { REASON_CODES } from '../../src/scan/record.js';
import { fastOpts, onRequest, prng, rawServer, type TestServer } from './helpers.js';

const REASONS: ReadonlySet<string> = new Set(REASON_CODES);

let srv: TestServer | null = null;
afterAll(async () => {
  await srv?.close();
});

describe('session fuzz over real sockets', () => {
  it('ends every generated response in a response or a NetError with a reason (400 cases)', async () => {
    const seed = 0xfeed;
    const rnd = prng(seed);
    const N = 400;
    const cases = Array.from({ length: N }, () => ({ bytes: genCase(rnd), keepOpen: rnd() < 0.25, pieces: 1 + Math.floor(rnd() * 3) }));
    srv = await rawServer((sock, s) =>
      onRequest(sock, s, (head) => {
        const m = /^GET \/case\/(\d+)/.exec(head);
        const c = m ? cases[Number(m[1])] : undefined;
        if (!c) return void sock.destroy();
        const step = Math.ceil(c.bytes.length / c.pieces) || 1;
        for (let off = 0; off < c.bytes.length; off += step) sock.write(c.bytes.subarray(off, off + step));
        if (!c.keepOpen) sock.end();
      }),
    );
    const port = srv.port;
    const opts = fastOpts({
      firstByteTimeoutMs: 250,
      idleTimeoutMs: 250,
      closeDelimitedGraceMs: 50,
      totalTimeoutMs: 2000,
      maxHeaderBytes: 4096,
      maxBodyBytes: 8192,
    });
    const tally: Record<string, number> = {};
    const heap0 = process.memoryUsage().heapUsed;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < N) {
        const i = next++;
        const s = createHostSession({ ip: '127.0.0.1', port }, opts);
        const where = `seed ${seed} case ${i}: ${JSON.stringify(cases[i].bytes.toString('latin1').slice(0, 100))}`;
        try {
          const r = await s.request({ method: 'GET', path: `/case/${i}` });
          expect(r.status, where).toBeGreaterThanOrEqual(100);
          expect(r.body.length, where).toBeLessThanOrEqual(8192);
          tally.ok = (tally.ok ?? 0) + 1;
        } catch (e) {
          if (!(e instanceof NetError)) throw new Error(`${where}: non-NetError ${String(e)}`);
          expect(REASONS.has(e.failure.reason), where).toBe(true);
          tally[e.failure.reason] = (tally[e.failure.reason] ?? 0) + 1;
        } finally {
          s.close();
        }
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    expect(Object.values(tally).reduce((a, b) => a + b, 0)).toBe(N);
    expect(tally.ok).toBeGreaterThan(0);
    expect(tally.protocol).toBeGreaterThan(0);
    expect(tally.too_large).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(128 << 20);
  });
});
