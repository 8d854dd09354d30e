/**
 * HostSession pipelining: requests queued while one is in flight go out together in one write on
 * the same connection and are answered in order; requests lost to a close are asked again; a
 * server that mishandles pipelining costs one retry and turns it off; speculative requests are
 * dropped when an earlier one fails. Real loopback sockets throughout.
 */
import type { Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { NetError } from '../../src/net/errors.js';
import { createHostSession } from '../../src/net/session.js';
import { closedPort, fastOpts, ok, rawServer, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
const CLOSE = '\0close';
afterAll(async () => {
  for (const s of servers) await s.close();
});

/**
 * A server that records every data chunk and answers each complete request head via `answer`
 * (null: no answer; CLOSE at the end: close the connection after this answer, ignore the rest).
 */
async function chunkServer(
  answer: (path: string, method: string, sock: Socket, n: number) => string | null,
): Promise<TestServer & { chunks: string[] }> {
  const chunks: string[] = [];
  const srv = await rawServer((sock, s) => {
    let buf = '';
    let n = 0;
    sock.on('data', (c: Buffer) => {
      chunks.push(c.toString('latin1'));
      buf += c.toString('latin1');
      let out = '';
      let close = false;
      for (;;) {
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) break;
        const head = buf.slice(0, i + 4);
        buf = buf.slice(i + 4);
        s.requests.push(head);
        const [method, path] = head.split(' ');
        const r = answer(path, method, sock, ++n);
        if (r?.endsWith(CLOSE)) {
          out += r.slice(0, -CLOSE.length);
          close = true;
          break;
        }
        if (r !== null) out += r;
      }
      // All answers to one chunk in one write: the client must split them itself.
      if (close) sock.end(out);
      else if (out && !sock.destroyed) sock.write(out);
    });
  });
  servers.push(srv);
  return Object.assign(srv, { chunks });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(NetError);
    return (e as NetError).code;
  }
  throw new Error('expected a rejection');
}

describe('pipelining', () => {
  it('writes queued requests in one go and reads the answers, arriving together, in order', async () => {
    const srv = await chunkServer((path, method) =>
      method === 'HEAD' ? 'HTTP/1.1 200 OK\r\nContent-Length: 83\r\n\r\n' : ok(`answer to ${path}`),
    );
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts());
    const paths = ['/1', '/2', '/3', '/4', '/5'];
    const all = Promise.all([
      ...paths.map((path) => s.request({ method: 'GET', path })),
      s.request({ method: 'HEAD', path: '/vpn/../vpns/cfg/smb.conf' }),
      s.request({ method: 'GET', path: '/6' }),
    ]);
    const rs = await all;
    expect(rs.slice(0, 5).map((r) => r.body.toString())).toEqual(paths.map((p) => `answer to ${p}`));
    expect(rs[5].status).toBe(200);
    expect(rs[5].body.length).toBe(0);
    expect(rs[5].requestLine).toBe('HEAD /vpn/../vpns/cfg/smb.conf HTTP/1.1');
    expect(rs[6].body.toString()).toBe('answer to /6');
    // One connection; all seven requests in one write (one chunk on loopback), paths as given.
    expect(srv.conns).toBe(1);
    expect(srv.chunks).toHaveLength(1);
    expect(srv.requests.map((h) => h.split(' ').slice(0, 2).join(' '))).toEqual([
      ...paths.map((p) => `GET ${p}`),
      'HEAD /vpn/../vpns/cfg/smb.conf',
      'GET /6',
    ]);
    expect(s.stats).toMatchObject({ connections: 1, requests: 7 });
    s.close();
  });

  it('asks again, on a new connection, what a Connection: close left unanswered', async () => {
    const srv = await chunkServer((path) =>
      path === '/2' ? `HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbye!${CLOSE}` : ok(`answer to ${path}`),
    );
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts());
    const rs = await Promise.all(['/1', '/2', '/3', '/4'].map((path) => s.request({ method: 'GET', path })));
    expect(rs.map((r) => r.body.toString())).toEqual(['answer to /1', 'bye!', 'answer to /3', 'answer to /4']);
    expect(srv.conns).toBe(2);
    // After a close the session stops pipelining: /3 and /4 went out one at a time.
    expect(srv.chunks.slice(-2).map((c) => c.split(' ')[1])).toEqual(['/3', '/4']);
    s.close();
  });

  it('a server that answers only the first request of a burst costs one retry, then no pipelining', async () => {
    const srv = await rawServer((sock, s) => {
      sock.on('data', (c: Buffer) => {
        const text = c.toString('latin1');
        s.requests.push(text);
        const path = text.split(' ')[1];
        sock.write(ok(`answer to ${path}`)); // the rest of the chunk is ignored
      });
    });
    servers.push(srv);
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts({ firstByteTimeoutMs: 200 }));
    const rs = await Promise.all(['/1', '/2', '/3'].map((path) => s.request({ method: 'GET', path })));
    expect(rs.map((r) => r.body.toString())).toEqual(['answer to /1', 'answer to /2', 'answer to /3']);
    expect(srv.conns).toBe(2);
    s.close();
  });

  it('a close-delimited answer with requests behind it is asked again alone', async () => {
    // The responder's bare 403 keeps the socket open; the server then answers what follows. Read
    // naively, the pipelined answers would become the 403's body.
    const srv = await chunkServer((path) => (path === '/vpn/../vpns/' ? 'HTTP/1.1 403 Forbidden\r\n\r\n' : ok(`answer to ${path}`)));
    const s = createHostSession({ ip: '127.0.0.1', port: srv.port }, fastOpts({ closeDelimitedGraceMs: 100 }));
    const rs = await Promise.all(['/vpn/../vpns/', '/b', '/c'].map((path) => s.request({ method: 'GET', path })));
    expect(rs[0].status).toBe(403);
    expect(rs[0].headerCount).toBe(0);
    expect(rs[0].body.length).toBe(0);
    expect(rs[0].framing).toBe('close');
    expect(rs[1].body.toString()).toBe('answer to /b');
    expect(rs[2].body.toString()).toBe('answer to /c');
    s.close();
  });

  it('drops speculative requests when an earlier one fails, and still sends the others', async () => {
    const port = await closedPort();
    const s = createHostSession({ ip: '127.0.0.1', port }, fastOpts());
    const first = s.request({ method: 'GET', path: '/a' });
    const spec1 = s.request({ method: 'GET', path: '/b' }, { speculative: true });
    const plain = s.request({ method: 'GET', path: '/c' });
    const spec2 = s.request({ method: 'GET', path: '/d' }, { speculative: true });
    expect(await codeOf(first)).toBe('EW_NET_REFUSED');
    expect(await codeOf(spec1)).toBe('EW_NET_DROPPED');
    expect(await codeOf(spec2)).toBe('EW_NET_DROPPED');
    expect(await codeOf(plain)).toBe('EW_NET_REFUSED');
    expect(s.stats.connections).toBe(2);
    s.close();
  });
});
