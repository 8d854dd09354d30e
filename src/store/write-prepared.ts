/**
 * Bulk writer for synchronous drivers (capabilities.syncStatements): statements are compiled by
 * Kysely once, prepared once, and run per row inside one driver transaction per batch. Must be
 * called while holding the Kysely connection (see store.ts), so no other query interleaves.
 */
import type { Kysely } from 'kysely';
import { EdgewatchError } from '../errors.js';
import { type Compiled, prepareCompiled, sentinel as s } from './compiled.js';
import type { SyncHandle } from './dialect.js';
import type { Database } from './schema.js';
import { hostKey, type RecordRow } from './write-rows.js';

export class PreparedWriter {
  #scanId = '';
  #rows: RecordRow[] = [];
  readonly #scanExists: Compiled;
  readonly #selHost: Compiled;
  readonly #insHost: Compiled;
  readonly #insObs: Compiled;
  readonly #insFinding: Compiled;
  readonly #addDone: Compiled;
  readonly #tx: (scanId: string, rows: RecordRow[]) => number;

  constructor(db: Kysely<Database>, sync: SyncHandle) {
    this.#scanExists = prepareCompiled(sync, db.selectFrom('scans').select('id').where('id', '=', s(0)), [s(0)]);
    this.#selHost = prepareCompiled(
      sync,
      db
        .selectFrom('hosts')
        .select('id')
        .where('ip', '=', s(0))
        .where('port', '=', s(1) as unknown as number)
        .where('host', '=', s(2)),
      [s(0), s(1), s(2)],
    );
    this.#insHost = prepareCompiled(sync, db.insertInto('hosts').values({ ip: s(0), port: s(1) as unknown as number, host: s(2) }), [
      s(0),
      s(1),
      s(2),
    ]);
    const obsCols = [
      'scan_id',
      'seq',
      'host_id',
      'status',
      'reason',
      'product',
      'product_confidence',
      'version',
      'version_source',
      'compromised',
      'scanned_at',
      'record',
    ] as const;
    const obsValues = Object.fromEntries(obsCols.map((c, i) => [c, s(i)])) as unknown as Database['observations'];
    this.#insObs = prepareCompiled(
      sync,
      db
        .insertInto('observations')
        .values(obsValues)
        .onConflict((oc) => oc.columns(['scan_id', 'seq']).doNothing()),
      obsCols.map((_, i) => s(i)),
    );
    this.#insFinding = prepareCompiled(
      sync,
      db
        .insertInto('findings')
        .values({ scan_id: s(0), seq: s(1) as unknown as number, host_id: s(2) as unknown as number, cve: s(3), state: s(4) })
        .onConflict((oc) => oc.columns(['scan_id', 'seq', 'cve']).doNothing()),
      [s(0), s(1), s(2), s(3), s(4)],
    );
    this.#addDone = prepareCompiled(
      sync,
      db
        .updateTable('scans')
        .set((eb) => ({ done: eb('done', '+', s(0) as unknown as number) }))
        .where('id', '=', s(1)),
      [s(0), s(1)],
    );
    const tx = sync.transaction(() => this.#writeRows(this.#scanId, this.#rows));
    // The references are guaranteed by #writeRows itself, inside the one write transaction: the
    // scan is checked under the write lock, host ids come from that transaction's lookups/inserts,
    // findings are written only for observations just inserted. Skipping the per-row foreign-key
    // lookups saves about 12 % CPU per observation.
    const noFk = sync.withoutForeignKeyChecks?.bind(sync);
    const run = noFk ? () => noFk(tx) : tx;
    this.#tx = (scanId, rows) => {
      this.#scanId = scanId;
      this.#rows = rows;
      let added: number;
      try {
        added = run();
      } finally {
        this.#rows = [];
      }
      if (sync.afterWrite !== undefined) {
        let bytes = 0;
        for (let i = 0; i < rows.length; i++) bytes += rows[i].record.length;
        sync.afterWrite(bytes);
      }
      return added;
    };
  }

  /** Store `rows` for `scanId` in one transaction; returns how many were new. */
  write(scanId: string, rows: RecordRow[]): number {
    return this.#tx(scanId, rows);
  }

  #writeRows(scanId: string, rows: RecordRow[]): number {
    if (this.#scanExists.stmt.get(scanId) === undefined) {
      throw new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', `no scan with id ${scanId}`);
    }
    const selHost = this.#selHost.stmt.pluck(true);
    const insHost = this.#insHost.stmt;
    const insObs = this.#insObs.stmt;
    const insFinding = this.#insFinding.stmt;
    const hostIds = new Map<string, number>();
    let added = 0;
    for (const r of rows) {
      const key = hostKey(r.ip, r.port, r.host);
      let hostId = hostIds.get(key);
      if (hostId === undefined) {
        const found = selHost.get(r.ip, r.port, r.host);
        hostId = typeof found === 'number' ? found : Number(insHost.run(r.ip, r.port, r.host).lastInsertRowid);
        hostIds.set(key, hostId);
      }
      const res = insObs.run(
        scanId,
        r.seq,
        hostId,
        r.status,
        r.reason,
        r.product,
        r.product_confidence,
        r.version,
        r.version_source,
        r.compromised,
        r.scanned_at,
        r.record,
      );
      if (res.changes === 0) continue;
      added++;
      for (let i = 0; i < r.cves.length; i++) insFinding.run(scanId, r.seq, hostId, r.cves[i], r.states[i]);
    }
    this.#addDone.stmt.run(added, scanId);
    return added;
  }
}
