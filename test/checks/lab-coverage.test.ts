/**
 * Every shipped check file has lab personas for each of its outcomes, and the engine agrees with
 * the lab's truth on them. The test enumerates checks/*.yaml; a check (or an outcome its rules can
 * produce) without an entry in the lab's persona catalogue (src/lab/catalogue.ts) fails here. Then
 * a lab of exactly those personas is scanned over plain HTTP on loopback with the real session and
 * engine: per check, every host's outcome must equal the truth, and every catalogued outcome must
 * actually occur on a host of the personas that claim it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CompiledCheck, createEngine, loadChecks } from '../../src/checks/index.js';
import { programOf } from '../../src/checks/program.js';
import { CHECK_PERSONAS, COMPROMISE_KIND_OF_CHECK, type Lab, startLab, type TruthRecord } from '../../src/lab/index.js';
import { createHostSession } from '../../src/net/session.js';
import { DEFAULT_PROBE_OPTIONS } from '../../src/net/types.js';

process.env.EDGEWATCH_SCOPE = '127.0.0.0/8';
const RANGE = '127.31.0.0/23';

/** Outcomes a check can produce, read from the check itself. */
function outcomesOf(c: CompiledCheck): string[] {
  const p = programOf(c);
  if (p.fingerprint) return ['identified', 'not_identified'];
  if (p.cve) return [...new Set([...p.cve.decide.map((d) => d.state), 'not_applicable'])];
  if (p.compromise) return [...new Set(p.compromise.decide.map((d) => d.state))];
  return [];
}

let checks: CompiledCheck[];
let lab: Lab;
const outcomes = new Map<string, Map<string, string>>(); // check → ip → engine outcome
const truthByIp = new Map<string, TruthRecord>();

function expectedOf(c: CompiledCheck, t: TruthRecord): string | null {
  const e = t.expect.http;
  if (!e || e.status !== 'ok') return null;
  const p = programOf(c);
  if (p.fingerprint) return e.product === c.info.product ? 'identified' : 'not_identified';
  if (p.cve) return e.cve[(c.info.cves ?? [])[0] as string] ?? null;
  if (p.compromise) {
    if (e.product !== p.compromise.requiresProduct) return null; // not run on other products
    if (e.compromised === 'unknown') return 'unknown';
    return t.compromise.visible_from_outside && t.compromise.kind === COMPROMISE_KIND_OF_CHECK[c.id] ? 'true' : 'false';
  }
  return null;
}

beforeAll(async () => {
  checks = await loadChecks();
  const personas = new Set(Object.values(CHECK_PERSONAS).flatMap((o) => Object.values(o).flat()));
  // Boundary-build personas walk a list of ~45 builds: give them enough hosts to cover it.
  const mix = Object.fromEntries([...personas].map((p) => [p, p === 'citrix-later-build' || p === 'citrix-adc-mgmt' ? 6 : 1]));
  lab = await startLab({ range: RANGE, seed: 3, httpsPort: null, httpPort: 0, mix });
  for (const t of lab.truth()) truthByIp.set(t.ip, t);
  const fingerprints = checks.filter((c) => c.kind === 'fingerprint');
  const full = createEngine(checks);
  const single = new Map(checks.filter((c) => c.kind === 'compromise').map((c) => [c.id, createEngine([...fingerprints, c])]));
  const opts = { ...DEFAULT_PROBE_OPTIONS, tls: false, totalTimeoutMs: 8000 };
  const hosts = lab.truth().filter((t) => t.expect.http?.status === 'ok');
  const queue = [...hosts];
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const run = async (engine: ReturnType<typeof createEngine>) => {
        const s = createHostSession({ ip: t.ip, port: lab.httpPort as number }, opts);
        try {
          return await engine.runHost(s);
        } finally {
          s.close();
        }
      };
      const v = await run(full);
      for (const c of checks) {
        const m = outcomes.get(c.id) ?? new Map<string, string>();
        outcomes.set(c.id, m);
        if (c.kind === 'fingerprint') m.set(t.ip, v.product === c.info.product ? 'identified' : 'not_identified');
        else if (c.kind === 'cve') m.set(t.ip, v.cve[(c.info.cves ?? [])[0] as string] ?? 'missing');
      }
      if (v.product === 'citrix-adc') {
        for (const [id, engine] of single) outcomes.get(id)?.set(t.ip, (await run(engine)).compromised);
      }
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}, 120_000);

afterAll(async () => {
  await lab?.close();
});

describe('every check file has lab personas for each of its outcomes', () => {
  it('the catalogue names personas for every outcome of every shipped check', () => {
    const missing: string[] = [];
    for (const c of checks) {
      const entry = CHECK_PERSONAS[c.id];
      if (!entry) {
        missing.push(`${c.file}: no lab personas at all (add it to src/lab/catalogue.ts)`);
        continue;
      }
      for (const o of outcomesOf(c)) if (!(entry[o]?.length)) missing.push(`${c.file}: no lab persona for outcome '${o}'`);
    }
    expect(missing).toEqual([]);
    expect(checks.length).toBeGreaterThanOrEqual(17);
  });

  it('each catalogued outcome occurs on a host of its personas, and the engine says so', () => {
    const problems: string[] = [];
    for (const c of checks) {
      const got = outcomes.get(c.id) ?? new Map<string, string>();
      for (const [outcome, personas] of Object.entries(CHECK_PERSONAS[c.id] ?? {})) {
        const hosts = [...truthByIp.values()].filter((t) => personas.includes(t.persona) && expectedOf(c, t) === outcome);
        if (hosts.length === 0) problems.push(`${c.id}: no host of ${personas.join('/')} has truth '${outcome}'`);
        for (const t of hosts) if (got.get(t.ip) !== outcome) problems.push(`${c.id} ${t.ip} (${t.persona}, ${t.build ?? '-'}): truth ${outcome}, engine ${got.get(t.ip)}`);
      }
    }
    expect(problems.slice(0, 30), `${problems.length} problems`).toEqual([]);
  });

  it('on every host of the lab, every check agrees with the truth', () => {
    const problems: string[] = [];
    for (const c of checks) {
      const got = outcomes.get(c.id) ?? new Map<string, string>();
      for (const t of truthByIp.values()) {
        const want = expectedOf(c, t);
        if (want === null) continue;
        if (got.get(t.ip) !== want) problems.push(`${c.id} ${t.ip} (${t.persona}, ${t.build ?? t.expect.http?.version ?? '-'}): truth ${want}, engine ${got.get(t.ip)}`);
      }
    }
    expect(problems.slice(0, 30), `${problems.length} problems`).toEqual([]);
  });
});
