/**
 * Organisations in the store on every dialect (SQLite always; PostgreSQL when the local server
 * answers, required under CI=true): import/upsert/replace, overrides untouched, the one-transaction
 * rollback, JSON columns round-trip (text vs jsonb), and loadOrgMatcher reading it all back.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOrganisations, loadOrgMatcher } from '../../src/enrich/org/index.js';
import { listOrganisations, listOverrides, removeOverride, saveOrganisations, setOverride } from '../../src/store/organisations.js';
import { DIALECTS, storePlaces } from '../store/dialects.js';

const FIX = resolve(import.meta.dirname, '../fixtures/orgs');

for (const dialect of DIALECTS) {
  describe(`organisations store (${dialect})`, () => {
    const places = storePlaces(dialect, 'ew-orgstore-');
    afterAll(() => places.cleanup());

    it('import, re-import, --replace; overrides survive; the matcher reads it all', async () => {
      const store = await places.open('main');
      try {
        const r = await importOrganisations(store.db, `${FIX}/good.yaml`);
        expect(r).toMatchObject({ inserted: 3 });
        const orgs = await listOrganisations(store.db);
        expect(orgs.map((o) => o.key)).toEqual(['city-of-harbour', 'gp-lakeside', 'zkh-noord']);
        expect(orgs[2]).toMatchObject({ cidrs: ['192.0.2.0/25', '2001:db8:10::/48'], asns: [64500], contacts: [{ email: 'cert@zkh-noord.example' }] });
        await setOverride(store.db, { target: '203.0.113.0/24', org_key: 'gp-lakeside', note: 'n', created_at: '2026-01-01T00:00:00Z' });
        const old = await setOverride(store.db, { target: '203.0.113.0/24', org_key: 'zkh-noord', note: null, created_at: '2026-01-02T00:00:00Z' });
        expect(old?.org_key).toBe('gp-lakeside');
        expect(await importOrganisations(store.db, `${FIX}/good.yaml`)).toMatchObject({ unchanged: 3 });
        const csv = await importOrganisations(store.db, `${FIX}/good.csv`, { replace: true });
        expect(csv).toMatchObject({ updated: 3, removed: [] });
        expect(await listOverrides(store.db)).toEqual([{ target: '203.0.113.0/24', org_key: 'zkh-noord', note: null, created_at: '2026-01-02T00:00:00Z' }]);
        const m = await loadOrgMatcher(store.db);
        expect(m.match({ ip: '203.0.113.4', asn: null, names: [] })).toMatchObject({ rule: 'override', org_key: 'zkh-noord' });
        expect(m.match({ ip: '2001:db8:10::9', asn: null, names: [] })).toMatchObject({ rule: 'cidr', org_key: 'zkh-noord' });
        expect(m.match({ ip: '198.18.0.1', asn: 64501, names: [] })).toMatchObject({ rule: 'asn', org_key: 'city-of-harbour' });
        expect((await removeOverride(store.db, '203.0.113.0/24'))?.org_key).toBe('zkh-noord');
        expect(await removeOverride(store.db, '203.0.113.0/24')).toBeUndefined();
      } finally {
        await store.close();
      }
    });

    it('a failing row rolls the whole write back; a broken file writes nothing', async () => {
      const store = await places.open('rollback');
      try {
        await importOrganisations(store.db, `${FIX}/good.yaml`);
        const before = await listOrganisations(store.db);
        const bad = { ...before[1], key: 'x2', name: null as unknown as string };
        await expect(saveOrganisations(store.db, [{ ...before[0], key: 'x1' }, bad], { replace: true })).rejects.toThrow();
        expect(await listOrganisations(store.db)).toEqual(before);
        await expect(importOrganisations(store.db, `${FIX}/bad-cidr.yaml`, { replace: true })).rejects.toMatchObject({ code: 'EW_ORG_INVALID', line: 9 });
        expect(await listOrganisations(store.db)).toEqual(before);
      } finally {
        await store.close();
      }
    });

    it('writes 10,000 organisations in chunks and reads them back', async () => {
      const store = await places.open('bulk');
      try {
        const lines = ['key,name,sector,cidrs,asns'];
        for (let i = 0; i < 10_000; i++) lines.push(`o${i},Org ${i},s${i % 7},10.${i >> 8}.${i & 255}.0/24;2001:db8:${i.toString(16)}::/48,${64_000 + (i % 500)}`);
        const dir = mkdtempSync(join(tmpdir(), 'ew-orgbulk-'));
        const f = join(dir, 'bulk.csv');
        writeFileSync(f, `${lines.join('\n')}\n`);
        try {
          expect(await importOrganisations(store.db, f)).toMatchObject({ inserted: 10_000 });
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        const m = await loadOrgMatcher(store.db);
        expect(m.size).toEqual({ orgs: 10_000, cidrs: 20_000, domains: 0, asns: 500 });
        expect(m.match({ ip: '10.39.15.1', asn: null, names: [] })).toMatchObject({ org_key: `o${39 * 256 + 15}`, why: expect.stringContaining(`bulk.csv:${39 * 256 + 15 + 2})`) });
      } finally {
        await store.close();
      }
    });
  });
}
