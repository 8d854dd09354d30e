/**
 * Bulk writer on the Kysely builder (any dialect; the only path for asynchronous drivers such as
 * pg). One transaction per batch; multi-row inserts in chunks that respect the dialect's bind
 * parameter limit; `INSERT … RETURNING` tells which observations were new when the dialect has it.
 */
import type { Kysely, Transaction } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { Database, FindingsTable, ObservationsTable } from './schema.js';
import type { StoreCapabilities } from './types.js';
import { hostKey, type RecordRow } from './write-rows.js';

/** Rows per statement never exceed this, whatever the parameter limit (compile cost grows with it). */
const MAX_ROWS_PER_STATEMENT = 500;

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

function rowsPerStatement(caps: StoreCapabilities, columns: number): number {
  return Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(caps.maxBindParams / columns)));
}

async function hostIds(trx: Transaction<Database>, caps: StoreCapabilities, rows: RecordRow[]): Promise<Map<string, number>> {
  const wanted = new Map<string, { ip: string; port: number; host: string }>();
  for (const r of rows) wanted.set(hostKey(r.ip, r.port, r.host), { ip: r.ip, port: r.port, host: r.host });
  const list = [...wanted.values()];
  for (const part of chunks(list, rowsPerStatement(caps, 3))) {
    await trx
      .insertInto('hosts')
      .values(part)
      .onConflict((oc) => oc.columns(['ip', 'port', 'host']).doNothing())
      .execute();
  }
  const ids = new Map<string, number>();
  const ips = [...new Set(list.map((h) => h.ip))];
  for (const part of chunks(ips, rowsPerStatement(caps, 1))) {
    const found = await trx.selectFrom('hosts').select(['id', 'ip', 'port', 'host']).where('ip', 'in', part).execute();
    for (const h of found) {
      const key = hostKey(h.ip, Number(h.port), h.host);
      if (wanted.has(key)) ids.set(key, Number(h.id));
    }
  }
  return ids;
}

function observationRow(scanId: string, r: RecordRow, hostId: number): ObservationsTable {
  return {
    scan_id: scanId,
    seq: r.seq,
    host_id: hostId,
    status: r.status,
    reason: r.reason,
    product: r.product,
    product_confidence: r.product_confidence,
    version: r.version,
    version_source: r.version_source,
    compromised: r.compromised,
    scanned_at: r.scanned_at,
    record: r.record,
  };
}

/** Store `rows` for `scanId` in one transaction; returns how many were new. */
export async function writeWithBuilder(db: Kysely<Database>, caps: StoreCapabilities, scanId: string, rows: RecordRow[]): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const scan = await trx.selectFrom('scans').select('id').where('id', '=', scanId).executeTakeFirst();
    if (scan === undefined) throw new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', `no scan with id ${scanId}`);
    if (rows.length === 0) return 0;
    const ids = await hostIds(trx, caps, rows);
    const fresh: RecordRow[] = [];
    const hostOf = new Map<number, number>();
    for (const part of chunks(rows, rowsPerStatement(caps, 12))) {
      let candidates = part;
      if (!caps.returning) {
        const existing = await trx
          .selectFrom('observations')
          .select('seq')
          .where('scan_id', '=', scanId)
          .where(
            'seq',
            'in',
            part.map((r) => r.seq),
          )
          .execute();
        const taken = new Set(existing.map((e) => Number(e.seq)));
        candidates = part.filter((r) => !taken.has(r.seq));
        if (candidates.length === 0) continue;
      }
      const values = candidates.map((r) => {
        const hostId = ids.get(hostKey(r.ip, r.port, r.host));
        if (hostId === undefined) throw new Error(`host id missing for ${r.ip}:${r.port}`);
        hostOf.set(r.seq, hostId);
        return observationRow(scanId, r, hostId);
      });
      const insert = trx
        .insertInto('observations')
        .values(values)
        .onConflict((oc) => oc.columns(['scan_id', 'seq']).doNothing());
      if (caps.returning) {
        const inserted = await insert.returning('seq').execute();
        const newSeqs = new Set(inserted.map((x) => Number(x.seq)));
        for (const r of candidates) if (newSeqs.has(r.seq)) fresh.push(r);
      } else {
        await insert.execute();
        fresh.push(...candidates);
      }
    }
    const findings: FindingsTable[] = [];
    for (const r of fresh) {
      const hostId = hostOf.get(r.seq) as number;
      for (let i = 0; i < r.cves.length; i++) {
        findings.push({ scan_id: scanId, seq: r.seq, host_id: hostId, cve: r.cves[i], state: r.states[i] });
      }
    }
    for (const part of chunks(findings, rowsPerStatement(caps, 5))) {
      await trx
        .insertInto('findings')
        .values(part)
        .onConflict((oc) => oc.columns(['scan_id', 'seq', 'cve']).doNothing())
        .execute();
    }
    await trx
      .updateTable('scans')
      .set((eb) => ({ done: eb('done', '+', fresh.length) }))
      .where('id', '=', scanId)
      .execute();
    return fresh.length;
  });
}
