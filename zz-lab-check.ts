import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab } from '/work/main/src/lab/index.ts';
const run = promisify(execFile);
const RANGE = '127.21.0.0/22';
const lab = await startLab({ range: RANGE, seed: 7, httpsPort: 0, httpPort: null, listen: 'auto' });
const dir = mkdtempSync(join(tmpdir(), 'ew-zz-'));
try {
  const out = join(dir, 'out.jsonl');
  const t0 = Date.now();
  try {
    await run('node', ['bin/edgewatch.js', 'scan', RANGE, '--lab', '--scope', RANGE, '-p', String(lab.httpsPort), '--db', join(dir, 'db.sqlite'), '-o', out, '--timeout', '2', '--total-timeout', '6', '-c', '200', '--silent', ...(process.env.PACK ? ['--checks', process.env.PACK] : [])], { timeout: 180_000 });
  } catch (e) { console.log('scan exit', (e as any).code); }
  console.log('scan s', (Date.now() - t0) / 1000);
  const recs = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const byIp = new Map(recs.map((r: any) => [r.ip, r]));
  const tally = new Map<string, number>();
  const bad: string[] = [];
  for (const t of lab.truth() as any[]) {
    const e = t.expect.https; if (!e) continue;
    const r: any = byIp.get(t.ip); if (!r) continue;
    const k = `want ${e.compromised} got ${r.compromised}`;
    tally.set(k, (tally.get(k) ?? 0) + 1);
    if (e.compromised !== r.compromised && bad.length < 10) bad.push(`${t.ip} ${t.persona} ${JSON.stringify(t.compromise)} want ${e.compromised} got ${r.compromised} ${r.status} ${r.reason} ${JSON.stringify(r.compromise_why)} ${JSON.stringify(r.indicators)}`);
  }
  console.log([...tally].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
  console.log(bad.join('\n'));
  const ex = recs.find((r: any) => r.compromised === 'true');
  if (ex) console.log(JSON.stringify({ cve: ex.cve, compromised: ex.compromised, indicators: ex.indicators, compromise_why: ex.compromise_why }, null, 1));
  const rep = await run('node', ['bin/edgewatch.js', 'results', 'report', '--db', join(dir, 'db.sqlite')], { timeout: 60_000 }).catch((e) => e);
  console.log(String(rep.stdout ?? '').split('Compromise')[1] ?? rep.stderr);
} finally {
  await lab.close();
  rmSync(dir, { recursive: true, force: true });
}
