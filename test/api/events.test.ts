/**
 * Live scan progress over server-sent events (GET /api/scans/:id/events), on a real socket: a
 * running scan streams `progress` events while it runs and the stream ends once it stops; scoped
 * users get the state without the counts (which include other constituencies).
 */
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { Users } from '../../src/api/users.js';
import { type Seeded, seed } from './fixture.js';

let s: Seeded;
let app: FastifyInstance;
let base = '';
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await seed();
  app = await buildServer({ store: s.store, loginPerMinute: 1000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const users = new Users(s.store.db);
  for (const name of ['viewer', 'zcert']) tokens[name] = (await users.createToken((await users.byName(name))?.id ?? 0, 'sse')).token;
});

afterAll(async () => {
  await app?.close();
  await s?.store.close();
  rmSync(s.dir, { recursive: true, force: true });
});

interface Progress {
  scan: string;
  state: string;
  done: number | null;
  total: number | null;
}

/** Read the event stream until it ends (bounded: 20 s); call `onEvent` for each progress event. */
async function readEvents(url: string, token: string, onEvent: (e: Progress, n: number) => Promise<void> | void): Promise<{ events: Progress[]; type: string }> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 20_000);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: ac.signal });
  const events: Progress[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (let i = 0; i < 200; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let cut = buf.indexOf('\n\n');
      while (cut >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        cut = buf.indexOf('\n\n');
        if (!/^event: progress$/m.test(block)) continue;
        const data = /^data: (.*)$/m.exec(block)?.[1];
        const e = JSON.parse(data ?? 'null') as Progress;
        events.push(e);
        await onEvent(e, events.length);
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return { events, type: res.headers.get('content-type') ?? '' };
}

describe('GET /api/scans/:id/events', () => {
  it('streams progress while the scan runs and ends when it stops', async () => {
    const scan = await s.store.createScan({ label: 'live', settings: {}, total: 40 });
    const { events, type } = await readEvents(`${base}/api/scans/${scan.id}/events`, tokens.viewer, async (e, n) => {
      expect(e.scan).toBe(scan.id);
      // After two running events, the scan stops.
      if (n === 2) await s.store.setScanState(scan.id, 'finished');
    });
    expect(type).toMatch(/^text\/event-stream/);
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events.slice(0, 2).every((e) => e.state === 'running')).toBe(true);
    expect(events.at(-1)?.state).toBe('finished');
    expect(events.filter((e) => e.state !== 'running')).toHaveLength(1);
    expect(events[0].total).toBe(40);
  }, 30_000);

  it('a scoped user sees the state, never the counts', async () => {
    const { events } = await readEvents(`${base}/api/scans/${s.scans[1]}/events`, tokens.zcert, () => undefined);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ state: 'finished', done: null, total: null });
    const { events: all } = await readEvents(`${base}/api/scans/${s.scans[1]}/events`, tokens.viewer, () => undefined);
    expect(all[0].total).toBe(60);
  });

  it('an unknown scan is 404, not a stream', async () => {
    const res = await fetch(`${base}/api/scans/no-such-scan/events`, { headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect(res.status).toBe(404);
  });
});
