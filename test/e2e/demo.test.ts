/**
 * `npm run demo`, the README's main job, end to end on a small lab: organisations imported, two
 * scans enriched and turned into cases, notifications drafted, and the dashboard served with a
 * one-time login that works while the demo serves and is disabled when it stops.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'ew-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface DemoRun {
  code: number;
  out: string;
  loginStatus: number;
  scansSeen: number;
}

function runDemo(): Promise<DemoRun> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'src', 'cli', 'demo.ts')], {
      cwd: dir,
      env: {
        ...process.env,
        EDGEWATCH_SCOPE: '127.0.0.0/8',
        EDGEWATCH_DEMO_RANGE: '127.71.0.0/24',
        EDGEWATCH_DEMO_SERVE_PORT: '0',
        EDGEWATCH_DEMO_SERVE_SECONDS: '15',
        EDGEWATCH_DB: join(dir, 'demo.db'),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let loginStatus = 0;
    let scansSeen = -1;
    let probing = false;
    const onData = (b: Buffer) => {
      out += b.toString();
      const url = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
      const user = /user: +(\S+)/.exec(out)?.[1];
      const password = /password: +(\S+)/.exec(out)?.[1];
      if (url && user && password && !probing) {
        probing = true;
        (async () => {
          const r = await fetch(`${url}/api/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: user, password }),
          });
          loginStatus = r.status;
          const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0];
          const scans = await fetch(`${url}/api/scans`, { headers: { cookie } });
          const body = (await scans.json()) as { scans?: unknown[] };
          scansSeen = body.scans?.length ?? -1;
        })().catch(() => {});
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code: code ?? 1, out, loginStatus, scansSeen });
    });
  });
}

describe('npm run demo', () => {
  it('scans, enriches, opens cases, drafts messages and serves the dashboard with a one-time login', async () => {
    const r = await runDemo();
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toMatch(/imported \d+ organisations/);
    expect(r.out).toMatch(/enriched \d+ host\(s\), [1-9]\d* attributed to an organisation/);
    expect(r.out).toMatch(/cases: [1-9]\d* opened/);
    expect(r.loginStatus).toBe(200);
    expect(r.scansSeen).toBe(2);
    expect(r.out).toMatch(/login demo-[0-9a-f]{6} disabled/);

    const db = new Database(join(dir, 'demo.db'), { readonly: true });
    try {
      const scans = db.prepare('select count(*) n from scans').get() as { n: number };
      expect(scans.n).toBe(2);
      const enriched = db.prepare("select count(*) n from ip_enrichment where org_key is not null").get() as { n: number };
      expect(enriched.n).toBeGreaterThan(50);
      const cases = db.prepare('select count(*) n from cases').get() as { n: number };
      expect(cases.n).toBeGreaterThan(5);
      const drafts = db.prepare('select count(*) n from outbox').get() as { n: number };
      expect(drafts.n).toBeGreaterThan(5);
      const demoUsers = db.prepare("select disabled from users where username like 'demo-%'").all() as Array<{ disabled: number }>;
      expect(demoUsers.length).toBe(1);
      expect(demoUsers[0].disabled).toBeTruthy();
    } finally {
      db.close();
    }
  }, 180_000);
});
