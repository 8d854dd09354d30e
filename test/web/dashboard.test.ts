/**
 * The dashboard in a real browser (Debian chromium via playwright-core): a 256-host lab is scanned
 * twice (a time step between), organisations are attributed, `edgewatch serve` runs the built
 * dashboard, and the browser logs in, reads the figures of the lab scan, opens a host, filters the
 * hosts table, exports CSV/JSON (hosts, countries, trend, one host's timeline, cases), follows a
 * running scan's live progress on its scan page, and proves hostile values render as inert text. Screenshots are saved
 * under test-artifacts/web/. Locally, a missing chromium skips loudly; under CI=true it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Users } from '../../src/api/users.js';
import { updateCases } from '../../src/cases/update.js';
import { type Lab, startLab } from '../../src/lab/index.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { openStore } from '../../src/store/index.js';
import { BIN, ROOT, readJsonl, runCli, tempDir } from '../e2e/helpers.js';

const CHROMIUM = process.env.EDGEWATCH_CHROMIUM ?? '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
if (!have) {
  if (process.env.CI === 'true') throw new Error(`chromium is required under CI=true (${CHROMIUM} missing; apt-get install -y chromium)`);
  console.warn(`\n!!! ${CHROMIUM} not found: SKIPPING the dashboard browser tests (required under CI=true) !!!\n`);
}

const RANGE = '127.23.0.0/24';
const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"\'\u202Egnp.exe ' + 'W'.repeat(300);
const ART = join(ROOT, 'test-artifacts', 'web');
const PASSWORD = 'dashboard test password';

describe.skipIf(!have)('dashboard in headless chromium', () => {
  let lab: Lab;
  let server: ChildProcess;
  let browser: Browser;
  let base = '';
  const dir = tempDir('ew-web-');
  const db = join(dir, 'web.db');
  let day1: ScanRecord[] = [];

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) {
      const b = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (b.status !== 0) throw new Error(`dashboard build failed: ${b.stderr}`);
    }
    lab = await startLab({ range: RANGE, seed: 11, httpsPort: 0, httpPort: 0, listen: 'auto' });
    const scan = (label: string, out: string) =>
      runCli(['scan', RANGE, '--lab', '--scope', RANGE, '-p', String(lab.httpsPort), '--db', db, '-o', out, '--timeout', '2', '--total-timeout', '12', '--label', label, '--silent', '--no-summary', '--no-enrich', '--no-cases']);
    const r0 = await scan('day 0', join(dir, 'd0.jsonl'));
    expect(r0.code, r0.stderr).toBe(0);
    lab.setStep(3);
    const r1 = await scan('day 3', join(dir, 'd1.jsonl'));
    expect(r1.code, r1.stderr).toBe(0);
    day1 = readJsonl<ScanRecord>(join(dir, 'd1.jsonl'));

    // Attribution: half of the hosts to a healthcare organisation whose (imported, untrusted) name
    // is hostile, the rest to an energy company; the first host also carries a hostile name.
    const store = await openStore({ dialect: 'sqlite', file: db });
    const now = new Date().toISOString();
    for (const [key, name, sector] of [
      ['zh', HOSTILE, 'healthcare'],
      ['en', 'Netbeheer Oost', 'energy'],
    ]) {
      await store.db
        .insertInto('organisations')
        .values({ key, name, sector, language: 'nl', constituencies: JSON.stringify([sector]), domains: '[]', cidrs: '[]', asns: '[]', contacts: '[]', source: 'test:1', imported_at: now })
        .execute();
    }
    const hostileIdx = day1.findIndex((r) => r.product !== null && r.cve['CVE-2019-19781'] === 'vulnerable');
    for (const [i, r] of day1.entries()) {
      const zh = i % 2 === 0 || i === hostileIdx;
      await store.db
        .insertInto('ip_enrichment')
        .values({
          ip: r.ip,
          cc: zh ? 'NL' : 'US',
          asn: 1136,
          as_name: 'KPN',
          network: '127.23.0.0/24',
          rdns: i === hostileIdx ? HOSTILE : null,
          names: '[]',
          abuse_contact: null,
          abuse_source: null,
          org_key: zh ? 'zh' : 'en',
          rule: 'cidr',
          matched: '127.23.0.0/24',
          why: 'test attribution',
          grp: null,
          lab_public_ip: null,
          sources: '[]',
          enriched_at: now,
        })
        .execute();
    }
    await updateCases(store, (await store.listScans())[0].id);
    await new Users(store.db).create({ username: 'analyst', password: PASSWORD, role: 'analyst' });
    await store.close();

    server = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', db], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    base = await new Promise<string>((resolve, reject) => {
      let err = '';
      const t = setTimeout(() => reject(new Error(`serve did not start: ${err}`)), 60_000);
      server.stderr?.on('data', (d) => {
        err += d;
        const m = /serving (http:\/\/[^/\s]+)\//.exec(err);
        if (m) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill('SIGTERM');
    await lab?.close();
  });

  it('log in, read the figures of the lab scan, open a host, filter, export; hostile values stay text', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${base}/`);
    await page.fill('input[name=username]', 'analyst');
    await page.fill('input[name=password]', 'wrong password!!');
    await page.click('button[type=submit]');
    await page.getByRole('alert').waitFor();
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.getByTestId('headline').waitFor();

    // The headline figures are the lab scan's: count them from the scan output independently.
    const want = { vulnerable: 0, mitigated: 0, patched: 0 };
    for (const r of day1) {
      const s = r.cve['CVE-2019-19781'];
      if (s === 'vulnerable' || s === 'mitigated' || s === 'patched') want[s]++;
    }
    expect(want.vulnerable + want.mitigated + want.patched).toBeGreaterThan(10);
    await page.waitForFunction(
      (n) => document.querySelector('[data-testid=fig-vulnerable] .value')?.textContent === String(n),
      want.vulnerable,
      { timeout: 15_000 },
    );
    expect(await page.textContent('[data-testid=fig-mitigated] .value')).toBe(want.mitigated.toLocaleString('en'));
    expect(await page.textContent('[data-testid=fig-patched] .value')).toBe(want.patched.toLocaleString('en'));
    await page.getByTestId('world-map').locator('canvas').waitFor();
    await page.getByTestId('trend').locator('canvas').waitFor();
    // The change is against the previous scan, named.
    expect(await page.textContent('main')).toContain('change since the previous scan, day 0');
    await page.screenshot({ path: join(ART, 'overview.png'), fullPage: true });
    // Every overview table exports: countries (both lab countries), the trend (both scans).
    const [countriesCsv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-countries-csv]')]);
    const cc = readFileSync((await countriesCsv.path()) as string, 'utf8').trim().split('\n');
    expect(cc[0]).toBe('cc,vulnerable,mitigated,compromised,total');
    expect(cc.slice(1).map((l) => l.split(',')[0]).sort()).toEqual(['NL', 'US']);
    const [trendJson] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-trend-json]')]);
    const trendRows = JSON.parse(readFileSync((await trendJson.path()) as string, 'utf8')) as Array<{ label: string; vulnerable: number }>;
    expect(trendRows.map((r) => r.label)).toEqual(['day 0', 'day 3']);
    expect(trendRows[1].vulnerable).toBe(want.vulnerable);

    // Hosts table: filter by state; the count is the scan's.
    await page.click('[data-testid=fig-vulnerable]');
    await page.getByTestId('hosts-table').waitFor();
    await page.waitForFunction((n) => document.querySelector('[data-testid=host-total]')?.textContent === `${n} hosts`, want.vulnerable, { timeout: 15_000 });
    const rows = await page.locator('[data-testid=hosts-table] tbody tr').count();
    expect(rows).toBe(Math.min(50, want.vulnerable));
    await page.selectOption('[data-testid=state-filter]', 'patched');
    await page.waitForFunction((n) => document.querySelector('[data-testid=host-total]')?.textContent === `${n} hosts`, want.patched, { timeout: 15_000 });
    await page.screenshot({ path: join(ART, 'hosts.png'), fullPage: true });

    // Export: the CSV holds exactly the filtered hosts.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-csv]')]);
    const csv = readFileSync((await download.path()) as string, 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toMatch(/^ip,port,host,status/);
    expect(lines.length - 1).toBe(want.patched);

    // A host page with its evidence; the hostile organisation name and PTR name are inert text.
    const first = day1.find((r) => r.product !== null && r.cve['CVE-2019-19781'] === 'vulnerable') as ScanRecord;
    await page.goto(`${base}/#/host/${first.ip}`);
    await page.getByTestId('host-page').waitFor();
    await page.getByTestId('timeline').waitFor();
    expect(await page.locator('[data-testid=timeline] tbody tr').count()).toBe(2);
    const text = (await page.textContent('[data-testid=host-page]')) ?? '';
    expect(text).toContain('<script>window.__pwned=1</script>');
    // The right-to-left override is shown, not obeyed.
    expect(text).toContain('⟦U+202E⟧gnp.exe');
    expect(text).not.toContain('\u202E');
    // Evidence as sent and received, with the build and the verdict.
    expect(text).toContain(String(first.version));
    expect(text).toContain('/vpn/../vpns/');
    expect(text).toMatch(/CVE-2019-19781\s*vulnerable/);
    // Enrichment and triage panels; the host's own export carries its timeline.
    expect(text).toContain('test attribution');
    expect(text).toContain('No collection from this host has been triaged');
    const [hostCsv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-host-csv]')]);
    const timeline = readFileSync((await hostCsv.path()) as string, 'utf8').trim().split('\n');
    expect(timeline[0]).toMatch(/^scan,scan_label,scanned_at/);
    expect(timeline.slice(1).map((l) => l.split(',')[1]).sort()).toEqual(['day 0', 'day 3']);
    await page.screenshot({ path: join(ART, 'host.png'), fullPage: true });

    // Hostile values from scanned hosts themselves: the lab's hostile personas carry markup, quotes,
    // a right-to-left override and CR/LF in their certificate (and, for hostile-site, every page
    // title). Their host pages show them as text; nothing runs (checked with the dialogs below).
    const hostile = lab.truth().filter((t) => t.traits.includes('hostile-cert'));
    expect(hostile.length).toBeGreaterThan(0);
    for (const h of hostile) {
      await page.goto(`${base}/#/host/${h.ip}`);
      await page.getByTestId('host-page').waitFor();
      await page.getByTestId('tls').waitFor();
      const tls = (await page.textContent('[data-testid=tls]')) ?? '';
      expect(tls).toContain('<script>alert(1)</script>');
      expect(tls).not.toContain('\u202E');
      const all = (await page.textContent('[data-testid=host-page]')) ?? '';
      if (h.traits.includes('hostile-title')) expect(all).toContain('<script>alert(');
      expect(all).not.toContain('\u202E');
    }
    await page.screenshot({ path: join(ART, 'host-hostile.png'), fullPage: true });

    await page.goto(`${base}/#/orgs`);
    await page.getByTestId('orgs-table').waitFor();
    await page.fill('[data-testid=org-filter]', 'health');
    // The filter runs on the server (one page of rows comes back): wait for the filtered page.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=orgs-table] tbody tr').length === 1, undefined, { timeout: 10_000 });
    expect(await page.textContent('[data-testid=orgs-table] tbody')).toContain('<img src=x onerror=');
    // Host counts per organisation are hosts, not findings.
    const cells = await page.locator('[data-testid=orgs-table] tbody tr td.num').allTextContents();
    const [hosts, vulnerable, mitigated] = cells.map((c) => Number(c.replace(/,/g, '')));
    expect(vulnerable).toBeLessThanOrEqual(hosts);
    expect(mitigated).toBeLessThanOrEqual(hosts);
    await page.screenshot({ path: join(ART, 'organisations.png'), fullPage: true });

    // Cases: one per organisation, with worst state and notification state; filterable.
    await page.goto(`${base}/#/cases`);
    await page.getByTestId('cases-table').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=cases-table] tbody tr').length === 2, undefined, { timeout: 15_000 });
    const caseText = (await page.textContent('[data-testid=cases-table] tbody')) ?? '';
    expect(caseText).toContain('Netbeheer Oost');
    expect(caseText).toContain('not yet');
    await page.fill('[data-testid=case-filter]', 'energy');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=cases-table] tbody tr').length === 1, undefined, { timeout: 10_000 });
    await page.screenshot({ path: join(ART, 'cases.png'), fullPage: true });
    // The cases export follows the filter (server-side), formula-safe CSV.
    const [casesCsv] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-cases-csv]')]);
    const caseLines = readFileSync((await casesCsv.path()) as string, 'utf8').trim().split('\n');
    expect(caseLines[0]).toMatch(/^id,state,worst,org_key,org_name/);
    expect(caseLines).toHaveLength(2);
    expect(caseLines[1]).toContain('Netbeheer Oost');

    // A scan page shows live progress (server-sent events) while the scan runs, and its end.
    const store = await openStore({ dialect: 'sqlite', file: db });
    try {
      const live = await store.createScan({ label: 'live scan', settings: {}, total: 4096 });
      await page.goto(`${base}/#/scan/${encodeURIComponent(live.id)}`);
      await page.getByTestId('scan-page').waitFor();
      await page.waitForFunction(() => /running/.test(document.querySelector('[data-testid=progress]')?.textContent ?? ''), undefined, { timeout: 15_000 });
      expect(await page.textContent('[data-testid=progress]')).toContain('of 4,096');
      await page.screenshot({ path: join(ART, 'scan-live.png'), fullPage: true });
      await store.setScanState(live.id, 'finished');
      await page.waitForFunction(() => document.querySelector('[data-testid=scan-state]')?.textContent === 'finished', undefined, { timeout: 15_000 });
    } finally {
      await store.close();
    }

    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  }, 180_000);
});
