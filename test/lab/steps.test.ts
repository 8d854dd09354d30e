import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab, type TruthRecord } from '../../src/lab/index.js';
import { exchange } from './client.js';

let lab: Lab;
let dir: string;
let startMs = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ew-lab-steps-'));
  const t0 = Date.now();
  lab = await startLab({ size: 4096, seed: 5, httpsPort: 0, httpPort: 0, truthFile: join(dir, 'truth.jsonl') });
  startMs = Date.now() - t0;
});
afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

const isVuln = (t: TruthRecord) => t.mitigation === 'none' && t.expect.https?.cve['CVE-2019-19781'] === 'vulnerable';

describe('a 4,096-address lab over time', () => {
  it('starts per-address on loopback only, within a few seconds', () => {
    console.log(
      `lab 4096 per-address: start ${startMs} ms, ${lab.listeners} listeners, rss ${Math.round(process.memoryUsage().rss / 1e6)} MB (test process)`,
    );
    expect(lab.mode).toBe('per-address');
    expect(lab.listeners).toBeLessThanOrEqual(8192);
    expect(lab.boundAddresses().every((a) => a.startsWith('127.'))).toBe(true);
  });

  it('setStep remediates about 23 % of the day-0 vulnerable hosts on day 1, deterministically, and rewrites the truth', async () => {
    const day0 = lab.truth();
    const vuln = day0.filter(isVuln);
    expect(vuln.length).toBeGreaterThan(900);
    await lab.setStep(1);
    const day1 = lab.truth();
    const byIp = new Map(day1.map((t) => [t.ip, t]));
    const acted = vuln.filter((t) => (byIp.get(t.ip) as TruthRecord).mitigation !== 'none');
    const share = acted.length / vuln.length;
    expect(share).toBeGreaterThan(0.18);
    expect(share).toBeLessThan(0.28);
    // Before the patches exist, acting means the responder.
    expect(acted.every((t) => byIp.get(t.ip)?.build === t.build)).toBe(true);
    const file = readFileSync(join(dir, 'truth.jsonl'), 'utf8').trim().split('\n');
    expect(file.length).toBe(4096);
    expect((JSON.parse(file[0] as string) as TruthRecord).step).toBe(1);
    // Deterministic: going back and forth gives the same truth.
    await lab.setStep(0);
    expect(lab.truth()).toEqual(day0);
    await lab.setStep(1);
    expect(lab.truth()).toEqual(day1);
    // Later days patch some hosts (builds move to fixed ones).
    await lab.setStep(30);
    const day30 = new Map(lab.truth().map((t) => [t.ip, t]));
    const patched = vuln.filter((t) => day30.get(t.ip)?.expect.https?.cve['CVE-2019-19781'] === 'patched');
    expect(patched.length / vuln.length).toBeGreaterThan(0.2);
    await lab.setStep(1);
  });

  it('running hosts change behaviour with the step', async () => {
    await lab.setStep(0);
    const day0 = lab.truth();
    await lab.setStep(1);
    const day1 = new Map(lab.truth().map((t) => [t.ip, t]));
    const t = day0.find(
      (x) => isVuln(x) && day1.get(x.ip)?.mitigation === 'responder' && !x.traits.includes('http10') && !x.traits.includes('chunked'),
    );
    if (!t) throw new Error('no host mitigated on day 1');
    const p1 = await exchange({
      ip: t.ip,
      port: lab.httpPort,
      send: 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1\r\nHost: x\r\n\r\n',
      waitMs: 2000,
    });
    expect(p1.data.toString('latin1')).toBe('HTTP/1.1 403 Forbidden\r\n\r\n');
    await lab.setStep(0);
    const p0 = await exchange({
      ip: t.ip,
      port: lab.httpPort,
      send: 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      waitMs: 2000,
    });
    expect(p0.data.toString('latin1')).toContain('200 OK');
  });
});
