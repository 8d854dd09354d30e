/**
 * Compromised personas from outside (ISSUE3 X1–X3 on the wire) and in the truth: every visible
 * implant kind is placed, clean Citrix 404s carry Content-Length, the v2 implant's 404 does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLabRange } from '../../src/lab/addr.js';
import { loadFirmware } from '../../src/lab/firmware.js';
import { type Lab, startLab, type TruthRecord } from '../../src/lab/index.js';
import { DEFAULT_MIX } from '../../src/lab/personas.js';
import { buildPopulation } from '../../src/lab/population.js';
import { truthAll } from '../../src/lab/truth.js';
import { exchange } from './client.js';

const fw = loadFirmware();
const ctx = { mode: 'per-address' as const, https: true, http: true };
const VISIBLE = ['webshell-2020', 'webshell-2023-v1', 'webshell-2023-v2'];
const X1 = ['/vpn/themes/imgs/tiny.php', '/vpn/themes/imgs/debug.php', '/vpn/themes/imgs/conn.php'];
const X2 = [
  '/logon/LogonPoint/uiareas/config.php',
  '/logon/LogonPoint/uiareas/info.php',
  '/logon/LogonPoint/uiareas/log.php',
  '/logon/LogonPoint/uiareas/prod.php',
];
const X3 = ['/epa/scripts/win/config.php', '/epa/scripts/win/info.php', '/epa/scripts/win/prod.php'];

function webPathOf(t: TruthRecord): string {
  const p = t.compromise.paths.find((x) => x.endsWith('.php') && !x.includes('/templates/')) as string;
  const name = p.slice(p.lastIndexOf('/') + 1);
  if (t.compromise.kind === 'webshell-2020') return `/vpn/themes/imgs/${name}`;
  if (t.compromise.kind === 'webshell-2023-v1') return `/logon/LogonPoint/uiareas/${name}`;
  return `/epa/scripts/win/${name}`;
}

interface Parsed {
  status: number;
  headers: Map<string, string>;
  body: string;
  closed: boolean;
}

async function get(ip: string, port: number, path: string): Promise<Parsed> {
  const x = await exchange({ ip, port, send: `GET ${path} HTTP/1.1\r\nHost: ${ip}\r\nConnection: close\r\n\r\n`, waitMs: 3000 });
  const text = x.data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = text.slice(0, end).split('\r\n');
  const headers = new Map<string, string>();
  for (const l of head.slice(1)) headers.set(l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim());
  return { status: Number(head[0]?.split(' ')[1]), headers, body: text.slice(end + 4), closed: x.closed };
}

describe('compromise in the population and the truth', () => {
  it('places every outside-visible kind in 256-address populations and in the 4,096 e2e population', () => {
    const pops: Array<[string, number]> = [
      ['127.1.0.0/24', 1],
      ['127.1.0.0/24', 2],
      ['127.1.0.0/24', 3],
      ['127.20.0.0/20', 7],
    ];
    for (const [r, seed] of pops) {
      const truth = truthAll(buildPopulation(parseLabRange(r), seed, { ...DEFAULT_MIX }, fw), 0, ctx);
      for (const k of VISIBLE) {
        expect(
          truth.some((t) => t.compromise.kind === k && t.compromise.visible_from_outside && t.expect.https?.compromised === 'true'),
          `${r} seed ${seed}: ${k}`,
        ).toBe(true);
      }
      // Patched-but-compromised exists (CVE-2019-19781 patched, backdoor visible).
      expect(truth.some((t) => t.expect.https?.cve['CVE-2019-19781'] === 'patched' && t.expect.https.compromised === 'true')).toBe(true);
    }
  });

  it('truth: compromised is true iff an implant is visible on a Citrix host; unknown off-product; invisible kinds are false', () => {
    const pop = buildPopulation(parseLabRange('127.20.0.0/20'), 7, { ...DEFAULT_MIX }, fw);
    for (const step of [0, 30]) {
      const kinds = new Set<string>();
      for (const t of truthAll(pop, step, ctx)) {
        for (const e of [t.expect.https, t.expect.http]) {
          if (!e) continue;
          if (e.status !== 'ok' || e.product !== 'citrix-adc' || t.persona === 'citrix-waf-php') expect(e.compromised, t.persona).toBe('unknown');
          else expect(e.compromised).toBe(t.compromise.visible_from_outside ? 'true' : 'false');
        }
        if (t.build === null) expect(t.compromise).toEqual({ kind: 'none', visible_from_outside: false, since_step: null, paths: [] });
        if (t.compromise.kind !== 'none') {
          kinds.add(t.compromise.kind);
          expect(t.compromise.since_step).not.toBeNull();
          expect(t.compromise.since_step as number).toBeLessThanOrEqual(step);
        }
        if (['template', 'notrobin', 'miner'].includes(t.compromise.kind)) expect(t.compromise.visible_from_outside).toBe(false);
      }
      expect([...kinds].sort()).toEqual(['miner', 'notrobin', 'template', 'webshell-2020', 'webshell-2023-v1', 'webshell-2023-v2']);
    }
  });

  it('about a third of day-0-vulnerable hosts are compromised, more later; patching never removes the implant', () => {
    const pop = buildPopulation(parseLabRange('127.20.0.0/20'), 7, { ...DEFAULT_MIX }, fw);
    const d0 = truthAll(pop, 0, ctx);
    const d30 = truthAll(pop, 30, ctx);
    const ordinary = d0.filter((t) => t.persona.startsWith('citrix-vulnerable-'));
    const share0 = ordinary.filter((t) => t.compromise.kind !== 'none').length / ordinary.length;
    expect(share0).toBeGreaterThan(0.28);
    expect(share0).toBeLessThan(0.42);
    const byIp30 = new Map(d30.map((t) => [t.ip, t]));
    const share30 = ordinary.filter((t) => byIp30.get(t.ip)?.compromise.kind !== 'none').length / ordinary.length;
    expect(share30).toBeGreaterThan(share0);
    for (const t of d0) if (t.compromise.kind !== 'none') expect(byIp30.get(t.ip)?.compromise.kind).toBe(t.compromise.kind);
    // Patched-but-compromised: a realistic share of all compromised hosts later (Fox-IT: 23 %).
    const comp30 = d30.filter((t) => t.compromise.kind !== 'none');
    const patched = comp30.filter((t) => t.expect.https?.cve['CVE-2019-19781'] === 'patched').length / comp30.length;
    expect(patched).toBeGreaterThan(0.15);
    expect(patched).toBeLessThan(0.45);
  });
});

describe('compromised personas on the wire', () => {
  let lab: Lab;
  let truth: TruthRecord[];
  beforeAll(async () => {
    lab = await startLab({ size: 256, seed: 1, httpsPort: null, httpPort: 0 });
    truth = lab.truth();
  });
  afterAll(async () => {
    await lab?.close();
  });
  const plain = (t: TruthRecord) => !t.traits.includes('http10') && !t.traits.includes('chunked');
  const find = (kind: string) => {
    const t = truth.find((x) => x.compromise.kind === kind && x.compromise.visible_from_outside && plain(x));
    if (!t) throw new Error(`no visible ${kind}`);
    return t;
  };

  it('X1: the 2020 webshell answers 200; the other X1 names answer the appliance 404 with Content-Length', async () => {
    const t = find('webshell-2020');
    const path = webPathOf(t);
    expect((await get(t.ip, lab.httpPort, path)).status).toBe(200);
    for (const other of X1.filter((p) => p !== path && !t.compromise.paths.includes(`/var${p}`))) {
      const r = await get(t.ip, lab.httpPort, other);
      expect(r.status).toBe(404);
      expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(r.body, 'latin1'));
    }
  });

  it('X2: the 2023 v1 webshell answers 201', async () => {
    const t = find('webshell-2023-v1');
    const r = await get(t.ip, lab.httpPort, webPathOf(t));
    expect(r.status).toBe(201);
  });

  it('X3: the 2023 v2 webshell answers an empty 404 without Content-Length, close-delimited', async () => {
    const t = find('webshell-2023-v2');
    const r = await get(t.ip, lab.httpPort, webPathOf(t));
    expect(r.status).toBe(404);
    expect(r.headers.has('content-length')).toBe(false);
    expect(r.headers.has('transfer-encoding')).toBe(false);
    expect(r.body).toBe('');
    expect(r.closed).toBe(true);
    // Same host, a non-implanted X3 name: the appliance's own 404 with Content-Length.
    const other = X3.find((p) => p !== webPathOf(t)) as string;
    const o = await get(t.ip, lab.httpPort, other);
    expect(o.status).toBe(404);
    expect(o.headers.has('content-length')).toBe(true);
    expect(o.body.length).toBeGreaterThan(0);
  });

  it('a clean Citrix host answers every indicator path with the appliance 404 (headers, Content-Length)', async () => {
    const t = truth.find((x) => x.persona === 'citrix-vulnerable-13.0' && x.compromise.kind === 'none' && plain(x)) as TruthRecord;
    expect(t.expect.http?.compromised).toBe('false');
    for (const p of [...X1, ...X2, ...X3]) {
      const r = await get(t.ip, lab.httpPort, p);
      expect(r.status, p).toBe(404);
      expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(r.body, 'latin1'));
      expect(r.body).toContain('Not Found');
    }
  });

  it('an invisible implant (template / NOTROBIN / miner) looks clean from outside', async () => {
    const t = truth.find((x) => ['template', 'notrobin', 'miner'].includes(x.compromise.kind) && plain(x)) as TruthRecord;
    expect(t.expect.http?.compromised).toBe('false');
    for (const p of [...X1, ...X2, ...X3]) expect((await get(t.ip, lab.httpPort, p)).status).toBe(404);
  });
});
