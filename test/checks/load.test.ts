import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CheckInvalidError, createEngine, DEFAULT_CHECKS_DIR, loadChecks, validateCheckFiles } from '../../src/checks/index.js';
import { isEdgewatchError } from '../../src/errors.js';
import { FakeSession, res } from './helpers/fake-session.js';

const dir = mkdtempSync(join(tmpdir(), 'ew-checks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

const FP = (id: string, extra = '', req = '') => `id: ${id}
kind: fingerprint
info: { name: test, vendor: acme, product: acme-box, severity: info }
requests:
  - id: index
    method: GET
    path: /index.html
    matchers:
      - { name: ok, type: status, status: [200] }
      - { name: marker, type: word, words: ['ACME'] }
${req}identify:
  certain: "index.marker"
${extra}`;

async function issuesOf(file: string): Promise<string[]> {
  try {
    await loadChecks([file], { displayBase: dir });
  } catch (e) {
    expect(e).toBeInstanceOf(CheckInvalidError);
    expect(isEdgewatchError(e, 'EW_CHECK_INVALID')).toBe(true);
    return (e as CheckInvalidError).issues.map((i) => `${i.file}:${i.line ?? '?'}: ${i.path}: ${i.message}`);
  }
  throw new Error('loaded without error');
}

describe('loading and validation errors name file, line and YAML path', () => {
  it('a valid minimal check loads', async () => {
    const checks = await loadChecks([write('acme-fp.yaml', FP('acme-fp'))]);
    expect(checks.map((c) => c.id)).toEqual(['acme-fp']);
  });

  it('an invalid regex: file:line: requests[0].matchers[2].regex[1]', async () => {
    const f = write(
      'bad-regex.yaml',
      FP('bad-regex', '', '      - { name: r, type: regex, regex: [ok, "(unclosed"] }\n').replace('    matchers:\n', '    matchers:\n'),
    );
    const text = readFileSync(f, 'utf8').replace('      - { name: r, type: regex, regex: [ok, "(unclosed"] }\nidentify', 'identify');
    // place the bad matcher inside the request's matcher list (third matcher)
    writeFileSync(
      f,
      text.replace(
        "      - { name: marker, type: word, words: ['ACME'] }\n",
        '      - { name: marker, type: word, words: [\'ACME\'] }\n      - { name: r, type: regex, regex: [ok, "(unclosed"] }\n',
      ),
    );
    const issues = await issuesOf(f);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^bad-regex\.yaml:11: requests\[0\]\.matchers\[2\]\.regex\[1\]: invalid regular expression/);
  });

  it('schema errors: wrong method, a body, unknown matcher type, missing field', async () => {
    const f = write(
      'bad-schema.yaml',
      `id: bad-schema
kind: fingerprint
info: { name: t, vendor: acme, product: acme-box, severity: info }
requests:
  - id: a
    method: POST
    path: /x
    body: "hello"
    matchers:
      - { name: m, type: wordz, words: [x] }
  - id: b
    path: /y
identify: { certain: "true" }
`,
    );
    const issues = await issuesOf(f);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bad-schema\.yaml:6: requests\[0\]\.method: Invalid option: expected one of "GET"\|"HEAD"/),
        expect.stringMatching(/^bad-schema\.yaml:8: requests\[0\]\.body: unknown field/),
        expect.stringMatching(/^bad-schema\.yaml:10: requests\[0\]\.matchers\[0\]\.type: /),
        expect.stringMatching(/^bad-schema\.yaml:11: requests\[1\]\.method: /),
      ]),
    );
  });

  it('expression errors: unknown identifier, ambiguity, forward reference, unknown function', async () => {
    const f = write(
      'bad-expr.yaml',
      `id: bad-expr
kind: fingerprint
info: { name: t, vendor: acme, product: acme-box, severity: info }
requests:
  - id: a
    method: GET
    path: /a
    when: "b.ok"
    matchers: [ { name: ok, type: status, status: [200] } ]
  - id: b
    method: GET
    path: /b
    matchers:
      - { name: ok, type: status, status: [200] }
      - { name: e, type: expr, expr: "stauts == 200" }
identify:
  certain: "ok"
  strong: "frob(a.ok)"
  weak: "fixed == true"
`,
    );
    const issues = await issuesOf(f);
    expect(issues).toEqual([
      expect.stringMatching(/^bad-expr\.yaml:8: requests\[0\]\.when: 'b\.ok' is a signal of request 'b', which has not run yet/),
      expect.stringMatching(/^bad-expr\.yaml:15: requests\[1\]\.matchers\[1\]\.expr: unknown identifier 'stauts'/),
      expect.stringMatching(/^bad-expr\.yaml:17: identify\.certain: ambiguous identifier 'ok'/),
      expect.stringMatching(/^bad-expr\.yaml:18: identify\.strong: unknown function 'frob'/),
      expect.stringMatching(/^bad-expr\.yaml:19: identify\.weak: 'fixed' is not available in identify\.weak/),
    ]);
  });

  it('id must equal the file name; unknown tables and columns; reserved and duplicate names', async () => {
    const f = write(
      'named-right.yaml',
      FP(
        'named-wrong',
        `version:
  - { source: s, from: index.marker, table: no-such-table, key: stamp }
  - { source: t, from: index.marker, table: netscaler-versions, key: nope }
`,
        `      - { name: version, type: status, status: [200] }
      - { name: ok, type: status, status: [201] }
`,
      ),
    );
    const issues = await issuesOf(f);
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^named-right\.yaml:1: id: id 'named-wrong' must equal the file name 'named-right'/),
        expect.stringMatching(/version\[0\]\.table: unknown table 'no-such-table'/),
        expect.stringMatching(/version\[1\]\.key: table 'netscaler-versions' has no column 'nope'/),
        expect.stringMatching(/requests\[0\]\.matchers\[2\]\.name: 'version' is a reserved name/),
        expect.stringMatching(/requests\[0\]\.matchers\[3\]\.name: duplicate signal 'ok'/),
      ]),
    );
  });

  it('cve checks: fixed builds must belong to their branch; in_range names must exist; why placeholders', async () => {
    const f = write(
      'CVE-2099-0001.yaml',
      `id: CVE-2099-0001
kind: cve
info: { name: t, vendor: acme, product: acme-box, severity: high, cves: [CVE-2099-0001] }
requires: { product: acme-box }
versions:
  fixed: { "13.0": "13.1-1.1" }
requests:
  - { id: p, method: HEAD, path: /x }
decide:
  - { when: "in_range('nope')", state: vulnerable, why: "x" }
  - { when: "true", state: unknown, why: "build {versoin}" }
`,
    );
    const issues = await issuesOf(f);
    expect(issues).toEqual([
      expect.stringMatching(/versions\.fixed: 13\.0: '13\.1-1\.1' is not a build of branch 13\.0/),
      expect.stringMatching(/:10: decide\[0\]\.when: in_range\('nope'\): no range 'nope' in versions\.ranges/),
      expect.stringMatching(/:11: decide\[1\]\.why: unknown placeholder \{versoin\}/),
    ]);
  });

  it('compromise checks: true rules name an existing indicator request; other rules name none; no fixed facts', async () => {
    const f = write(
      'acme-shell.yaml',
      `id: acme-shell
kind: compromise
info: { name: t, vendor: acme, product: acme-box, severity: high }
requires: { product: acme-box }
requests:
  - { id: a, method: GET, path: /a.php, matchers: [{ name: implant, type: status, status: [201] }] }
decide:
  - { when: "a.implant", compromised: true, why: "x" }
  - { when: "a.implant", compromised: true, indicator: b, why: "x" }
  - { when: "a.failed", compromised: unknown, indicator: a, why: "x" }
  - { when: "fixed == true", compromised: false, why: "x {fixed_build}" }
  - { when: "true", compromised: maybe, why: "x" }
`,
    );
    const issues = await issuesOf(f);
    expect(issues).toEqual([expect.stringMatching(/:12: decide\[4\]\.compromised: /)]);
    writeFileSync(f, readFileSync(f, 'utf8').replace('compromised: maybe', 'compromised: unknown'));
    expect(await issuesOf(f)).toEqual([
      expect.stringMatching(/:8: decide\[0\]\.compromised: a compromised: true rule names its indicator request/),
      expect.stringMatching(/:9: decide\[1\]\.indicator: unknown request 'b' \(requests: a\)/),
      expect.stringMatching(/:10: decide\[2\]\.indicator: only a compromised: true rule names an indicator/),
      expect.stringMatching(/:11: decide\[3\]\.when: 'fixed' is not available in decide\[3\]\.when/),
      expect.stringMatching(/:11: decide\[3\]\.why: unknown placeholder \{fixed_build\}/),
    ]);
    const ok = write(
      'acme-ok.yaml',
      readFileSync(f, 'utf8')
        .replace('id: acme-shell', 'id: acme-ok')
        .replace(
          /decide:[\s\S]*$/,
          'decide:\n  - { when: "a.implant", compromised: true, indicator: a, why: "x" }\n  - { when: "true", compromised: false, why: "y" }\n',
        ),
    );
    const [c] = await loadChecks([ok]);
    expect(c.kind).toBe('compromise');
  });

  it('YAML syntax errors and duplicate keys carry the line', async () => {
    const f = write('yaml-bad.yaml', 'id: yaml-bad\nkind: fingerprint\nkind: cve\n');
    const issues = await issuesOf(f);
    expect(issues[0]).toMatch(/^yaml-bad\.yaml:3: \(yaml\): .*unique/i);
  });

  it('a missing path is EW_CHECK_READ', async () => {
    await expect(loadChecks([join(dir, 'nope.yaml')])).rejects.toMatchObject({ code: 'EW_CHECK_READ' });
  });
});

