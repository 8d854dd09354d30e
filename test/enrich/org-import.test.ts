/**
 * `org import` against a real SQLite store: YAML and CSV give the same organisations; broken files
 * (bad CIDR at line N, bad YAML, duplicate keys, unknown fields/columns, alias bombs, oversize)
 * name file:line and change nothing; re-imports upsert by key, --replace removes, overrides survive;
 * hostile text is cleaned.
 */
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importOrganisations, loadOrgMatcher, type Organisation, OrgFileInvalidError } from '../../src/enrich/org/index.js';
import { isEdgewatchError } from '../../src/errors.js';
import { openStore } from '../../src/store/index.js';
import { listOrganisations, listOverrides, saveOrganisations, setOverride } from '../../src/store/organisations.js';
import type { Store } from '../../src/store/types.js';

const FIX = resolve(import.meta.dirname, '../fixtures/orgs');
const fix = (n: string) => join(FIX, n);
const work = mkdtempSync(join(tmpdir(), 'ew-org-'));
let store: Store;
let n = 0;

beforeEach(async () => {
  store = await openStore({ dialect: 'sqlite', file: join(work, `s${n++}.db`) });
});
afterEach(async () => {
  await store.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const p = join(work, name);
  writeFileSync(p, text);
  return p;
}

async function failure(p: Promise<unknown>): Promise<OrgFileInvalidError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OrgFileInvalidError) return e;
    throw e;
  }
  throw new Error('expected the import to fail');
}

const strip = (o: Organisation) => ({ ...o, source: o.source.replace(/^.*[\\/]/, '').replace(/\.(yaml|csv):\d+$/, ''), imported_at: '' });

