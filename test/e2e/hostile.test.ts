/**
 * Hostile values from scanned hosts (issues 5 and 8): a lab of `citrix-hostile-names` (vulnerable
 * Gateways whose certificate names carry markup, quotes, RLO, a 300+ character name, CR/LF `Bcc:`
 * and spreadsheet formulas) and `hostile-site` (a page title with the same) is scanned with the real
 * CLI. The records keep the values exactly as the hosts sent them; everything made for people or
 * other programs keeps them inert: report tables and Markdown (no raw markup, control or bidi
 * characters), the CSV export (formula-safe), and the notifications planned for the case that the
 * vulnerable hostile Gateways open (no injected header, no CR in the subject, a formula-safe
 * attachment), checked on the .eml files of a dry run as a mail client would read them.
 * Loopback only (127.88.0.0/27, no other test uses 127.88).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab, type TruthRecord } from '../../src/lab/index.js';
import { HOSTILE } from '../../src/lab/identity.js';
import { HOSTILE_TITLE } from '../../src/lab/others.js';
import type { ScanRecord } from '../../src/scan/record.js';
import { readJsonl, runCli, tempDir } from './helpers.js';

const RANGE = '127.88.0.0/27';
/** Mostly hostile hosts, with a few ordinary ones so the outputs have something to compare with. */
const MIX = { 'citrix-hostile-names': 4, 'hostile-site': 4, 'citrix-vulnerable-13.0': 1, 'nginx-default': 1 };
const CVE = 'CVE-2019-19781';
/** What must never reach a terminal, a Markdown page or a mail header raw (src/report/render.ts printable()). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const FORMULA = /^[=+\-@\t\r]/;

describe('hostile values from scanned hosts stay exact in records and inert everywhere else', () => {
  let lab: Lab;
  let truth: TruthRecord[];
  let records: ScanRecord[];
  const dir = tempDir('ew-e2e-hostile-');
  const db = join(dir, 'hostile.db');
  const cfg = join(dir, 'config.yaml');
  const cli = async (args: string[]) => {
    const r = await runCli(args);
    expect(r.code, `edgewatch ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  const hostileCert = () => truth.filter((t) => t.traits.includes('hostile-cert') && t.expect.https?.status === 'ok');
  const byIp = () => new Map(records.map((r) => [r.ip, r]));

  beforeAll(async () => {
    lab = await startLab({ range: RANGE, seed: 5, httpsPort: 0, httpPort: null, listen: 'per-address', mix: MIX });
    truth = lab.truth();
    // The constituency: one organisation owning the lab range, with a contact, so the case of the
    // vulnerable hostile Gateways gets a message. Its name is the operator's, not host-controlled.
    const orgs = join(dir, 'orgs.yaml');
    writeFileSync(
      orgs,
      `version: 1\norganisations:\n  - key: evil-clinic\n    name: Evil Clinic\n    sector: healthcare\n    language: en\n    cidrs: [${RANGE}]\n    contacts:\n      - email: cert@evil-clinic.example\n`,
    );
    writeFileSync(cfg, 'notify:\n  from: "CERT Example <cert@example.org>"\n  tlp: AMBER\n');
    await cli(['org', 'import', orgs, '--db', db]);
    const out = join(dir, 'records.jsonl');
    await cli(['scan', RANGE, '--lab', '-p', String(lab.httpsPort), '--db', db, '-o', out, '--timeout', '2', '--total-timeout', '12', '--label', 'hostile', '--silent', '--no-cases']);
    records = readJsonl<ScanRecord>(out);
  }, 180_000);

  afterAll(async () => {
    await lab?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the lab holds several hosts of each hostile persona', () => {
    expect(truth.filter((t) => t.persona === 'citrix-hostile-names').length).toBeGreaterThanOrEqual(3);
    expect(truth.filter((t) => t.persona === 'hostile-site').length).toBeGreaterThanOrEqual(3);
    expect(records.length).toBe(truth.length);
  });

  it('records keep the certificate subject exactly as sent (stored faithfully), in the file and in the store', async () => {
    await cli(['export', '--db', db, '--format', 'jsonl', '-o', join(dir, 'export.jsonl')]);
    const exported = readJsonl<ScanRecord>(join(dir, 'export.jsonl'));
    const stored = new Map(exported.map((r) => [r.ip, r]));
    const file = byIp();
    for (const t of hostileCert()) {
      for (const r of [file.get(t.ip), stored.get(t.ip)]) {
        expect(r?.status, t.ip).toBe('ok');
        expect(r?.tls?.subject_cn, t.ip).toBe(HOSTILE.cn);
        expect(r?.tls?.subject, t.ip).toBe(`C=NL, O=${HOSTILE.org}, CN=${HOSTILE.cn}`);
        expect(r?.tls?.subject, t.ip).toBe(t.identity?.subject);
      }
    }
    // The hostile Gateways are still classified like any vulnerable 13.0 build.
    for (const t of hostileCert().filter((x) => x.persona === 'citrix-hostile-names')) {
      expect(file.get(t.ip)?.product).toBe('citrix-adc');
      expect(file.get(t.ip)?.version).toBe(t.expect.https?.version);
      expect(file.get(t.ip)?.cve[CVE]).toBe(t.expect.https?.cve[CVE]);
    }
  });

  it('records keep the certificate SANs exactly as sent (CR/LF, quotes, markup, formula, the long name)', () => {
    const file = byIp();
    for (const t of hostileCert()) expect(file.get(t.ip)?.tls?.sans, t.ip).toEqual([...HOSTILE.sans]);
  });

  it('records keep the hostile page title in the evidence excerpt (raw markup, controls and non-ASCII escaped as documented)', () => {
    const file = byIp();
    const sites = truth.filter((t) => t.persona === 'hostile-site');
    // The excerpt is the first 256 bytes read as latin1 with \r, \n and non-ASCII bytes escaped.
    const expected = HOSTILE_TITLE.slice(0, 60)
      .replace('\u202e', '\\xe2\\x80\\xae')
      .replace('\r', '\\r')
      .replace('\n', '\\n');
    for (const t of sites) {
      const r = file.get(t.ip);
      expect(r?.product, t.ip).toBeNull();
      expect(r?.cve[CVE], t.ip).toBe('not_applicable');
      const excerpts = (r?.evidence ?? []).map((e) => e.excerpt ?? '');
      expect(
        excerpts.some((x) => x.includes(`<title>${expected}`)),
        `${t.ip}: ${excerpts.join(' || ').slice(0, 400)}`,
      ).toBe(true);
    }
  });

  it('report tables and Markdown (counts and the host view) carry no raw markup, control or bidi characters', async () => {
    const outputs: Array<[string, string]> = [];
    for (const extra of [[], ['--format', 'markdown'], ['--hosts', '--all'], ['--hosts', '--all', '--format', 'markdown']]) {
      const r = await cli(['report', '--db', db, ...extra]);
      outputs.push([extra.join(' ') || 'table', r.stdout]);
    }
    // the host view lists the hostile hosts (the test is not vacuous)
    const hostView = outputs[2]?.[1] ?? '';
    for (const t of hostileCert()) expect(hostView).toContain(t.ip);
    for (const [what, text] of outputs) {
      expect(text, what).not.toMatch(/<script/i);
      expect(text, what).not.toMatch(/<img/i);
      expect(text, what).not.toMatch(UNSAFE_TEXT);
      expect(text.includes('\r'), `${what}: raw CR`).toBe(false);
      expect(text.split('\n').some((l) => /^Bcc:/i.test(l)), `${what}: a line starting with Bcc:`).toBe(false);
    }
  });

  it('the CSV export is formula-safe and otherwise faithful', async () => {
    const file = join(dir, 'x.csv');
    await cli(['export', '--db', db, '-o', file]);
    const rows = parse(readFileSync(file, 'utf8'), { columns: true, relax_quotes: false }) as Array<Record<string, string>>;
    expect(rows.length).toBe(truth.length);
    for (const row of rows) for (const [k, v] of Object.entries(row)) expect(FORMULA.test(v), `${row.ip} ${k}: ${v.slice(0, 60)}`).toBe(false);
    const byRow = new Map(rows.map((r) => [r.ip, r]));
    for (const t of hostileCert()) {
      const row = byRow.get(t.ip);
      // neutralised with a leading apostrophe, the rest byte for byte
      expect(row?.tls_subject_cn, t.ip).toBe(`'${HOSTILE.cn}`);
      expect(row?.tls_sans?.startsWith(`'${HOSTILE.sans[0]}`), `${t.ip}: ${row?.tls_sans?.slice(0, 60)}`).toBe(true);
    }
  });

  it('cases and planned notifications: no injected header, no CR in the subject, a formula-safe attachment', async () => {
    const upd = await cli(['cases', 'update', '--db', db, '--config', cfg, '--json']);
    const sum = JSON.parse(upd.stdout) as { opened: number; hostsAdded: number };
    const vulnerableHostile = hostileCert().filter((t) => t.expect.https?.cve[CVE] === 'vulnerable');
    expect(vulnerableHostile.length).toBeGreaterThan(0);
    expect(sum.opened).toBeGreaterThan(0);
    expect(sum.hostsAdded).toBeGreaterThanOrEqual(vulnerableHostile.length);

    const plan = await cli(['notify', 'plan', '--no-update', '--db', db, '--config', cfg, '--json']);
    const planned = plan.stdout
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { id: string; subject: string; to: string[] });
    expect(planned.length, plan.stderr).toBeGreaterThan(0);
    for (const p of planned) {
      expect(p.subject).not.toMatch(/[\r\n]/);
      expect(p.subject).not.toMatch(UNSAFE_TEXT);
      expect(p.to).toEqual(['cert@evil-clinic.example']);
      // The message as reviewed: the header block has only its four fields, no injected line.
      const show = await cli(['notify', 'show', p.id, '--db', db, '--config', cfg]);
      const [head, ...rest] = show.stdout.split('\n\n');
      expect(head?.split('\n').map((l) => l.split(':')[0])).toEqual(['Message-ID', 'To', 'Subject', 'State']);
      expect(head).not.toMatch(/^Bcc:/im);
      expect(head?.includes('\r')).toBe(false);
      // every vulnerable hostile Gateway is in the message (the hostile hosts reached it)
      for (const t of vulnerableHostile) expect(rest.join('\n\n')).toContain(t.ip);
    }

    // As a mail client reads it: approve, render the real messages with the dry run, parse them.
    await cli(['notify', 'approve', '--all', '--db', db, '--config', cfg]);
    const emlDir = join(dir, 'eml');
    await cli(['notify', 'send', '--dry-run', emlDir, '--db', db, '--config', cfg]);
    const files = readdirSync(emlDir).filter((f) => f.endsWith('.eml'));
    expect(files.length).toBe(planned.length);
    for (const f of files) {
      const raw = readFileSync(join(emlDir, f), 'utf8');
      const eol = raw.includes('\r\n') ? '\r\n' : '\n';
      const headerBlock = raw.slice(0, raw.indexOf(eol + eol));
      const unfolded = headerBlock.split(eol).reduce<string[]>((acc, l) => {
        if (/^[ \t]/.test(l) && acc.length) acc[acc.length - 1] += ` ${l.trim()}`;
        else acc.push(l);
        return acc;
      }, []);
      const names = unfolded.map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
      expect(names, f).not.toContain('bcc');
      expect(names.filter((n) => n === 'to' || n === 'cc'), f).toEqual(['to']);
      expect(unfolded.every((l) => /^[A-Za-z0-9-]+: /.test(l)), f).toBe(true);
      const mail = await simpleParser(raw);
      expect(mail.bcc, f).toBeUndefined();
      expect(mail.cc, f).toBeUndefined();
      const to = Array.isArray(mail.to) ? mail.to.flatMap((a) => a.value) : (mail.to?.value ?? []);
      expect(to.map((a) => a.address)).toEqual(['cert@evil-clinic.example']);
      expect(mail.subject ?? '').not.toMatch(/[\r\n]/);
      expect(mail.subject ?? '').not.toMatch(UNSAFE_TEXT);
      const csv = mail.attachments.find((a) => a.filename?.endsWith('-evidence.csv'));
      expect(csv, f).toBeDefined();
      const cells = (parse(csv?.content.toString('utf8') ?? '') as string[][]).flat();
      expect(cells.length).toBeGreaterThan(15);
      for (const c of cells) expect(FORMULA.test(c), `${f} attachment cell ${c.slice(0, 60)}`).toBe(false);
      const text = mail.text ?? '';
      expect(text).not.toMatch(/<script/i);
      expect(text).not.toMatch(UNSAFE_TEXT);
    }
  }, 120_000);
});
