import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR } from '../../src/checks/paths.js';
import { type CompromiseRule, combineCompromise, decideCompromise } from '../../src/classify/compromise.js';
import { compileWhy, decide } from '../../src/classify/cve.js';
import { identify, resolveVersion, type VersionSource } from '../../src/classify/fingerprint.js';
import { FixedTable, RangeSet } from '../../src/classify/fixed.js';
import { isoFromEpoch, loadVersionTable } from '../../src/classify/tables.js';
import { branchOf, compareVersions, isVersionPrefix, parseVersion } from '../../src/classify/versions.js';

const table = loadVersionTable('netscaler-versions', join(DEFAULT_DATA_DIR, 'netscaler-versions.csv'));

describe('versions', () => {
  it('parse, compare numerically, branch', () => {
    expect(parseVersion('13.0-47.22')).toEqual({ parts: [13, 0, 47, 22] });
    expect(parseVersion('unknown')).toBeNull();
    expect(parseVersion('13.0-47')).toBeNull();
    expect(compareVersions('12.1-55.18', '12.1-55.9')).toBe(1);
    expect(compareVersions('12.1-9.1', '12.1-55.18')).toBe(-1);
    expect(compareVersions('13.0-47.24', '13.0-47.24')).toBe(0);
    expect(compareVersions('13.0-47.24', null)).toBeNull();
    expect(branchOf('12.1-55.18')).toBe('12.1');
    expect(isVersionPrefix('12.1-55', '12.1-55.18')).toBe(true);
    expect(isVersionPrefix('12.1-5', '12.1-55.18')).toBe(false);
  });
});

describe('fixed builds and ranges', () => {
  const fixed = new FixedTable({
    '10.5': '10.5-70.12',
    '11.1': '11.1-63.15',
    '12.0': '12.0-63.13',
    '12.1': '12.1-55.18',
    '13.0': '13.0-47.24',
    '12.1-55': '12.1-55.289',
  });
  it('longest branch prefix wins; unlisted branches are not affected; unknown version is null', () => {
    expect(fixed.check('13.0-47.22')).toEqual({ fixed: false, fixedBuild: '13.0-47.24' });
    expect(fixed.check('13.0-47.24')).toEqual({ fixed: true, fixedBuild: '13.0-47.24' });
    expect(fixed.check('12.1-50.28')).toEqual({ fixed: false, fixedBuild: '12.1-55.18' });
    expect(fixed.check('12.1-55.200')).toEqual({ fixed: false, fixedBuild: '12.1-55.289' });
    expect(fixed.check('12.1-56.1')).toEqual({ fixed: true, fixedBuild: '12.1-55.18' });
    expect(fixed.check('13.1-4.43')).toEqual({ fixed: true, fixedBuild: null });
    expect(fixed.check(null)).toEqual({ fixed: null, fixedBuild: null });
  });

  it('responder_ineffective: 12.1 below 51.16 except 50.31', () => {
    const r = new RangeSet({ responder_ineffective: [{ branch: '12.1', below: '12.1-51.16', except: ['12.1-50.31'] }] });
    expect(r.contains('responder_ineffective', '12.1-50.28')).toBe(true);
    expect(r.contains('responder_ineffective', '12.1-49.23')).toBe(true);
    expect(r.contains('responder_ineffective', '12.1-50.31')).toBe(false);
    expect(r.contains('responder_ineffective', '12.1-51.16')).toBe(false);
    expect(r.contains('responder_ineffective', '13.0-47.22')).toBe(false);
    expect(r.contains('responder_ineffective', null)).toBe(false);
    expect(r.contains('other', '12.1-50.28')).toBe(false);
    expect(() => new RangeSet({ x: [{ branch: '12.1', below: '13.0-1.1' }] })).toThrow(/not a build of branch 12\.1/);
  });
});