describe('org import: good files', () => {
  it('imports YAML with normal forms (lower case, punycode-free domains, masked CIDRs, parsed ASNs)', async () => {
    const r = await importOrganisations(store.db, fix('good.yaml'));
    expect(r).toMatchObject({ organisations: 3, inserted: 3, updated: 0, unchanged: 0, removed: [] });
    const orgs = await listOrganisations(store.db);
    expect(orgs.map((o) => o.key)).toEqual(['city-of-harbour', 'gp-lakeside', 'zkh-noord']);
    const z = orgs[2];
    expect(z).toMatchObject({
      name: 'Ziekenhuis Noord',
      sector: 'healthcare',
      language: 'nl',
      constituencies: ['healthcare', 'nl-north'],
      domains: ['zkh-noord.example', 'zorg-noord.example'],
      cidrs: ['192.0.2.0/25', '2001:db8:10::/48'],
      asns: [64500],
      contacts: [{ email: 'cert@zkh-noord.example', name: 'CERT Ziekenhuis Noord', role: 'security', pgp: { fingerprint: '0123456789ABCDEF0123456789ABCDEF01234567' } }],
    });
    expect(z.source).toBe(`${fix('good.yaml')}:4`);
    expect(orgs[1]).toMatchObject({ language: 'en', constituencies: ['healthcare'], domains: ['lakeside-gp.example'], asns: [] });
    expect(orgs[0].asns).toEqual([64501]);
    // The wildcard domain is noted.
    expect(r.warnings.some((w) => w.line === 9 && /zorg-noord/.test(w.message))).toBe(true);
  });

  it('CSV gives the same organisations as YAML; the source names the CSV row line', async () => {
    await importOrganisations(store.db, fix('good.yaml'));
    const fromYaml = (await listOrganisations(store.db)).map(strip);
    const r = await importOrganisations(store.db, fix('good.csv'));
    expect(r.updated).toBe(3); // only the source changed
    const fromCsv = await listOrganisations(store.db);
    expect(fromCsv.map(strip)).toEqual(fromYaml);
    expect(fromCsv.find((o) => o.key === 'city-of-harbour')?.source).toBe(`${fix('good.csv')}:4`);
  });

  it('re-import of the same file changes nothing; a changed entry is updated by key', async () => {
    await importOrganisations(store.db, fix('good.yaml'));
    expect(await importOrganisations(store.db, fix('good.yaml'))).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });
    const p = write('renamed.yaml', 'organisations:\n  - key: gp-lakeside\n    name: Lakeside Health Centre\n    cidrs: [192.0.2.128/26]\n');
    expect(await importOrganisations(store.db, p)).toMatchObject({ inserted: 0, updated: 1, removed: [] });
    const orgs = await listOrganisations(store.db);
    expect(orgs).toHaveLength(3);
    expect(orgs.find((o) => o.key === 'gp-lakeside')?.name).toBe('Lakeside Health Centre');
  });

  it('--replace removes organisations absent from the file; overrides survive imports and --replace', async () => {
    await importOrganisations(store.db, fix('good.yaml'));
    await setOverride(store.db, { target: '203.0.113.7', org_key: 'zkh-noord', note: 'by hand', created_at: '2026-01-01T00:00:00Z' });
    await setOverride(store.db, { target: '198.51.100.0/24', org_key: 'gp-lakeside', note: null, created_at: '2026-01-01T00:00:00Z' });
    const p = write('only-one.yaml', 'organisations:\n  - key: zkh-noord\n    name: Ziekenhuis Noord\n');
    const r = await importOrganisations(store.db, p, { replace: true });
    expect(r.removed).toEqual(['city-of-harbour', 'gp-lakeside']);
    expect((await listOrganisations(store.db)).map((o) => o.key)).toEqual(['zkh-noord']);
    expect((await listOverrides(store.db)).map((o) => [o.target, o.org_key])).toEqual([
      ['198.51.100.0/24', 'gp-lakeside'],
      ['203.0.113.7', 'zkh-noord'],
    ]);
    await importOrganisations(store.db, fix('good.csv'), { replace: true });
    expect(await listOverrides(store.db)).toHaveLength(2);
  });

  it('CSV as spreadsheets save it: UTF-8 BOM, CRLF line ends, quoted cells with commas', async () => {
    const text = '\ufeffKey,Name,CIDRs,Contacts\r\nzkh,"Ziekenhuis Noord, locatie Oost",192.0.2.0/24,"""Jan, CERT"" <cert@zkh.example>"\r\n';
    const p = write('excel.csv', text);
    await importOrganisations(store.db, p);
    const o = (await listOrganisations(store.db))[0];
    expect(o).toMatchObject({
      key: 'zkh',
      name: 'Ziekenhuis Noord, locatie Oost',
      cidrs: ['192.0.2.0/24'],
      contacts: [{ email: 'cert@zkh.example', name: 'Jan, CERT' }],
    });
    expect(o.source).toBe(`${p}:2`);
  });

  it('a semicolon-separated CSV is refused with a hint', async () => {
    const p = write('semi.csv', 'key;name;cidrs\na;A;192.0.2.0/24\n');
    const e = await failure(importOrganisations(store.db, p));
    expect(e.line).toBe(1);
    expect(e.message).toContain('save the file as comma-separated CSV');
  });

  it('IDN domains are stored in punycode and match either spelling', async () => {
    const p = write('idn.yaml', '- key: b\n  name: Bücher\n  domains: [Bücher.example]\n');
    await importOrganisations(store.db, p);
    expect((await listOrganisations(store.db))[0].domains).toEqual(['xn--bcher-kva.example']);
    const m = await loadOrgMatcher(store.db);
    for (const name of ['www.bücher.example', 'WWW.XN--BCHER-KVA.EXAMPLE']) {
      expect(m.match({ ip: '203.0.113.1', asn: null, names: [{ name, source: 'cert_san' }] }).org_key).toBe('b');
    }
  });

  it('--dry-run validates and writes nothing', async () => {
    const r = await importOrganisations(store.db, fix('good.yaml'), { dryRun: true });
    expect(r).toMatchObject({ dryRun: true, organisations: 3 });
    expect(await listOrganisations(store.db)).toEqual([]);
  });

  it('derives a key from the name when absent, with a warning naming the line', async () => {
    const p = write('nokey.yaml', '- name: "Sint-Élisabeth Gasthuis"\n  cidrs: 192.0.2.0/24\n');
    const r = await importOrganisations(store.db, p);
    expect((await listOrganisations(store.db))[0].key).toBe('sint-elisabeth-gasthuis');
    expect(r.warnings).toContainEqual(expect.objectContaining({ line: 1, message: expect.stringContaining('derived "sint-elisabeth-gasthuis"') }));
  });

  it('notes a CIDR with host bits set and a CIDR listed by two organisations', async () => {
    const p = write('notes.yaml', '- {key: b, name: B, cidrs: [192.0.2.77/24]}\n- {key: a, name: A, cidrs: [192.0.2.0/24]}\n');
    const r = await importOrganisations(store.db, p);
    expect(r.warnings).toContainEqual(expect.objectContaining({ line: 1, message: 'host bits set in 192.0.2.77/24: stored as 192.0.2.0/24' }));
    expect(r.warnings).toContainEqual(expect.objectContaining({ line: 2, message: expect.stringContaining('"a" wins') }));
  });
});

