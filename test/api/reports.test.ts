/**
 * GET /api/reports answers what `edgewatch report --format json` prints (the real CLI run over the
 * same SQLite store), with the CLI's options (scan reference, --by, --trend, --since, --tlp, CSV),
 * is denied to constituency-scoped users, audited, and documented in the OpenAPI document.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { Users } from '../../src/api/users.js';
import { runCli } from '../e2e/helpers.js';
import { type Seeded, seed } from './fixture.js';

let s: Seeded;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await seed();
  app = await buildServer({ store: s.store, loginPerMinute: 1000 });
  const users = new Users(s.store.db);
  for (const name of ['admin', 'viewer', 'zcert']) {
    const row = await users.byName(name);
    tokens[name] = (await users.createToken(row?.id ?? 0, 'test')).token;
  }
});

afterAll(async () => {
  await app?.close();
  await s?.store.close();
  rmSync(s.dir, { recursive: true, force: true });
});

const get = (who: string, url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[who]}` } });

/** The report without the one field that differs between two runs (when it was generated). */
function stable(r: Record<string, unknown>): Record<string, unknown> {
  const meta = { ...(r.meta as Record<string, unknown>) };
  expect(typeof meta.generated_at).toBe('string');
  delete meta.generated_at;
  return { ...r, meta };
}

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli(['report', ...args, '--format', 'json', '--db', join(s.dir, 's.db')]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('GET /api/reports', () => {
  it('is the JSON of `edgewatch report --format json`, for the default and for --by/--since/--trend/--tlp', async () => {
    const cases: Array<[string, string[]]> = [
      ['', []],
      [`?scan=${s.scans[0]}&by=cve,country,group&tlp=green`, [s.scans[0], '--by', 'cve,country,group', '--tlp', 'green']],
      [`?scan=latest&since=${s.scans[0]}&trend=true`, ['latest', '--since', s.scans[0], '--trend']],
      ['?scan=day%201&by=status', ['day 1', '--by', 'status']],
    ];
    for (const [query, args] of cases) {
      const res = await get('viewer', `/api/reports${query}`);
      expect(res.statusCode, `${query}: ${res.body.slice(0, 300)}`).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const api = res.json() as Record<string, unknown>;
      expect(stable(api), query).toEqual(stable(await cli(args)));
    }
  }, 120_000);

  it('carries the figures of the store (counted here from the seeded records)', async () => {
    const r = (await get('admin', `/api/reports?scan=${s.scans[1]}&by=cve`)).json() as {
      tlp: string;
      scan: { id: string };
      byCve: Record<string, Array<{ key: string; count: number }>>;
      attribution: unknown;
      trend: unknown;
    };
    expect(r.tlp).toBe('AMBER');
    expect(r.scan.id).toBe(s.scans[1]);
    const want: Record<string, number> = {};
    for (const rec of s.last) for (const st of Object.values(rec.cve)) want[st] = (want[st] ?? 0) + 1;
    const got = Object.fromEntries((r.byCve['CVE-2019-19781'] ?? []).map((x) => [x.key, x.count]));
    expect(got).toEqual(want);
    expect(r.attribution).toBeNull();
    expect(r.trend).toBeNull();
  });

  it('CSV and Markdown forms are the CLI’s too', async () => {
    const res = await get('viewer', `/api/reports?scan=${s.scans[1]}&format=csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toContain(`report-${s.scans[1]}.csv`);
    const c = await runCli(['report', s.scans[1], '--format', 'csv', '--db', join(s.dir, 's.db')]);
    const drop = (t: string) =>
      t
        .split('\n')
        .filter((l) => !/generated_at/.test(l))
        .join('\n');
    expect(drop(res.body)).toBe(drop(c.stdout));
    const md = await get('viewer', `/api/reports?format=markdown`);
    expect(md.statusCode).toBe(200);
    expect(md.body).toContain('TLP:AMBER');
  }, 60_000);

  it('bad options are 400 with the CLI’s error code; an unknown scan is 404', async () => {
    const bad = await get('viewer', '/api/reports?by=cve,planets');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'EW_REPORT_OPTION' });
    expect((await get('viewer', '/api/reports?tlp=purple')).json()).toMatchObject({ error: 'EW_REPORT_OPTION' });
    expect((await get('viewer', '/api/reports?format=pdf')).statusCode).toBe(400);
    const missing = await get('viewer', '/api/reports?scan=no-such-scan');
    expect(missing.statusCode).toBe(404);
    // Later --since than the scan itself.
    expect((await get('viewer', `/api/reports?scan=${s.scans[0]}&since=${s.scans[1]}`)).statusCode).toBe(400);
  });

  it('constituency-scoped users are refused (the report counts every constituency)', async () => {
    const res = await get('zcert', '/api/reports');
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('byCve');
  });

  it('every report fetched is in the audit log', async () => {
    await get('viewer', `/api/reports?scan=${s.scans[1]}&by=cve&tlp=red`);
    const entries = ((await get('admin', '/api/audit?limit=1000')).json() as { entries: Array<{ actor: string; action: string; target: string; detail: { tlp?: string } }> })
      .entries;
    expect(entries.some((e) => e.actor === 'viewer' && e.action === 'report' && e.target === s.scans[1] && e.detail.tlp === 'RED')).toBe(true);
  });

  it('is in the OpenAPI document with its parameters', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string }>; responses?: Record<string, unknown> } }>;
    };
    const op = doc.paths['/api/reports']?.get;
    expect(op).toBeDefined();
    expect((op?.parameters ?? []).map((p) => p.name).sort()).toEqual(['by', 'format', 'scan', 'since', 'tlp', 'trend']);
    expect(JSON.stringify(op?.responses)).toContain('byCve');
  });
});
