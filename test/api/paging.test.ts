/**
 * Server-side pages of the organisations and cases lists (the dashboard's long tables): the
 * server filters, sorts and cuts the page; pages together give the whole list exactly once; a
 * scoped user's total counts only their constituency.
 */
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { Users } from '../../src/api/users.js';
import { HEALTH, type Seeded, seed } from './fixture.js';

let s: Seeded;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await seed();
  app = await buildServer({ store: s.store, loginPerMinute: 1000 });
  const users = new Users(s.store.db);
  for (const name of ['viewer', 'zcert']) tokens[name] = (await users.createToken((await users.byName(name))?.id ?? 0, 'paging')).token;
});

afterAll(async () => {
  await app?.close();
  await s?.store.close();
  rmSync(s.dir, { recursive: true, force: true });
});

async function get<T>(user: string, url: string): Promise<T> {
  const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[user]}` } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as T;
}

interface Org {
  key: string;
  name: string;
  hosts: number;
}

describe('server-side pages', () => {
  it('organisations: pages of 2 cover the sorted list exactly once; q filters; scoped totals', async () => {
    const scan = s.scans[1];
    const all = await get<{ organisations: Org[] }>('viewer', `/api/organisations?scan=${scan}`);
    expect(all.organisations.length).toBeGreaterThan(2);
    const seen: Org[] = [];
    let total = -1;
    for (let page = 1; page <= 20; page++) {
      const p = await get<{ organisations: Org[]; total: number; page: number; per_page: number }>(
        'viewer',
        `/api/organisations?scan=${scan}&page=${page}&per_page=2&sort=name`,
      );
      total = p.total;
      expect(p.organisations.length).toBeLessThanOrEqual(2);
      if (p.organisations.length === 0) break;
      seen.push(...p.organisations);
    }
    expect(total).toBe(all.organisations.length);
    expect(seen.map((o) => o.key)).toEqual([...all.organisations].sort((a, b) => a.name.localeCompare(b.name)).map((o) => o.key));
    // Most hosts first, descending order reversed by `desc`.
    const byHosts = await get<{ organisations: Org[] }>('viewer', `/api/organisations?scan=${scan}&page=1&per_page=500&sort=hosts`);
    const hosts = byHosts.organisations.map((o) => o.hosts);
    expect(hosts).toEqual([...hosts].sort((a, b) => b - a));
    // A filter narrows the total on the server.
    const one = all.organisations[0];
    const f = await get<{ organisations: Org[]; total: number }>('viewer', `/api/organisations?scan=${scan}&page=1&q=${encodeURIComponent(one.name)}`);
    expect(f.total).toBeGreaterThanOrEqual(1);
    expect(f.total).toBeLessThan(all.organisations.length);
    expect(f.organisations.every((o) => o.name.toLowerCase().includes(one.name.toLowerCase()))).toBe(true);
    // A scoped user's pages hold only their organisations.
    const scoped = await get<{ organisations: Org[]; total: number }>('zcert', `/api/organisations?scan=${scan}&page=1&per_page=500`);
    expect(scoped.total).toBe(HEALTH.length);
    expect(scoped.organisations.map((o) => o.key).sort()).toEqual([...HEALTH].sort());
  });

  it('cases: pages cover the list exactly once, sorted on the server; bad page sizes are refused', async () => {
    const all = await get<{ cases: Array<{ id: string; hosts_open: number }> }>('viewer', '/api/cases');
    expect(all.cases.length).toBeGreaterThan(1);
    const ids: string[] = [];
    for (let page = 1; page <= 50; page++) {
      const p = await get<{ cases: Array<{ id: string; hosts_open: number }>; total: number }>('viewer', `/api/cases?page=${page}&per_page=1&sort=hosts`);
      expect(p.total).toBe(all.cases.length);
      if (p.cases.length === 0) break;
      ids.push(p.cases[0].id);
    }
    expect([...ids].sort()).toEqual(all.cases.map((c) => c.id).sort());
    const open = await get<{ cases: Array<{ hosts_open: number }> }>('viewer', '/api/cases?page=1&per_page=500&sort=hosts');
    const n = open.cases.map((c) => c.hosts_open);
    expect(n).toEqual([...n].sort((a, b) => b - a));
    const bad = await app.inject({ method: 'GET', url: '/api/cases?page=1&per_page=5000', headers: { authorization: `Bearer ${tokens.viewer}` } });
    expect(bad.statusCode).toBe(400);
  });
});