describe('the real version CSV', () => {
  it('has every row indexed by stamp and vhash', () => {
    expect(table.size).toBe(237);
    expect(table.lookup('stamp', '1574967982')).toEqual({ version: '13.0-47.22', date: '2019-11-28T19:06:22Z' });
    expect(table.lookup('stamp', '1579525745')).toEqual({ version: '13.0-47.24', date: '2020-01-20T13:09:05Z' });
    expect(table.lookup('vhash', '26df0e65fba681faaeb333058a8b28bf')?.version).toBe('12.1-50.28');
    expect(table.lookup('vhash', '26DF0E65FBA681FAAEB333058A8B28BF')?.version).toBe('12.1-50.28');
    expect(table.lookup('stamp', '1550038312')).toEqual({ version: null, date: '2019-02-13T06:11:52Z' });
    expect(table.lookup('stamp', '1')).toBeUndefined();
    expect(table.column('stamp')).toBe('rdx_en_stamp');
    expect(table.column('nope')).toBeNull();
  });

  it('is loaded once per process', () => {
    expect(loadVersionTable('netscaler-versions', join(DEFAULT_DATA_DIR, 'netscaler-versions.csv'))).toBe(table);
  });

  it('a missing table file is EW_CHECK_TABLE', () => {
    expect(() => loadVersionTable('x', join(DEFAULT_DATA_DIR, 'nope.csv'))).toThrow(expect.objectContaining({ code: 'EW_CHECK_TABLE' }));
  });
});

describe('version resolution and identification', () => {
  type Env = Record<string, string | boolean | null>;
  const sources: VersionSource<Env>[] = [
    { source: 'rdx_stamp', from: (e) => e.stamp ?? null, table: { table, key: 'rdx_en_stamp', epochKey: true } },
    { source: 'vhash', from: (e) => e.vhash ?? null, table: { table, key: 'vhash', epochKey: false } },
    { source: 'pluginlist', from: (e) => e.plugin ?? null, pattern: { re: /^(1[0-2])\.(\d)\.(\d+)\.(\d+)$/, format: '$1.$2-$3.$4' } },
  ];
  it('first source with a version wins; build date may come from an earlier source', () => {
    expect(resolveVersion(sources, { stamp: '1574967982' })).toEqual({
      version: '13.0-47.22',
      source: 'rdx_stamp',
      buildDate: '2019-11-28T19:06:22Z',
    });
    expect(resolveVersion(sources, { stamp: '1577000000', plugin: '12.1.50.28' })).toEqual({
      version: '12.1-50.28',
      source: 'pluginlist',
      buildDate: '2019-12-22T07:33:20Z',
    });
    expect(resolveVersion(sources, { stamp: '1550038312', vhash: '1ffe249eccc42133689c145dc37d6372' })).toEqual({
      version: null,
      source: null,
      buildDate: '2019-02-13T06:11:52Z',
    });
    expect(resolveVersion(sources, { plugin: '23.8.1.5' })).toEqual({ version: null, source: null, buildDate: null });
    expect(isoFromEpoch(1574967982)).toBe('2019-11-28T19:06:22Z');
  });

  it('veto beats everything; first true level wins', () => {
    const t = () => true;
    const f = () => false;
    expect(identify({ veto: t, certain: t, strong: null, weak: null }, {})).toBe('none');
    expect(identify({ veto: f, certain: f, strong: t, weak: t }, {})).toBe('strong');
    expect(identify({ veto: null, certain: null, strong: f, weak: f }, {})).toBe('none');
  });

  it('decide: first rule wins, why interpolates, no rule → unknown', () => {
    const why = compileWhy('build {version} below {fixed_build}', new Set(['version', 'fixed_build']));
    const rules = [
      { when: () => false, state: 'vulnerable' as const, why },
      { when: () => true, state: 'mitigated' as const, why },
    ];
    const look = (n: string) => (n === 'version' ? '13.0-47.22' : null);
    expect(decide(rules, {}, look)).toEqual({
      state: 'mitigated',
      why: 'build 13.0-47.22 below unknown',
      rule: 1,
      disprovesProduct: false,
    });
    expect(decide([], {}, look).state).toBe('unknown');
  });
});

