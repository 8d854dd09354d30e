/**
 * Reading a scan's observations back: the set of stored seqs (resume) and the records themselves in
 * seq order, by keyset pagination (bounded memory, never OFFSET).
 */
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { ScanRecord } from '../scan/record.js';
import { type Compiled, prepareCompiled, sentinel as s } from './compiled.js';
import type { SyncHandle } from './dialect.js';
import { readJson } from './json.js';
import type { Database } from './schema.js';
import { SeqBitset } from './seq-set.js';

/** Rows per page when reading records (about 1–2 KB each). */
export const RECORD_PAGE = 5_000;
/** Seqs per page on the builder path. */
const SEQ_PAGE = 50_000;

/** Seq scan prepared once for synchronous drivers. */
export function prepareSeqScan(db: Kysely<Database>, sync: SyncHandle): Compiled {
  const c = prepareCompiled(sync, db.selectFrom('observations').select('seq').where('scan_id', '=', s(0)).orderBy('seq'), [s(0)]);
  c.stmt.pluck(true);
  return c;
}

/** All seqs of a scan, read synchronously in one statement (call while holding the connection). */
export function doneSeqsSync(seqScan: Compiled, scanId: string): SeqBitset {
  const set = new SeqBitset();
  for (const seq of seqScan.stmt.all(scanId)) set.add(Number(seq));
  return set;
}

/** All seqs of a scan, paged through the builder (any dialect). */
export async function doneSeqsPaged(db: Kysely<Database>, scanId: string): Promise<SeqBitset> {
  const set = new SeqBitset();
  let after = -1;
  for (;;) {
    const page = await db
      .selectFrom('observations')
      .select('seq')
      .where('scan_id', '=', scanId)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(SEQ_PAGE)
      .execute();
    for (const r of page) set.add(Number(r.seq));
    if (page.length < SEQ_PAGE) return set;
    after = Number(page[page.length - 1].seq);
  }
}

/** Records of a scan in seq order; `scan_id` and `seq` come from the row. */
export async function* iterateRecords(
  db: Kysely<Database>,
  scanId: string,
  pageSize: number = RECORD_PAGE,
): AsyncGenerator<ScanRecord, void, undefined> {
  let after = -1;
  for (;;) {
    const page = await db
      .selectFrom('observations')
      .select(['seq', 'record'])
      .where('scan_id', '=', scanId)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const row of page) {
      const seq = Number(row.seq);
      const rec = readJson<ScanRecord>(row.record, `record ${scanId}#${seq}`);
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) {
        throw new EdgewatchError('EW_STORE_CORRUPT', `record ${scanId}#${seq} is not a JSON object`);
      }
      rec.scan_id = scanId;
      rec.seq = seq;
      yield rec;
    }
    if (page.length < pageSize) return;
    after = Number(page[page.length - 1].seq);
  }
}
