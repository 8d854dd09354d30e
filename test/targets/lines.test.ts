import { describe, expect, it } from 'vitest';
import { readLineBatches } from '../../src/targets/lines.js';

async function* chunked(buf: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; ) {
    const n = Math.min(buf.length - i, sizes());
    yield buf.subarray(i, i + n);
    i += n;
  }
}

async function lines(buf: Buffer, sizes: () => number, max = 4096): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const b of readLineBatches(chunked(buf, sizes), 'x', max)) {
    for (let i = 0; i < b.lines.length; i++) out.push([b.first + i, b.lines[i]]);
  }
  return out;
}

describe('line splitting', () => {
  it('gives the same lines and numbers whatever the chunking (incl. split UTF-8 and CRLF)', async () => {
    const text = '127.0.0.1\r\n\r\ncafé.example\n# ü comment\nlast-without-newline';
    const want = text.split('\n').map((l, i) => [i + 1, l] as [number, string]);
    let seed = 7;
    const rnd = () => {
      seed = (seed * 48271) % 2147483647;
      return 1 + (seed % 7);
    };
    for (const sizes of [() => 1, () => 2, () => 3, rnd, () => 1 << 20]) {
      expect(await lines(Buffer.from(text), sizes)).toEqual(want);
    }
  });

  it('refuses an overlong line split across many chunks, naming its line', async () => {
    const buf = Buffer.from(`ok\n${'a'.repeat(100)}\nok\n`);
    await expect(lines(buf, () => 7, 50)).rejects.toMatchObject({ code: 'EW_TARGET_PARSE', file: 'x', line: 2 });
    await expect(lines(buf, () => 1 << 20, 50)).rejects.toMatchObject({ code: 'EW_TARGET_PARSE', file: 'x', line: 2 });
    expect((await lines(buf, () => 7, 100)).length).toBe(3);
  });
});
