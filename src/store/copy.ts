/**
 * `edgewatch db copy`: copies every table of a SQLite store into another store (typically
 * PostgreSQL), streaming in keyset pages (bounded memory), then verifies row counts.
 *
 * - Both stores are migrated to the latest schema first; tables are copied parents first (foreign
 *   keys), with the columns both sides have.
 * - Idempotent: rows go in with ON CONFLICT DO NOTHING, so a re-run (after an interruption, or
 *   after more scans were added to the file) adds only what is missing and never duplicates.
 *   Scans rows are the exception: their state, end time, total and label follow the source, and
 *   `done` is recounted from the target's observations.
 * - hosts.id is a surrogate key: hosts are matched by (ip, port, host) and every host_id column is
 *   translated page by page, so a target that already holds other hosts stays consistent.
 * - Verification: per table, the target holds at least the source's rows; for tables with a
 *   scan_id column, at least the source's rows for every scan. Fewer is EW_STORE_COPY_VERIFY.
 */
import { existsSync, statSync } from 'node:fs';
import { type Kysely, sql } from 'kysely';
import { EdgewatchError } from '../errors.js';
import type { StoreDialect, SyncHandle } from './dialect.js';
import { openDialect } from './dialect.js';
import { redactLocation } from './location.js';
import { openStore } from './store.js';
import type { Store, StoreConfig } from './types.js';
import { hostKey } from './write-rows.js';

/** Source rows read per page. */
export const COPY_PAGE = 2_000;

export interface CopyTableResult {
  table: string;
  source: number;
  target: number;
  /** Rows this run inserted (or updated, for scans). */
  copied: number;
}

export interface CopyResult {
  from: string;
  to: string;
  tables: CopyTableResult[];
  /** Tables/scans where the target holds fewer rows than the source (empty = verified). */
  problems: string[];
}

export interface CopyOptions {
  page?: number;
  onProgress?: (table: string, done: number, total: number) => void;
}

type Row = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the copier works on whatever tables the stores have
type AnyDb = Kysely<any>;

const qi = (name: string) => `"${name.replace(/"/g, '""')}"`;

function sourceTables(sync: SyncHandle): string[] {
  const names = sync
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'kysely\\_%' ESCAPE '\\'",
    )
    .pluck(true)
    .all() as string[];
  // Parents first: a table comes after every table its foreign keys point to.
  const deps = new Map<string, Set<string>>();
  for (const t of names) {
    const fks = sync.prepare(`SELECT "table" FROM pragma_foreign_key_list(?)`).pluck(true).all(t) as string[];
    deps.set(t, new Set(fks.filter((p) => p !== t && names.includes(p))));
  }
  const out: string[] = [];
  const visit = (t: string, path: Set<string>) => {
    if (out.includes(t) || path.has(t)) return;
    path.add(t);
    for (const p of [...(deps.get(t) ?? [])].sort()) visit(p, path);
    path.delete(t);
    out.push(t);
  };
  for (const t of [...names].sort()) visit(t, new Set());
  return out;
}

function sourceColumns(sync: SyncHandle, table: string): string[] {
  return sync.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').pluck(true).all(table) as string[];
}

async function targetColumns(db: AnyDb, table: string): Promise<string[] | null> {
  const meta = await db.introspection.getTables();
  const t = meta.find((x) => x.name === table);
  return t ? t.columns.map((c) => c.name) : null;
}

async function countRows(db: AnyDb, table: string): Promise<number> {
  const r = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirst();
  return Number((r as { n?: unknown } | undefined)?.n ?? 0);
}

async function countByScan(db: AnyDb, table: string): Promise<Map<string, number>> {
  const rows = (await db
    .selectFrom(table)
    .select(['scan_id', (eb) => eb.fn.countAll().as('n')])
    .groupBy('scan_id')
    .execute()) as Array<{ scan_id: string; n: unknown }>;
  return new Map(rows.map((r) => [r.scan_id, Number(r.n)]));
}

