/**
 * The authorisation matrix: every API route × every role (and anonymous) × constituency scope →
 * the expected allow or deny; and a scoped user never sees a host, count or export row outside
 * their constituencies. Real SQLite store, the real server (fastify inject).
 */
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows, type Permission, type Role } from '../../src/api/roles.js';
import { apiRoutes } from '../../src/api/routes/index.js';
import { buildServer } from '../../src/api/server.js';
import { Users } from '../../src/api/users.js';
import { HEALTH, type Seeded, seed } from './fixture.js';

let s: Seeded;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
const USERS: Array<{ name: string; role: Role; scoped: boolean }> = [
  { name: 'admin', role: 'admin', scoped: false },
  { name: 'analyst', role: 'analyst', scoped: false },
  { name: 'viewer', role: 'viewer', scoped: false },
  { name: 'zcert', role: 'viewer', scoped: true },
  { name: 'zcert-analyst', role: 'analyst', scoped: true },
];

beforeAll(async () => {
  s = await seed();
  // Authorisation only: the starter records who may start a scan (test/api/start-scan.test.ts starts real ones).
  app = await buildServer({ store: s.store, loginPerMinute: 1000, context: { startScan: async (_r, actor) => `started-by-${actor}` } });
  const users = new Users(s.store.db);
  for (const u of USERS) {
    const row = await users.byName(u.name);
    tokens[u.name] = (await users.createToken(row?.id ?? 0, 'test')).token;
  }
});

afterAll(async () => {
  await app?.close();
  await s?.store.close();
  rmSync(s.dir, { recursive: true, force: true });
});

let seqNo = 0;
function request(method: string, url: string): { url: string; payload?: unknown } {
  const scan = s.scans[1];
  const healthIp = [...s.owner].find(([, k]) => k === HEALTH[0])?.[0] ?? '';
  const u = url
    .replace('/cases/:id', '/cases/EW-2026-000001')
    .replace(':id/', `${scan}/`)
    .replace(/\/users\/:id$/, '/users/3')
    .replace(/\/tokens\/:id$/, '/tokens/000000000000')
    .replace(':ip', healthIp);
  const q = /^\/export\/(hosts|countries|versions)$/.test(u) ? `?scan=${scan}` : '';
  let payload: unknown;
  if (method === 'POST' && u === '/users') payload = { username: `new${++seqNo}`, password: 'a long enough password', role: 'viewer' };
  if (method === 'POST' && u === '/scans') payload = { targets: ['127.0.0.1'] };
  if (method === 'POST' && u === '/auth/tokens') payload = { name: 'matrix' };
  if (method === 'PATCH') payload = { role: 'viewer' };
  if (method === 'POST' && u.endsWith('/state')) payload = { state: 'acknowledged' };
  if (method === 'POST' && u.endsWith('/notes')) payload = { text: 'matrix' };
  if (method === 'POST' && u === '/notify/plan') payload = {};
  if (method === 'POST' && u === '/notify/approve') payload = { all: true };
  return { url: `/api${u}${q}`, payload };
}

describe('authorisation matrix', () => {
  const routes = () => apiRoutes({ store: s.store, users: new Users(s.store.db), loginPerMinute: 10 });

  it('covers every route of the table (and the table has the dashboard’s routes)', () => {
    const urls = routes().map((r) => `${r.method} ${r.url}`);
    expect(urls).toContain('GET /scans/:id/hosts');
    expect(urls).toContain('GET /export/hosts');
    for (const u of ['GET /reports', 'GET /export/cases', 'GET /export/countries', 'GET /export/versions', 'GET /export/trend', 'GET /export/host/:ip']) {
      expect(urls).toContain(u);
    }
    expect(urls.length).toBeGreaterThanOrEqual(20);
  });

  it('anonymous: every route but login answers 401', async () => {
    for (const r of routes()) {
      if (r.permission === undefined) continue;
      const { url, payload } = request(r.method, r.url);
      const res = await app.inject({ method: r.method, url, payload: payload as object });
      expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
    }
  });

  it('a bad or revoked token is 401 too', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/scans', headers: { authorization: 'Bearer ewt_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    expect(res.statusCode).toBe(401);
    const users = new Users(s.store.db);
    const t = await users.createToken(1, 'to revoke');
    expect((await app.inject({ method: 'GET', url: '/api/scans', headers: { authorization: `Bearer ${t.token}` } })).statusCode).toBe(200);
    await users.revokeToken(t.id);
    expect((await app.inject({ method: 'GET', url: '/api/scans', headers: { authorization: `Bearer ${t.token}` } })).statusCode).toBe(401);
  });

  for (const u of USERS) {
    it(`${u.name} (${u.role}${u.scoped ? ', scoped' : ''}): allowed exactly where the role grants the permission`, async () => {
      for (const r of routes()) {
        if (r.permission === undefined) continue;
        const { url, payload } = request(r.method, r.url);
        const res = await app.inject({ method: r.method, url, payload: payload as object, headers: { authorization: `Bearer ${tokens[u.name]}` } });
        const allowed = allows(u.role, r.permission as Permission) && !(r.unscopedOnly && u.scoped);
        if (allowed) expect([401, 403], `${u.name} ${r.method} ${r.url} → ${res.statusCode} ${res.body.slice(0, 200)}`).not.toContain(res.statusCode);
        else expect(res.statusCode, `${u.name} ${r.method} ${r.url}`).toBe(403);
        expect(res.statusCode, `${u.name} ${r.method} ${r.url}: ${res.body.slice(0, 300)}`).toBeLessThan(500);
      }
    });
  }
});