describe('compromise rules', () => {
  const why = (t: string) => compileWhy(t, new Set());
  const rule = (holds: boolean, state: 'true' | 'false' | 'unknown', request = -1): CompromiseRule<object> => ({
    when: () => holds,
    state,
    why: why(`${state}@${request}`),
    indicator: state === 'true' ? { request, id: `r${request}` } : null,
  });

  it('every true rule that holds fires, once per request; the first one gives the why', () => {
    const d = decideCompromise(
      [rule(false, 'true', 0), rule(true, 'true', 1), rule(true, 'true', 1), rule(true, 'true', 2)],
      {},
      () => null,
    );
    expect(d).toEqual({
      state: 'true',
      why: 'true@1',
      fired: [
        { request: 1, id: 'r1', why: 'true@1' },
        { request: 2, id: 'r2', why: 'true@2' },
      ],
    });
  });

  it('a true rule wins even after an earlier false/unknown rule held; otherwise the first of those decides', () => {
    expect(decideCompromise([rule(true, 'unknown'), rule(true, 'true', 0)], {}, () => null).state).toBe('true');
    expect(decideCompromise([rule(false, 'true', 0), rule(true, 'false'), rule(true, 'unknown')], {}, () => null)).toEqual({
      state: 'false',
      why: 'false@-1',
      fired: [],
    });
    expect(decideCompromise([rule(false, 'true', 0)], {}, () => null)).toEqual({
      state: 'unknown',
      why: 'no decide rule matched',
      fired: [],
    });
  });

  it('host flag: any true → true; all false → false; none ran or any unknown → unknown', () => {
    expect(combineCompromise([])).toBe('unknown');
    expect(combineCompromise(['false', 'false'])).toBe('false');
    expect(combineCompromise(['false', 'unknown'])).toBe('unknown');
    expect(combineCompromise(['unknown', 'true', 'false'])).toBe('true');
  });
});

describe('vendor-neutral versions and fixed-table markers (issue 7)', () => {
  it('dotted (Pulse ProductVersion) and R forms parse, order and branch like NetScaler builds', () => {
    expect(parseVersion('9.0.3.64053')).toEqual({ parts: [9, 0, 3, 64053] });
    expect(parseVersion('9.0R3.4')).toEqual({ parts: [9, 0, 3, 4] });
    expect(parseVersion('9.0')).toBeNull();
    expect(parseVersion('9.0.3.64053.1.2')).toBeNull();
    expect(parseVersion('9.0R')).toBeNull();
    expect(compareVersions('9.0.3.64041', '9.0.3.64053')).toBe(-1);
    expect(compareVersions('9.0.4.64055', '9.0.3.64053')).toBe(1);
    expect(compareVersions('9.0R3', '9.0R3.4')).toBe(-1);
    expect(branchOf('8.3.7.65025')).toBe('8.3');
    expect(isVersionPrefix('9.0', '9.0R3.4')).toBe(true);
    expect(isVersionPrefix('9.0', '9.0.3.64053')).toBe(true);
    expect(isVersionPrefix('9.0', '9.01.3.1')).toBe(false);
  });

  it('eol, not_affected and unassessed lines; longest line wins over the branch', () => {
    const t = new FixedTable({
      '10.5': 'unassessed',
      '12.1': 'eol',
      '12.1-55': 'not_affected',
      '13.0': '13.0-92.19',
      '13.1': '13.1-49.15',
      '13.1-37': '13.1-37.164',
    });
    expect(t.check('12.1-65.39')).toEqual({ fixed: false, fixedBuild: null, eol: true });
    expect(t.check('12.1-55.297')).toEqual({ fixed: true, fixedBuild: null });
    expect(t.check('10.5-70.18')).toEqual({ fixed: null, fixedBuild: null, unassessed: true });
    expect(t.check('13.1-37.159')).toEqual({ fixed: false, fixedBuild: '13.1-37.164' });
    expect(t.check('13.1-48.47')).toEqual({ fixed: false, fixedBuild: '13.1-49.15' });
    expect(t.check('14.1-8.50')).toEqual({ fixed: true, fixedBuild: null });
    expect(t.check(null)).toEqual({ fixed: null, fixedBuild: null });
    expect(() => new FixedTable({ '13.0': 'soon' })).toThrow(/not a firmware version/);
    const pulse = new FixedTable({ '8.2': '8.2.12.64003', '9.0': '9.0.3.64053' });
    expect(pulse.check('9.0.3.64015')).toEqual({ fixed: false, fixedBuild: '9.0.3.64053' });
    expect(pulse.check('8.1.15.59747')).toEqual({ fixed: true, fixedBuild: null });
  });
});
