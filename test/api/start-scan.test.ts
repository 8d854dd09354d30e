/**
 * Starting a real scan through the API (POST /api/scans), as `edgewatch serve --lab` does: the
 * server runs `edgewatch scan` as a child against a lab on loopback, the scan appears in the store
 * at once, runs to the end, and its hosts are listed by the API. A viewer may not start scans, and
 * a target that looks like a flag is refused before any child starts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScanStarter } from '../../src/api/start-scan.js';
import { buildServer } from '../../src/api/server.js';
import { Users } from '../../src/api/users.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';
const RANGE = '127.72.0.0/28';

let dir: string;
let store: Store;
let app: FastifyInstance;
let lab: Lab;
let base = '';
const tokens: Record<string, string> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ew-api-start-'));
  const db = join(dir, 'api.db');
  store = await openStore({ dialect: 'sqlite', file: db });
  lab = await startLab({ range: RANGE, seed: 3, httpsPort: 0, httpPort: 0, listen: 'auto' });
  const users = new Users(store.db);
  for (const [name, role] of [
    ['ana', 'analyst'],
    ['vic', 'viewer'],
  ] as const) {
    const u = await users.create({ username: name, password: `${name}-password-123456`, role });
    tokens[name] = (await users.createToken(u.id, 'test')).token;
  }
  app = await buildServer({
    store,
    loginPerMinute: 1000,
    context: { startScan: createScanStarter({ store, db, allowLab: true, extraArgs: ['--timeout', '2', '--total-timeout', '6'] }) },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await lab?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function post(path: string, token: string, body: unknown) {
  return fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('POST /api/scans', () => {
  it('an analyst starts a real scan of the lab; it runs to the end and its hosts are served', async () => {
    const r = await post('/api/scans', tokens.ana, { targets: [RANGE], ports: [lab.httpsPort], lab: true, label: 'from the API' });
    expect(r.status).toBe(202);
    const { scan } = (await r.json()) as { scan: string };
    expect(scan).toMatch(/^s\d{8}T/);
    let state = '';
    const end = Date.now() + 90_000;
    while (Date.now() < end) {
      const list = (await (await fetch(`${base}/api/scans`, { headers: { authorization: `Bearer ${tokens.vic}` } })).json()) as {
        scans: Array<{ id: string; state: string; label: string | null }>;
      };
      const s = list.scans.find((x) => x.id === scan);
      expect(s?.label).toMatch(/^from the API \(ana [0-9a-f]{8}\)$/);
      state = s?.state ?? '';
      if (state === 'finished') break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(state).toBe('finished');
    const hosts = (await (await fetch(`${base}/api/scans/${scan}/hosts?per_page=100`, { headers: { authorization: `Bearer ${tokens.vic}` } })).json()) as {
      total: number;
    };
    const answering = lab.truth().filter((t) => t.persona !== 'refused').length;
    expect(hosts.total).toBeGreaterThan(0);
    expect(hosts.total).toBeLessThanOrEqual(16);
    expect(answering).toBeGreaterThan(0);
    // Every target of the range is recorded, once.
    let records = 0;
    for await (const _ of store.iterateRecords(scan)) records++;
    expect(records).toBe(16);
  }, 120_000);

  it('a viewer may not start scans; a flag-like target is refused before any child starts', async () => {
    const v = await post('/api/scans', tokens.vic, { targets: [RANGE], lab: true });
    expect(v.status).toBe(403);
    const before = (await store.listScans()).length;
    const bad = await post('/api/scans', tokens.ana, { targets: ['--scope=0.0.0.0/0'], lab: true });
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.status).toBeLessThan(500);
    expect((await store.listScans()).length).toBe(before);
  });
});
