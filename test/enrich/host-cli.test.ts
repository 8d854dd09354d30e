/**
 * `edgewatch org …` and `edgewatch host IP` through the CLI's main(): import (good and broken
 * files: exit 2, file:line, nothing changed), list/show/assign/unassign/overrides/match, and the
 * host view joining observations, the stored enrichment row, the live attribution (and whether it
 * differs from the stored one) and triage runs, with control characters escaped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { openStore } from '../../src/store/index.js';
import { saveTriageRun } from '../../src/store/triage.js';
import type { TriageReport } from '../../src/triage/types.js';
import { syntheticRecord } from '../store/synthetic.js';

const FIX = resolve(import.meta.dirname, '../fixtures/orgs');
const work = mkdtempSync(join(tmpdir(), 'ew-orgcli-'));
const db = join(work, 'ew.db');
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => out.push(String(c)) > 0) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => err.push(String(c)) > 0) as typeof process.stderr.write;
  try {
    const code = await main([...args, '--db', db]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = undefined;
  }
}

// The host: 10.0.0.7 (syntheticRecord seq 7 → ip 10.0.0.7, name vpn7.example.org).
const IP = '10.0.0.7';

beforeAll(async () => {
  process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';
  const store = await openStore({ dialect: 'sqlite', file: db });
  try {
    const scan = await store.createScan({ label: 'day 0', settings: {} });
    await store.insertRecords(scan.id, [syntheticRecord(7), syntheticRecord(8)]);
    const scan2 = await store.createScan({ label: 'day 1', settings: {} });
    await store.insertRecords(scan2.id, [syntheticRecord(7, { salt: 3 })]);
    // What the enrichment pipeline writes (a row of ip_enrichment), including hostile names.
    await store.db
      .insertInto('ip_enrichment')
      .values({
        ip: IP,
        cc: 'NL',
        asn: 64501,
        as_name: 'EXAMPLE-AS\u001b[31m',
        network: '10.0.0.0/16',
        rdns: 'gw.zkh-noord.example',
        names: JSON.stringify([{ name: 'evil\u001b]0;pwned\u0007.example', source: 'cert_cn' }]),
        abuse_contact: 'abuse@isp.example',
        abuse_source: 'rdap',
        org_key: null,
        rule: 'none',
        matched: null,
        why: '10.0.0.7 matched no organisation',
        grp: 'AS64501|abuse@isp.example',
        lab_public_ip: null,
        sources: JSON.stringify([{ id: 'ip-location-db/asn', kind: 'asn', version: '2.3', date: null, origin: 'bundled', path: '-' }]),
        enriched_at: '2026-11-20T10:00:00.000Z',
      })
      .execute();
    const report = {
      collection: 'coll.tar.gz',
      host: { hostname: 'gw', ip: IP, version: '13.0-47.22', collected_at: null },
      findings: [],
      timeline: [],
      summary: { first_attempt: null, first_success: null, source_ips: [], verdict: 'clean' },
      not_checked: [],
      stats: { files: 0, bytes: 0, warnings: [] },
    } as TriageReport;
    await saveTriageRun(store, IP, report);
  } finally {
    await store.close();
  }
});

describe('edgewatch org', () => {
  it('import: exit 0 with counts; a broken file exits 2 naming file:line and changes nothing', async () => {
    const ok = await run(['org', 'import', join(FIX, 'good.yaml')]);
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('imported 3 organisations');
    expect(ok.out).toContain('3 new');
    const bad = await run(['org', 'import', join(FIX, 'bad-cidr.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`error EW_ORG_INVALID: ${join(FIX, 'bad-cidr.yaml')}:9:`);
    const list = await run(['org', 'list', '-j']);
    expect(list.out.trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['city-of-harbour', 'gp-lakeside', 'zkh-noord']);
    const csv = await run(['org', 'import', join(FIX, 'bad-cidr.csv'), '--dry-run']);
    expect(csv.code).toBe(2);
    expect(csv.err).toContain('bad-cidr.csv:5:');
    const dry = await run(['org', 'import', join(FIX, 'good.csv'), '--dry-run', '-j']);
    expect(JSON.parse(dry.out)).toMatchObject({ dryRun: true, organisations: 3, format: 'csv' });
  });

  it('list filters by sector and constituency', async () => {
    const t = await run(['org', 'list', '--sector', 'Healthcare']);
    expect(t.out).toContain('zkh-noord');
    expect(t.out).toContain('gp-lakeside');
    expect(t.out).not.toContain('city-of-harbour');
    expect(t.out).toContain('2 of 3 organisations');
    const c = await run(['org', 'list', '--constituency', 'nl-north', '-j']);
    expect(c.out.trim().split('\n').map((l) => JSON.parse(l).key)).toEqual(['zkh-noord']);
  });

  it('show: full record; unknown key exits 2 with EW_ORG_NOT_FOUND', async () => {
    const s = await run(['org', 'show', 'zkh-noord']);
    expect(s.out).toContain('Ziekenhuis Noord [zkh-noord]');
    expect(s.out).toContain('192.0.2.0/25, 2001:db8:10::/48');
    expect(s.out).toContain('cert@zkh-noord.example (CERT Ziekenhuis Noord, role security, PGP 0123456789ABCDEF0123456789ABCDEF01234567)');
    const j = JSON.parse((await run(['org', 'show', 'zkh-noord', '-j'])).out);
    expect(j).toMatchObject({ key: 'zkh-noord', overrides: [] });
    const none = await run(['org', 'show', 'nope']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('EW_ORG_NOT_FOUND');
  });

  it('assign / overrides / unassign; bad targets and unknown keys are refused', async () => {
    const a = await run(['org', 'assign', '203.0.113.0/24', 'gp-lakeside', '--note', 'contract\u001b[2J 2026']);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toContain('override set: 203.0.113.0/24 → Lakeside GP Practice [gp-lakeside]');
    expect((await run(['org', 'assign', '203.0.113.0/24', 'nope'])).err).toContain('EW_ORG_NOT_FOUND');
    const masked = await run(['org', 'assign', '198.18.7.9/16', 'nope', '--force']);
    expect(masked.out).toContain('override set: 198.18.0.0/16 → [nope] (not imported yet)');
    expect(masked.err).toContain('host bits masked: 198.18.7.9/16 is 198.18.0.0/16');
    expect((await run(['org', 'unassign', '198.18.0.0/16'])).code).toBe(0);
    expect((await run(['org', 'assign', '203.0.113.0/33', 'gp-lakeside'])).err).toContain('EW_ORG_TARGET');
    expect((await run(['org', 'assign', '203.0.113.1-203.0.113.5', 'gp-lakeside'])).err).toContain('EW_ORG_TARGET');
    const o = await run(['org', 'overrides', '-j']);
    expect(JSON.parse(o.out)).toMatchObject({ target: '203.0.113.0/24', org_key: 'gp-lakeside', note: 'contract [2J 2026' });
    // Re-import keeps the override; an override whose organisation is gone is warned about.
    await run(['org', 'assign', '198.51.100.77', 'ghost', '--force']);
    const re = await run(['org', 'import', join(FIX, 'good.csv'), '--replace']);
    expect(re.out).toContain('2 manual overrides kept');
    expect(re.err).toContain('1 manual override(s) name an organisation that is not imported: 198.51.100.77 → ghost');
    await run(['org', 'unassign', '198.51.100.77']);
    expect((await run(['org', 'overrides'])).out).toContain('203.0.113.0/24');
    const m = await run(['org', 'match', '203.0.113.9', '--asn', '64501', '-j']);
    expect(JSON.parse(m.out)).toMatchObject({ rule: 'override', org_key: 'gp-lakeside' });
    const u = await run(['org', 'unassign', '203.0.113.0/24']);
    expect(u.out).toContain('override removed: 203.0.113.0/24 (was gp-lakeside)');
    const again = await run(['org', 'unassign', '203.0.113.0/24']);
    expect(again.code).toBe(2);
    expect(again.err).toContain('EW_ORG_OVERRIDE_NOT_FOUND');
    const m2 = await run(['org', 'match', '203.0.113.9', '--asn', 'AS64501']);
    expect(m2.out).toContain('rule:         asn (matched AS64501)');
  });
});

describe('edgewatch host IP', () => {
  it('shows observations, enrichment, the live attribution and that it differs from the stored one', async () => {
    const r = await run(['host', IP]);
    expect(r.code, r.err).toBe(0);
    const o = r.out;
    expect(o).toContain(`Host ${IP}`);
    expect(o).toContain('country:       NL');
    expect(o).toContain('AS:            AS64501 EXAMPLE-AS\\u001b[31m');
    // The reverse DNS name is under a listed domain: the live attribution is by domain…
    expect(o).toMatch(/rule: +domain \(matched zkh-noord\.example \(gw\.zkh-noord\.example\)\)/);
    expect(o).toContain('reverse DNS (PTR) gw.zkh-noord.example is a subdomain of zkh-noord.example');
    // …while the stored row said none: flagged.
    expect(o).toContain('DIFFERS');
    expect(o).toContain('no organisation (group AS64501|abuse@isp.example)');
    expect(o).toContain('Scan observations (2)');
    expect(o).toContain('vpn7.example.org');
    expect(o).toContain('Triage runs (1)');
    expect(o).toContain('coll.tar.gz');
    // Hostile names are escaped: no raw ESC or BEL reaches the terminal.
    expect(o).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(o).toContain('evil\\u001b]0;pwned\\u0007.example');
  });

  it('-j gives the same as JSON', async () => {
    const r = await run(['host', IP, '-j']);
    const v = JSON.parse(r.out);
    expect(v).toMatchObject({
      ip: IP,
      differs: true,
      live: { rule: 'domain', org_key: 'zkh-noord' },
      enrichment: { cc: 'NL', asn: 64501, attribution: { rule: 'none', group: 'AS64501|abuse@isp.example' } },
    });
    expect(v.history.scans).toHaveLength(2);
    expect(v.history.triage).toHaveLength(1);
  });

  it('a lab host is attributed by the public address it stands for, and labelled', async () => {
    const store = await openStore({ dialect: 'sqlite', file: db });
    try {
      await store.db
        .insertInto('ip_enrichment')
        .values({
          ip: '127.0.0.9',
          cc: 'NL',
          asn: null,
          as_name: null,
          network: null,
          rdns: null,
          names: '[]',
          abuse_contact: null,
          abuse_source: null,
          org_key: 'zkh-noord',
          rule: 'cidr',
          matched: '192.0.2.0/25',
          why: 'stored',
          grp: null,
          lab_public_ip: '192.0.2.9',
          sources: '[]',
          enriched_at: '2026-11-20T10:00:00.000Z',
        })
        .execute();
    } finally {
      await store.close();
    }
    const r = await run(['host', '127.0.0.9']);
    expect(r.out).toContain('lab identity:  stands for 192.0.2.9 in the lab demo (not a real host)');
    expect(r.out).toMatch(/rule: +cidr \(matched 192\.0\.2\.0\/25\)/);
    expect(r.out).toContain('(same as stored at 2026-11-20T10:00:00.000Z)');
  });

  it('an address with no data; a bad address exits 2 with EW_ORG_TARGET', async () => {
    const r = await run(['host', '192.0.2.150']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('none stored');
    expect(r.out).toMatch(/rule: +cidr \(matched 192\.0\.2\.128\/26\)/);
    expect(r.out).toContain('Scan observations (0)');
    const bad = await run(['host', '10.0.0.1; rm -rf /']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('EW_ORG_TARGET');
  });
});