/** Target host ids for the source host ids of one page (hosts matched by ip, port, host). */
async function hostIdMap(src: SyncHandle, target: AnyDb, ids: number[]): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  if (ids.length === 0) return map;
  const keys = new Map<number, { ip: string; port: number; host: string }>();
  const sel = src.prepare(`SELECT id, ip, port, host FROM hosts WHERE id IN (SELECT value FROM json_each(?))`);
  for (const r of sel.all(JSON.stringify(ids)) as Array<{ id: number; ip: string; port: number; host: string }>) {
    keys.set(Number(r.id), { ip: r.ip, port: Number(r.port), host: r.host });
  }
  const byKey = new Map<string, number>();
  const ips = [...new Set([...keys.values()].map((k) => k.ip))];
  for (let i = 0; i < ips.length; i += 1_000) {
    const found = (await target
      .selectFrom('hosts')
      .select(['id', 'ip', 'port', 'host'])
      .where('ip', 'in', ips.slice(i, i + 1_000))
      .execute()) as Array<{ id: number; ip: string; port: number; host: string }>;
    for (const h of found) byKey.set(hostKey(h.ip, Number(h.port), h.host), Number(h.id));
  }
  for (const [id, k] of keys) {
    const t = byKey.get(hostKey(k.ip, k.port, k.host));
    if (t !== undefined) map.set(id, t);
  }
  return map;
}

async function insertRows(db: AnyDb, table: string, rows: Row[], cols: number, maxParams: number): Promise<number> {
  if (rows.length === 0) return 0;
  const per = Math.max(1, Math.min(1_000, Math.floor(maxParams / cols)));
  let n = 0;
  for (let i = 0; i < rows.length; i += per) {
    const part = rows.slice(i, i + per);
    let q = db.insertInto(table).values(part);
    if (table === 'scans') {
      q = q.onConflict((oc) =>
        oc.column('id').doUpdateSet({
          label: sql`excluded.label`,
          state: sql`excluded.state`,
          finished_at: sql`excluded.finished_at`,
          total: sql`excluded.total`,
        }),
      );
    } else if (table === 'hosts') {
      q = q.onConflict((oc) => oc.columns(['ip', 'port', 'host']).doNothing());
    } else {
      q = q.onConflict((oc) => oc.doNothing());
    }
    const res = await q.executeTakeFirst();
    n += Number(res.numInsertedOrUpdatedRows ?? 0);
  }
  return n;
}

