/**
 * The RESP driver: URL parsing, replies of every type (pipelined), error replies, binary-safe
 * arguments, connection loss failing the pending commands, and a hostile server's reply limits.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isEdgewatchError } from '../../src/errors.js';
import { parseRedisUrl, pingRedis, redactRedisUrl } from '../../src/queue/redis.js';
import { RespClient, RespError } from '../../src/queue/resp.js';
import { serviceGate } from '../helpers/services.js';
import { freePort } from './helpers.js';

const gate = await serviceGate('redis');

describe('redis URL', () => {
  it('parses host, port, db and credentials; rejects other schemes', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6380/2')).toEqual({ host: '127.0.0.1', port: 6380, db: 2 });
    expect(parseRedisUrl('redis://:s%40cret@[::1]')).toEqual({ host: '::1', port: 6379, db: 0, password: 's@cret' });
    expect(parseRedisUrl('redis://u:p@h:1/0')).toMatchObject({ username: 'u', password: 'p' });
    for (const bad of ['rediss://h', 'http://h', 'redis://h/x', 'nonsense', '']) {
      let err: unknown;
      try {
        parseRedisUrl(bad);
      } catch (e) {
        err = e;
      }
      expect(isEdgewatchError(err, 'EW_QUEUE_REDIS_URL'), bad).toBe(true);
    }
    expect(redactRedisUrl('redis://u:secret@h:1')).toBe('redis://u:***@h:1');
  });
});

describe('RESP client against a hostile server', () => {
  it('fails the command and closes on an oversized or malformed reply, and reports unreachable', async () => {
    const port = await freePort();
    const srv = createServer((s) => s.on('data', () => s.write('$999999999999\r\n')));
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
    const c = new RespClient({ host: '127.0.0.1', port });
    let closed = false;
    c.onclose = () => {
      closed = true;
    };
    await c.connect();
    await expect(c.send('PING')).rejects.toThrow(/Connection closed/);
    expect(closed).toBe(true);
    await new Promise((r) => srv.close(r));
    expect(await pingRedis(`redis://127.0.0.1:${port}`, 500)).toBe(false);
  });
});

describe.skipIf(!gate.ok)('RESP client against Redis', () => {
  it('pipelines commands and decodes every reply type', async () => {
    const c = new RespClient({ host: '127.0.0.1', port: 6379 });
    await c.connect();
    const k = `ewtest-resp-${process.pid}-${Date.now()}`;
    try {
      const bin = Buffer.from([0, 13, 10, 255, 36]);
      const [ok, n, got, missing, arr, err] = await Promise.allSettled([
        c.send('SET', [k, bin]),
        c.send('STRLEN', [k]),
        c.send('EVAL', ["return {1, 'two', {3}, false}", '0']),
        c.send('GET', [`${k}-missing`]),
        c.send('HSET', [`${k}h`, 'a', 'é', 'b', '2']).then(() => c.send('HGETALL', [`${k}h`])),
        c.send('NOSUCHCOMMAND', []),
      ]);
      expect(ok).toEqual({ status: 'fulfilled', value: 'OK' });
      expect(n).toEqual({ status: 'fulfilled', value: 5 });
      expect(got).toEqual({ status: 'fulfilled', value: [1, 'two', [3], null] });
      expect(missing).toEqual({ status: 'fulfilled', value: null });
      expect(arr).toEqual({ status: 'fulfilled', value: ['a', 'é', 'b', '2'] });
      expect(err.status).toBe('rejected');
      expect((err as PromiseRejectedResult).reason).toBeInstanceOf(RespError);
      // Many at once, replies matched in order.
      const many = await Promise.all(Array.from({ length: 2000 }, (_, i) => c.send('ECHO', [`m${i}`])));
      expect(many[0]).toBe('m0');
      expect(many[1999]).toBe('m1999');
    } finally {
      await c.send('DEL', [k, `${k}h`]);
      c.close();
    }
  });
});