describe('org import: broken files name file:line and change nothing', () => {
  async function expectUnchanged(file: string, format?: string) {
    await importOrganisations(store.db, fix('good.yaml'));
    const before = await listOrganisations(store.db);
    const e = await failure(importOrganisations(store.db, file, { format }));
    expect(e.code).toBe('EW_ORG_INVALID');
    expect(await listOrganisations(store.db)).toEqual(before);
    return e;
  }

  it('bad CIDR at line 9 (YAML), after a valid organisation', async () => {
    const e = await expectUnchanged(fix('bad-cidr.yaml'));
    expect(e.file).toBe(fix('bad-cidr.yaml'));
    expect(e.line).toBe(9);
    expect(e.message).toContain(`${fix('bad-cidr.yaml')}:9: `);
    expect(e.message).toMatch(/bad CIDR "198\.51\.100\.0\/33": bad prefix length/);
    expect(e.issues).toHaveLength(1);
  });

  it('bad CIDR in a CSV row after a multi-line quoted cell (line 5)', async () => {
    const e = await expectUnchanged(fix('bad-cidr.csv'));
    expect(e.line).toBe(5);
    expect(e.issues[0].path).toBe('row 4 column cidrs item 2');
  });

  it('bad YAML syntax names the line', async () => {
    const e = await expectUnchanged(fix('bad-syntax.yaml'));
    expect(e.line).toBeGreaterThanOrEqual(4);
    expect(e.line).toBeLessThanOrEqual(5);
    expect(e.issues[0].path).toBe('(yaml)');
  });

  it('duplicate keys name both lines', async () => {
    const e = await expectUnchanged(fix('dup-key.yaml'));
    expect(e.line).toBe(6);
    expect(e.message).toContain('duplicate key "same" (also at line 2)');
  });

  it('an unknown field names its own line', async () => {
    const e = await expectUnchanged(fix('unknown-field.yaml'));
    expect(e.line).toBe(6);
    expect(e.message).toContain('unknown field "sectr"');
  });

  it('an unknown CSV column names line 1', async () => {
    const e = await expectUnchanged(fix('unknown-column.csv'));
    expect(e.line).toBe(1);
    expect(e.message).toContain('unknown column "cidr"');
  });

  it('reports every problem of the file, each with its line', async () => {
    const p = write(
      'many.yaml',
      [
        'organisations:',
        '  - key: a',
        '    name: A',
        '    asns: [ASX]',
        '  - key: B!',
        '    name: B',
        '  - key: c',
        '    name: C',
        '    contacts: [{email: not-an-address}]',
        '  - key: d',
        '    name: D',
        '    domains: ["bad domain.example"]',
        '  - key: e',
        '    name: E',
        '    cidrs: [192.0.2.1-192.0.2.9]',
        '  - key: f',
        '    name: F',
        '    language: klingon-x',
        '  - key: g',
        '    name: G',
        '    contacts: [{email: g@g.example, pgp_fingerprint: "1234"}]',
        '  - key: h',
        '    name: H',
        '    domains: [ok.example, nl]',
        '    contacts: [{email: "=cmd@x.example"}]',
        '',
      ].join('\n'),
    );
    const e = await expectUnchanged(p);
    expect(e.issues.map((i) => i.line)).toEqual([4, 5, 9, 12, 15, 18, 21, 24, 25]);
    expect(e.message).toContain('9 problems; nothing was imported');
    expect(e.issues[8].message).toContain('formula injection');
    expect(e.issues[7].message).toContain('"nl" is a single label');
  });

  it('a top-level field other than organisations/version, an empty file, a non-list', async () => {
    await expectUnchanged(write('top.yaml', 'organisations: []\nextra: 1\n'));
    await expectUnchanged(write('empty.yaml', ''));
    await expectUnchanged(write('scalar.yaml', 'hello\n'));
    await expectUnchanged(write('empty.csv', ''));
    const e = await expectUnchanged(write('noname.csv', 'key,sector\na,health\n'));
    expect(e.message).toContain('no "name" column');
  });

  it('a YAML alias bomb is refused', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`);
    const p = write('bomb.yaml', `${lines.map((l) => `# ${l}`).join('\n')}\norganisations:\n  - key: a\n    name: &n A\n    constituencies: [*n, *n]\n`);
    // A few aliases are fine…
    await importOrganisations(store.db, p, { dryRun: true });
    // …a billion laughs is not.
    const bomb = write('bomb2.yaml', `x: &x0 [a, a, a, a, a, a, a, a, a, a]\n${Array.from({ length: 8 }, (_, i) => `x${i + 1}: &x${i + 1} [*x${i}, *x${i}, *x${i}, *x${i}, *x${i}, *x${i}, *x${i}, *x${i}, *x${i}, *x${i}]`).join('\n')}\norganisations:\n  - key: a\n    name: A\n    constituencies: *x8\n`);
    const e = await failure(importOrganisations(store.db, bomb));
    expect(e.code).toBe('EW_ORG_INVALID');
  });

  it('files that cannot be read: missing, a directory, too big, unknown format (EW_ORG_FILE)', async () => {
    const codes: string[] = [];
    const big = write('big.yaml', '');
    truncateSync(big, 65 * 1024 * 1024);
    for (const [f, fmt] of [[join(work, 'missing.yaml')], [work + '/'], [big], [write('x.txt', 'a')], [write('y.yaml', 'a'), 'xml']] as [string, string?][]) {
      try {
        await importOrganisations(store.db, f, { format: fmt });
      } catch (e) {
        if (isEdgewatchError(e)) codes.push(e.code);
      }
    }
    expect(codes).toEqual(['EW_ORG_FILE', 'EW_ORG_FILE', 'EW_ORG_FILE', 'EW_ORG_FILE', 'EW_ORG_FILE']);
  });

  it('the store write is one transaction: a failing row rolls the whole import back', async () => {
    await importOrganisations(store.db, fix('good.yaml'));
    const before = await listOrganisations(store.db);
    const good = { ...before[0], key: 'new-one', name: 'New' };
    const bad = { ...before[1], key: 'new-two', name: null as unknown as string };
    await expect(saveOrganisations(store.db, [good, bad], { replace: true })).rejects.toThrow();
    expect(await listOrganisations(store.db)).toEqual(before);
  });
});

describe('org import: hostile content is bounded and cleaned', () => {
  it('control characters become spaces, formula prefixes are removed, with warnings', async () => {
    const p = write(
      'hostile.csv',
      'key,name,sector,contacts\nevil,"=HYPERLINK(""http://x"")\u0007\u001b[31m",+health,"@Mallory <m@evil.example> (-role)"\n',
    );
    const r = await importOrganisations(store.db, p);
    const o = (await listOrganisations(store.db))[0];
    expect(o.name).toBe('HYPERLINK("http://x") [31m');
    expect(o.sector).toBe('health');
    expect(o.contacts[0]).toEqual({ email: 'm@evil.example', name: 'Mallory', role: 'role' });
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(/formula/);
    expect(r.warnings.every((w) => w.line === 2)).toBe(true);
  });

  it('overlong fields and too many items are errors, not silent cuts', async () => {
    const long = write('long.yaml', `- key: a\n  name: "${'x'.repeat(201)}"\n`);
    expect((await failure(importOrganisations(store.db, long))).message).toContain('longer than 200 characters');
    const cidrs = Array.from({ length: 10_001 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
    const many = write('many-cidrs.yaml', `- key: a\n  name: A\n  cidrs: [${cidrs.join(',')}]\n`);
    expect((await failure(importOrganisations(store.db, many))).line).toBe(3);
    expect(await listOrganisations(store.db)).toEqual([]);
  });

  it('SQL-looking and HTML-looking text is stored verbatim as data', async () => {
    const p = write('sql.yaml', `- key: a\n  name: "Robert'); DROP TABLE organisations;-- <script>"\n`);
    await importOrganisations(store.db, p);
    expect((await listOrganisations(store.db))[0].name).toBe("Robert'); DROP TABLE organisations;-- <script>");
  });
});
