/**
 * Store write benchmark: inserts synthetic ScanRecords (about 1.7 KB of JSON each) into a fresh
 * SQLite store and prints records/s and peak RSS, then times the read queries on the result.
 * Record generation is excluded from the write timing.
 *
 *   npx tsx bench/store-write.ts [--records 200000] [--batch 1000] [--paths auto|builder|both] [--diff]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/index.js';
import { syntheticBatch } from '../test/store/synthetic.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '1000' },
    paths: { type: 'string', default: 'both' },
    diff: { type: 'boolean', default: false },
  },
});
const N = Math.min(Number(values.records), 5_000_000);
const B = Math.max(1, Math.min(Number(values.batch), 100_000));
const which = values.paths === 'both' ? (['auto', 'builder'] as const) : [values.paths as 'auto' | 'builder'];

const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const ms = (t: number) => `${t.toFixed(0)} ms`;

async function time<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

for (const paths of which) {
  const dir = mkdtempSync(join(tmpdir(), 'ew-bench-store-'));
  const file = join(dir, 'bench.db');
  try {
    const store = await openStore({ dialect: 'sqlite', file }, { paths });
    const scan = await store.createScan({ label: 'bench', settings: {} });
    let writeMs = 0;
    let bytes = 0;
    for (let i = 0; i < N; i += B) {
      const batch = syntheticBatch(i, Math.min(B, N - i));
      if (i === 0) bytes = JSON.stringify(batch[0]).length;
      const t = performance.now();
      await store.insertRecords(scan.id, batch);
      writeMs += performance.now() - t;
    }
    const rate = Math.round((N / writeMs) * 1000);
    console.log(`[${paths}] wrote ${N} records (~${bytes} B JSON each, batches of ${B}) in ${ms(writeMs)}: ${rate} records/s`);

    const [seqs, tSeqs] = await time(() => store.doneSeqs(scan.id));
    const [rep, tRep] = await time(() => store.report(scan.id));
    let n = 0;
    const [, tIter] = await time(async () => {
      for await (const _ of store.iterateRecords(scan.id)) n++;
    });
    console.log(
      `[${paths}] doneSeqs ${seqs.size} in ${ms(tSeqs)}; report in ${ms(tRep)} (${rep.byStatus.length} statuses); iterate ${n} in ${ms(tIter)} (${Math.round((n / tIter) * 1000)}/s)`,
    );
    if (values.diff) {
      const scan2 = await store.createScan({ label: 'bench 2', settings: {} });
      for (let i = 0; i < N; i += B) await store.insertRecords(scan2.id, syntheticBatch(i, Math.min(B, N - i), { salt: 1 }));
      const [rows, tDiff] = await time(() => store.diff(scan.id, scan2.id));
      console.log(`[${paths}] diff ${rows.length} rows in ${ms(tDiff)}`);
    }
    await store.close();
    console.log(`[${paths}] db file ${mb(statSync(file).size / 1024)}; peak RSS so far ${mb(process.resourceUsage().maxRSS)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
