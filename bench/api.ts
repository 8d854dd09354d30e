/**
 * API and dashboard speed over a large store (issue #8, Speed): builds (once, cached under
 * bench/out/ keyed by size) a SQLite store of N observations across S scans with enrichment for
 * every address and ~1,000 organisations in a few constituencies, serves it with buildServer on
 * 127.0.0.1, times each overview API call for an unscoped and a constituency-scoped user (median of
 * `--runs` after a warm-up), then loads the built dashboard in headless chromium and measures the
 * time until the headline figures are rendered. Prints figures and peak RSS.
 *
 *   npx tsx bench/api.ts [--observations 1000000] [--scans 10] [--orgs 1000] [--runs 5]
 *                        [--no-browser] [--rebuild]
 *
 * Targets (issue #8): each call ≤ 200 ms, page interactive ≤ 2 s at 1,000,000 observations.
 * Loopback only; every loop is bounded.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { buildServer } from '../src/api/server.js';
import { Users } from '../src/api/users.js';
import { openStore } from '../src/store/index.js';
import { buildApiStore } from '../test/api/queries-fixture.js';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench', 'out');
const WEB = join(ROOT, 'web', 'dist');
const CHROMIUM = process.env.EDGEWATCH_CHROMIUM ?? '/usr/bin/chromium';
const TARGET_CALL_MS = 200;
const TARGET_PAGE_MS = 2_000;

const { values } = parseArgs({
  options: {
    observations: { type: 'string', default: '1000000' },
    scans: { type: 'string', default: '10' },
    orgs: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    'no-browser': { type: 'boolean', default: false },
    rebuild: { type: 'boolean', default: false },
  },
});
const clamp = (v: string | undefined, lo: number, hi: number, name: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`--${name} must be an integer in ${lo}..${hi}`);
  return n;
};
const S = clamp(values.scans, 1, 100, 'scans');
const N = clamp(values.observations, S, 5_000_000, 'observations');
const ORGS = clamp(values.orgs, 1, 100_000, 'orgs');
const RUNS = clamp(values.runs, 1, 50, 'runs');
const HOSTS = Math.floor(N / S);
const withBrowser = !values['no-browser'];

const ms = (t: number) => `${t.toFixed(1)} ms`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Peak RSS while serving (sampled), apart from the build's peak.
let servePeak = 0;
const sampler = setInterval(() => {
  servePeak = Math.max(servePeak, process.memoryUsage().rss);
}, 25);
sampler.unref();

mkdirSync(OUT, { recursive: true });
const file = join(OUT, `api-${HOSTS * S}-${S}s-${ORGS}o.db`);
const done = `${file}.done`;
if (values.rebuild || !existsSync(done)) {
  for (const f of [file, `${file}-wal`, `${file}-shm`, done]) rmSync(f, { force: true });
  const t0 = performance.now();
  const store = await openStore({ dialect: 'sqlite', file });
  await buildApiStore(store, {
    hosts: HOSTS,
    scans: S,
    orgs: ORGS,
    progress: (s, of) => process.stderr.write(`  built scan ${s}/${of} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`),
  });
  await store.close();
  writeFileSync(done, `${new Date().toISOString()}\n`);
  console.log(`built ${file}: ${HOSTS * S} observations (${HOSTS} hosts × ${S} scans) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
} else {
  console.log(`cached store ${file}`);
}
const buildPeak = process.resourceUsage().maxRSS * 1024;
servePeak = 0;

const tOpen = performance.now();
const store = await openStore({ dialect: 'sqlite', file });
console.log(`open (incl. pending migrations): ${ms(performance.now() - tOpen)}; file ${(statSync(file).size / 1048576).toFixed(0)} MB`);

const users = new Users(store.db);
async function userWithToken(username: string, constituencies: string[]) {
  const u = (await users.byName(username)) ?? (await users.create({ username, password: 'bench password 123', role: 'viewer', constituencies }));
  const t = await users.createToken(u.id, `bench ${new Date().toISOString()}`);
  return { user: u, token: t.token };
}
const who = [
  { name: 'unscoped', ...(await userWithToken('bench-all', [])) },
  { name: 'scoped (healthcare)', ...(await userWithToken('bench-health', ['healthcare'])) },
];

const app = await buildServer({ store, webRoot: existsSync(join(WEB, 'index.html')) ? WEB : undefined });
const base = await app.listen({ host: '127.0.0.1', port: 0 });

async function get(path: string, token: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`${base}/api${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.text() };
}

const scans = (JSON.parse((await get('/scans', who[0].token)).body) as { scans: Array<{ id: string; state: string }> }).scans;
const latest = scans.find((s) => s.state === 'finished')?.id ?? scans[0]?.id;
if (!latest) throw new Error('the store holds no scan');
const enc = encodeURIComponent(latest);
const calls: Array<[string, string]> = [
  ['scans', '/scans'],
  ['figures', `/scans/${enc}/figures`],
  ['countries', `/scans/${enc}/countries?cve=CVE-2019-19781`],
  ['versions', `/scans/${enc}/versions`],
  ['hosts?page=1', `/scans/${enc}/hosts?page=1`],
  ['hosts vulnerable p2', `/scans/${enc}/hosts?page=2&cve=CVE-2019-19781&state=vulnerable`],
  ['trend', '/trend?cve=CVE-2019-19781'],
  ['organisations', `/organisations?scan=${enc}`],
];

console.log(`\nAPI calls, latest scan ${latest}, median of ${RUNS} after a warm-up (target ≤ ${TARGET_CALL_MS} ms):`);
let worst = 0;
const rows: string[] = [];
for (const u of who) {
  for (const [name, path] of calls) {
    const first = await get(path, u.token);
    if (first.status !== 200) throw new Error(`${name} for ${u.name}: HTTP ${first.status} ${first.body.slice(0, 200)}`);
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await get(path, u.token);
      times.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`${name}: HTTP ${r.status}`);
    }
    const m = median(times);
    worst = Math.max(worst, m);
    rows.push(
      `  ${u.name.padEnd(20)} ${name.padEnd(20)} ${ms(m).padStart(10)}  (min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}, ${(first.body.length / 1024).toFixed(1)} KB)${m > TARGET_CALL_MS ? '  OVER' : ''}`,
    );
    console.log(rows[rows.length - 1]);
  }
}
console.log(`slowest call (median): ${ms(worst)} ${worst <= TARGET_CALL_MS ? '— meets' : '— MISSES'} the ${TARGET_CALL_MS} ms target`);

if (withBrowser) {
  if (!existsSync(CHROMIUM)) console.warn(`!!! ${CHROMIUM} not found: browser timing skipped`);
  else if (!existsSync(join(WEB, 'index.html'))) console.warn('!!! web/dist missing (npm run build:web): browser timing skipped');
  else {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    try {
      console.log(`\nDashboard overview in headless chromium (target ≤ ${TARGET_PAGE_MS} ms to headline figures):`);
      for (const u of who) {
        const figs = JSON.parse((await get(`/scans/${enc}/figures`, u.token)).body) as { current: { cves: Array<{ cve: string; vulnerable: number }> } };
        const want = (figs.current.cves.find((c) => c.cve === 'CVE-2019-19781')?.vulnerable ?? 0).toLocaleString('en');
        const headline: number[] = [];
        const full: number[] = [];
        for (let i = 0; i <= Math.min(RUNS, 3); i++) {
          const s = await users.createSession(u.user.id);
          const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
          await ctx.addCookies([{ name: 'ew_session', value: s.cookie, url: base }]);
          const page = await ctx.newPage();
          const t = performance.now();
          await page.goto(`${base}/#/overview`);
          await page.waitForFunction((n) => document.querySelector('[data-testid=fig-vulnerable] .value')?.textContent === n, want, { timeout: 30_000 });
          const th = performance.now() - t;
          await page.getByTestId('world-map').locator('canvas').waitFor({ timeout: 30_000 });
          await page.getByTestId('trend').locator('canvas').waitFor({ timeout: 30_000 });
          await page.waitForFunction(() => document.querySelectorAll('section.panel table tbody tr').length > 0, undefined, { timeout: 30_000 });
          const tf = performance.now() - t;
          if (i > 0) {
            headline.push(th);
            full.push(tf);
          }
          await ctx.close();
        }
        const m = median(headline);
        console.log(
          `  ${u.name.padEnd(20)} headline figures ${ms(m).padStart(10)}; every panel ${ms(median(full))}${m > TARGET_PAGE_MS ? '  OVER' : ''}`,
        );
      }
    } finally {
      await browser.close();
    }
  }
}

clearInterval(sampler);
await app.close();
await store.close();
console.log(
  `\npeak RSS: ${(servePeak / 1048576).toFixed(0)} MB while serving; ${(buildPeak / 1048576).toFixed(0)} MB process peak incl. any build (${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB at exit)`,
);