describe('the shipped check pack', () => {
  it('is valid and ordered fingerprint first', async () => {
    const checks = await loadChecks();
    expect(checks.map((c) => `${c.kind}:${c.id}`)).toEqual([
      'fingerprint:netscaler-fingerprint',
      'fingerprint:pulse-secure-fingerprint',
      'cve:CVE-2019-11510',
      'cve:CVE-2019-19781',
      'cve:CVE-2022-27510',
      'cve:CVE-2022-27518',
      'cve:CVE-2023-3519',
      'cve:CVE-2023-4966',
      'cve:CVE-2023-6548',
      'cve:CVE-2023-6549',
      'cve:CVE-2025-5349',
      'cve:CVE-2025-5777',
      'cve:CVE-2025-6543',
      'cve:CVE-2025-7775',
      'compromise:citrix-webshell-2020-themes',
      'compromise:citrix-webshell-2023-v1-uiareas',
      'compromise:citrix-webshell-2023-v2-epa',
    ]);
    const results = await validateCheckFiles();
    expect(results.flatMap((r) => r.issues)).toEqual([]);
  });

  it('uses only GET or HEAD and never a request body (raw YAML)', () => {
    const files = readdirSync(DEFAULT_CHECKS_DIR).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    expect(files).toEqual(expect.arrayContaining(['citrix-webshell-2020-themes.yaml', 'citrix-webshell-2023-v1-uiareas.yaml']));
    for (const f of files) {
      const doc = parseYaml(readFileSync(join(DEFAULT_CHECKS_DIR, f), 'utf8')) as { requests?: Array<Record<string, unknown>> };
      for (const r of doc.requests ?? []) {
        expect(['GET', 'HEAD'], `${f} ${String(r.id)}`).toContain(r.method);
        expect(
          Object.keys(r).filter((k) => /body|data|payload|raw/i.test(k)),
          `${f} ${String(r.id)}`,
        ).toEqual([]);
        expect(String(r.path)).not.toMatch(/\.pl\b|newbm|\?/);
      }
    }
  });

  it('the compromise checks send exactly the ten agreed indicator GETs (ISSUE3 X1–X3), to fixed paths', () => {
    const files = readdirSync(DEFAULT_CHECKS_DIR).filter((f) => /\.ya?ml$/.test(f));
    const sent: string[] = [];
    for (const f of files) {
      const doc = parseYaml(readFileSync(join(DEFAULT_CHECKS_DIR, f), 'utf8')) as {
        kind: string;
        requires?: { product?: string };
        requests: Array<Record<string, unknown>>;
      };
      if (doc.kind !== 'compromise') continue;
      expect(doc.requires?.product, f).toBe('citrix-adc');
      for (const r of doc.requests) {
        expect(r.when, `${f} ${String(r.id)}: indicator requests are unconditional`).toBeUndefined();
        expect(r.headers, `${f} ${String(r.id)}`).toBeUndefined();
        sent.push(`${String(r.method)} ${String(r.path)}`);
      }
    }
    expect(sent.sort()).toEqual(
      [
        'GET /vpn/themes/imgs/tiny.php',
        'GET /vpn/themes/imgs/debug.php',
        'GET /vpn/themes/imgs/conn.php',
        'GET /logon/LogonPoint/uiareas/config.php',
        'GET /logon/LogonPoint/uiareas/info.php',
        'GET /logon/LogonPoint/uiareas/log.php',
        'GET /logon/LogonPoint/uiareas/prod.php',
        'GET /epa/scripts/win/config.php',
        'GET /epa/scripts/win/info.php',
        'GET /epa/scripts/win/prod.php',
      ].sort(),
    );
  });
});

describe('request sharing across checks', () => {
  it('identical method+path+headers are sent once per host; different headers are not merged', async () => {
    const a = write('share-a.yaml', FP('share-a'));
    const b = write(
      'share-b.yaml',
      FP('share-b').replace('info: { name: test, vendor: acme, product: acme-box', 'info: { name: test2, vendor: acme, product: acme-box'),
    );
    const c = write(
      'share-c.yaml',
      FP('share-c').replace('    path: /index.html\n', '    path: /index.html\n    headers: { Accept-Encoding: identity }\n'),
    );
    const engine = createEngine(await loadChecks([a, b, c]));
    const s = new FakeSession({ 'GET /index.html': res(200, { body: 'ACME box' }) });
    const v = await engine.runHost(s);
    expect(s.sent).toEqual(['GET /index.html', 'GET /index.html']);
    expect(s.specs[1].headers).toEqual({ 'Accept-Encoding': 'identity' });
    expect(v.evidence).toHaveLength(2);
    expect(v.product).toBe('acme-box');
    expect(v.evidence[0].matched).toEqual(['ok', 'marker']);
  });
});
