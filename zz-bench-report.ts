import Database from 'better-sqlite3';
import { openStore } from '/work/main/src/store/index.ts';
import { syntheticRecord } from '/work/main/test/store/synthetic.ts';
const file = process.argv[2];
const N = Number(process.argv[3] ?? 1_000_000);
const fresh = process.argv[4] === 'fill';
const store = await openStore({ dialect: 'sqlite', file });
let scanId: string;
if (fresh) {
  const scan = await store.createScan({ settings: {} });
  scanId = scan.id;
  const t0 = Date.now();
  for (let from = 0; from < N; from += 10_000) {
    const batch = [];
    for (let i = from; i < Math.min(N, from + 10_000); i++) {
      const r = syntheticRecord(i);
      if (r.product) r.compromised = i % 50 === 0 ? 'true' : i % 7 === 0 ? 'unknown' : 'false';
      batch.push(r);
    }
    await store.insertRecords(scanId, batch);
  }
  console.log('fill', N, (Date.now() - t0) / 1000, 's');
} else scanId = (await store.listScans())[0].id;
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const rep = await store.report(scanId);
  console.log('report ms', (performance.now() - t).toFixed(0), JSON.stringify(rep.compromise));
}
await store.close();
const db = new Database(file, { readonly: true });
for (const q of [
  `EXPLAIN QUERY PLAN SELECT compromised, count(*) FROM observations WHERE scan_id = ? AND product IS NOT NULL GROUP BY compromised`,
  `EXPLAIN QUERY PLAN SELECT f.cve, f.state, count(*) FROM observations o JOIN findings f ON f.scan_id = o.scan_id AND f.seq = o.seq WHERE o.scan_id = ? AND o.compromised = 'true' GROUP BY f.cve, f.state`,
]) console.log(db.prepare(q).all(scanId).map((r: any) => r.detail).join(' | '));