describe('constituency scope', () => {
  const get = async (who: string, url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });
    return res;
  };
  const healthIps = () => new Set([...s.owner].filter(([, k]) => k !== undefined && HEALTH.includes(k)).map(([ip]) => ip));

  it('hosts: a scoped user gets exactly the hosts of their constituency; unscoped users get all', async () => {
    const scan = s.scans[1];
    const scoped = (await get('zcert', `/api/scans/${scan}/hosts?per_page=500`)).json() as { total: number; hosts: Array<{ ip: string }> };
    expect(new Set(scoped.hosts.map((h) => h.ip))).toEqual(healthIps());
    expect(scoped.total).toBe(healthIps().size);
    const all = (await get('viewer', `/api/scans/${scan}/hosts?per_page=500`)).json() as { total: number };
    expect(all.total).toBe(60);
  });

  it('figures and trend count only the constituency’s hosts', async () => {
    const scan = s.scans[1];
    const want: Record<string, number> = {};
    for (const r of s.last) {
      if (!healthIps().has(r.ip)) continue;
      for (const st of Object.values(r.cve)) want[st] = (want[st] ?? 0) + 1;
    }
    const f = (await get('zcert', `/api/scans/${scan}/figures`)).json() as { current: { hosts: number; cves: Array<Record<string, number | string>> } };
    expect(f.current.hosts).toBe(healthIps().size);
    const c = f.current.cves.find((x) => x.cve === 'CVE-2019-19781');
    expect(c?.vulnerable ?? 0).toBe(want.vulnerable ?? 0);
    expect(c?.mitigated ?? 0).toBe(want.mitigated ?? 0);
    expect(c?.patched ?? 0).toBe(want.patched ?? 0);
    const t = (await get('zcert', '/api/trend?cve=CVE-2019-19781')).json() as { scans: Array<{ counts: Record<string, number> }> };
    expect(t.scans.at(-1)?.counts.vulnerable ?? 0).toBe(want.vulnerable ?? 0);
    const countries = (await get('zcert', `/api/scans/${scan}/countries`)).json() as { countries: Array<{ cc: string }> };
    expect(countries.countries.map((x) => x.cc)).toEqual(['NL']);
  });

  it('a host outside the constituency is 404 for the scoped user, 200 for others', async () => {
    const energyIp = [...s.owner].find(([, k]) => k === 'org-en1')?.[0] ?? '';
    const healthIp = [...healthIps()][0];
    expect((await get('zcert', `/api/hosts/${energyIp}`)).statusCode).toBe(404);
    expect((await get('zcert', `/api/hosts/${healthIp}`)).statusCode).toBe(200);
    expect((await get('viewer', `/api/hosts/${energyIp}`)).statusCode).toBe(200);
  });

  it('organisations, scans and exports are scoped too', async () => {
    const orgs = (await get('zcert', `/api/organisations?scan=${s.scans[1]}`)).json() as { organisations: Array<{ key: string }> };
    expect(orgs.organisations.map((o) => o.key).sort()).toEqual([...HEALTH].sort());
    const scans = (await get('zcert', '/api/scans')).json() as { scans: Array<{ total: number | null; done: number | null }> };
    expect(scans.scans.every((x) => x.total === null && x.done === null)).toBe(true);
    const csv = (await get('zcert', `/api/export/hosts?scan=${s.scans[1]}&format=csv`)).body;
    const ips = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(new Set(ips)).toEqual(healthIps());
    const json = (await get('zcert', `/api/export/hosts?scan=${s.scans[1]}&format=json`)).json() as Array<{ ip: string }>;
    expect(new Set(json.map((h) => h.ip))).toEqual(healthIps());
  });

  it('cases and the outbox are scoped: only the constituency’s organisations, never unmatched networks', async () => {
    const all = (await get('viewer', '/api/cases')).json() as { cases: Array<{ id: string; org_key: string | null; grp: string | null }> };
    expect(all.cases.some((c) => c.org_key === 'org-en1')).toBe(true);
    expect(all.cases.some((c) => c.grp !== null)).toBe(true);
    const scoped = (await get('zcert', '/api/cases')).json() as { cases: Array<{ id: string; org_key: string | null }> };
    expect(scoped.cases.length).toBeGreaterThan(0);
    expect(scoped.cases.every((c) => c.org_key !== null && HEALTH.includes(c.org_key))).toBe(true);
    const energy = all.cases.find((c) => c.org_key === 'org-en1');
    expect((await get('zcert', `/api/cases/${energy?.id}`)).statusCode).toBe(404);
    expect((await get('viewer', `/api/cases/${energy?.id}`)).statusCode).toBe(200);
    const health = scoped.cases[0];
    const detail = (await get('zcert', `/api/cases/${health.id}`)).json() as { hosts: Array<{ ip: string }> };
    expect(detail.hosts.every((h) => healthIps().has(h.ip))).toBe(true);
  });

  it('the exports of cases, countries, builds, trend and one host are scoped too', async () => {
    const scan = s.scans[1];
    const cases = (await get('zcert', '/api/export/cases?format=json')).json() as Array<{ org_key: string | null }>;
    expect(cases.length).toBeGreaterThan(0);
    expect(cases.every((c) => c.org_key !== null && HEALTH.includes(c.org_key))).toBe(true);
    const allCases = (await get('viewer', '/api/export/cases?format=csv')).body.trim().split('\n');
    expect(allCases[0]).toMatch(/^id,state,worst,org_key/);
    expect(allCases.length - 1).toBeGreaterThan(cases.length);
    const cc = (await get('zcert', `/api/export/countries?scan=${scan}&format=json`)).json() as Array<{ cc: string }>;
    expect(cc.map((c) => c.cc)).toEqual(['NL']);
    // Builds and trend: the scoped totals are those of the constituency's hosts only.
    const want = { product: 0, vulnerable: 0 };
    for (const r of s.last) {
      if (!healthIps().has(r.ip)) continue;
      if (r.product !== null) want.product++;
      if (r.cve['CVE-2019-19781'] === 'vulnerable') want.vulnerable++;
    }
    const builds = (await get('zcert', `/api/export/versions?scan=${scan}&format=json`)).json() as Array<{ hosts: number }>;
    expect(builds.reduce((a, b) => a + b.hosts, 0)).toBe(want.product);
    const trend = (await get('zcert', '/api/export/trend?format=json')).json() as Array<{ scan: string; vulnerable: number }>;
    expect(trend.find((t) => t.scan === scan)?.vulnerable).toBe(want.vulnerable);
    const energyIp = [...s.owner].find(([, k]) => k === 'org-en1')?.[0] ?? '';
    expect((await get('zcert', `/api/export/host/${energyIp}?format=json`)).statusCode).toBe(404);
    const healthIp = [...healthIps()][0];
    const timeline = (await get('zcert', `/api/export/host/${healthIp}?format=csv`)).body.trim().split('\n');
    expect(timeline[0]).toMatch(/^scan,scan_label,scanned_at/);
    expect(timeline.length - 1).toBe(2);
  });

  it('every export is in the audit log with who and what', async () => {
    await get('zcert', `/api/export/organisations?format=json`);
    const audit = (await get('admin', '/api/audit?limit=1000')).json() as { entries: Array<{ actor: string; action: string; target: string }> };
    expect(audit.entries.some((e) => e.actor === 'zcert' && e.action === 'export' && e.target === 'organisations')).toBe(true);
  });
});