/** Copy `from` (a SQLite store file) into `to`. Throws EW_STORE_COPY when it cannot start. */
export async function copyStore(from: StoreConfig, to: StoreConfig, opts: CopyOptions = {}): Promise<CopyResult> {
  if (from.dialect !== 'sqlite') throw new EdgewatchError('EW_STORE_COPY', '--from must be a SQLite store file');
  if (from.file !== ':memory:' && (!existsSync(from.file) || !statSync(from.file).isFile())) {
    throw new EdgewatchError('EW_STORE_COPY', 'the source store file does not exist', { file: from.file });
  }
  if (to.dialect === 'sqlite' && to.file === from.file) throw new EdgewatchError('EW_STORE_COPY', 'source and target are the same store');
  const page = Math.max(1, Math.min(opts.page ?? COPY_PAGE, 50_000));

  // Bring the source to the latest schema (as any edgewatch command would), then read it raw.
  await (await openStore(from)).close();
  const srcDialect: StoreDialect = openDialect(from);
  const src = srcDialect.sync as SyncHandle;
  let target: Store | undefined;
  try {
    target = await openStore(to);
    const tdb = target.db as unknown as AnyDb;
    const result: CopyResult = {
      from: srcDialect.location,
      to: to.dialect === 'sqlite' ? to.file : redactLocation(to.url),
      tables: [],
      problems: [],
    };
    for (const table of sourceTables(src)) {
      const tcols = await targetColumns(tdb, table);
      if (tcols === null) {
        result.problems.push(`${table}: not in the target (a table edgewatch does not know); not copied`);
        continue;
      }
      const scols = sourceColumns(src, table);
      let cols = scols.filter((c) => tcols.includes(c));
      if (table === 'hosts') cols = cols.filter((c) => c !== 'id');
      const total = Number(src.prepare(`SELECT count(*) FROM ${qi(table)}`).pluck(true).get());
      const pageStmt = src.prepare(
        `SELECT rowid AS "__rowid", ${cols.map(qi).join(', ')} FROM ${qi(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      );
      const remap = cols.includes('host_id');
      let after = -1;
      let done = 0;
      let copied = 0;
      for (;;) {
        const rows = pageStmt.all(after, page) as Row[];
        if (rows.length === 0) break;
        after = Number(rows[rows.length - 1].__rowid);
        const map = remap ? await hostIdMap(src, tdb, [...new Set(rows.map((r) => Number(r.host_id)))]) : undefined;
        const out: Row[] = new Array(rows.length);
        for (let i = 0; i < rows.length; i++) {
          const { __rowid: _, ...r } = rows[i];
          if (map !== undefined) {
            const id = map.get(Number(r.host_id));
            if (id === undefined) {
              throw new EdgewatchError('EW_STORE_COPY', `${table}: host ${String(r.host_id)} has no row in the target hosts table`);
            }
            r.host_id = id;
          }
          out[i] = r;
        }
        const added = await insertRows(tdb, table, out, cols.length, target.capabilities.maxBindParams);
        // Integer surrogate ids other than hosts (users, audit_log…) are copied as they are: a row
        // skipped on conflict must then be the same row (a re-run), never another row with that id.
        if (added < out.length && table !== 'hosts' && table !== 'scans' && cols.includes('id')) await checkSameRows(tdb, table, out, cols);
        copied += added;
        done += rows.length;
        opts.onProgress?.(table, done, total);
        if (rows.length < page) break;
      }
      if (target.capabilities.identityColumns) await advanceIdentity(tdb, table);
      result.tables.push({ table, source: total, target: 0, copied });
    }
    // `done` = stored observations, recounted for the scans of the source.
    await recountDone(tdb, src);
    await verify(src, tdb, result);
    return result;
  } finally {
    await target?.close();
    await srcDialect.db.destroy();
  }
}


/** JSON with object keys sorted (jsonb reorders keys; text JSON keeps them as written). */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  const norm = (v: unknown) => {
    if (typeof v === 'string' && /^[[{]/.test(v)) {
      try {
        return canonical(JSON.parse(v));
      } catch {
        return v;
      }
    }
    return typeof v === 'object' ? canonical(v) : String(v);
  };
  return norm(a) === norm(b);
}

async function checkSameRows(tdb: AnyDb, table: string, rows: Row[], cols: string[]): Promise<void> {
  const ids = rows.map((r) => r.id);
  const found = (await tdb.selectFrom(table).selectAll().where('id', 'in', ids).execute()) as Row[];
  const byId = new Map(found.map((r) => [String(r.id), r]));
  for (const r of rows) {
    const t = byId.get(String(r.id));
    if (t === undefined) continue;
    const differs = cols.find((c) => !same(r[c], t[c]));
    if (differs !== undefined) {
      throw new EdgewatchError(
        'EW_STORE_COPY',
        `${table}: id ${String(r.id)} is already used in the target by a different row (column ${differs}); copy into a target without ${table} rows`,
      );
    }
  }
}

/** After explicit ids went into identity columns, move their sequences past the largest id. */
async function advanceIdentity(tdb: AnyDb, table: string): Promise<void> {
  const cols = await sql<{ column_name: string }>`
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table} AND is_identity = 'YES'`.execute(tdb);
  for (const { column_name: col } of cols.rows) {
    await sql`SELECT setval(pg_get_serial_sequence(${qi(table)}, ${col}), m)
      FROM (SELECT max(${sql.ref(col)}) AS m FROM ${sql.table(table)}) x WHERE m IS NOT NULL`.execute(tdb);
  }
}

async function recountDone(tdb: AnyDb, src: SyncHandle): Promise<void> {
  const ids = src.prepare('SELECT id FROM scans').pluck(true).all() as string[];
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    await tdb
      .updateTable('scans')
      .set({ done: sql`(SELECT count(*) FROM observations o WHERE o.scan_id = scans.id)` })
      .where('id', 'in', part)
      .execute();
  }
}

async function verify(src: SyncHandle, tdb: AnyDb, result: CopyResult): Promise<void> {
  for (const t of result.tables) {
    t.target = await countRows(tdb, t.table);
    if (t.target < t.source) result.problems.push(`${t.table}: target has ${t.target} rows, source ${t.source}`);
    const cols = sourceColumns(src, t.table);
    if (!cols.includes('scan_id')) continue;
    const tgt = await countByScan(tdb, t.table);
    const rows = src.prepare(`SELECT scan_id, count(*) AS n FROM ${qi(t.table)} GROUP BY scan_id`).all() as Array<{
      scan_id: string;
      n: number;
    }>;
    for (const r of rows) {
      const have = tgt.get(r.scan_id) ?? 0;
      if (have < Number(r.n)) result.problems.push(`${t.table} of scan ${r.scan_id}: target has ${have} rows, source ${r.n}`);
    }
  }
}
