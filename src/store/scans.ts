/**
 * The scans table: create, read, list, and the two mutable fields (state, total). Unknown ids are
 * EW_STORE_SCAN_NOT_FOUND except in getScan, which returns undefined.
 */
import type { Kysely, Selectable } from 'kysely';
import { EdgewatchError } from '../errors.js';
import { readJson } from './json.js';
import { newScanId } from './scan-id.js';
import type { Database, ScansTable } from './schema.js';
import type { ScanRow, ScanState } from './types.js';

const STATES: ReadonlySet<string> = new Set(['running', 'interrupted', 'finished', 'failed']);
const MAX_LABEL = 200;

export function notFound(id: string): EdgewatchError {
  return new EdgewatchError('EW_STORE_SCAN_NOT_FOUND', `no scan with id ${String(id).slice(0, 80)}`);
}

function toScanRow(r: Selectable<ScansTable>): ScanRow {
  return {
    id: r.id,
    label: r.label,
    state: r.state,
    started_at: r.started_at,
    finished_at: r.finished_at,
    settings: readJson<Record<string, unknown>>(r.settings, `settings of scan ${r.id}`),
    total: r.total === null ? null : Number(r.total),
    done: Number(r.done),
  };
}

function checkTotal(total: unknown): number | null {
  if (total === null || total === undefined) return null;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) {
    throw new EdgewatchError('EW_STORE_BAD_INPUT', 'scan total must be a non-negative integer');
  }
  return total;
}

export async function createScan(
  db: Kysely<Database>,
  input: { label?: string | null; settings: Record<string, unknown>; total?: number | null },
): Promise<ScanRow> {
  const label = input.label ?? null;
  if (label !== null && (typeof label !== 'string' || label.length > MAX_LABEL)) {
    throw new EdgewatchError('EW_STORE_BAD_INPUT', `scan label must be a string of at most ${MAX_LABEL} chars`);
  }
  if (input.settings === null || typeof input.settings !== 'object' || Array.isArray(input.settings)) {
    throw new EdgewatchError('EW_STORE_BAD_INPUT', 'scan settings must be an object');
  }
  const total = checkTotal(input.total);
  const settings = JSON.stringify(input.settings);
  const now = new Date();
  for (let attempt = 0; attempt < 8; attempt++) {
    const id = newScanId(now);
    const taken = await db.selectFrom('scans').select('id').where('id', '=', id).executeTakeFirst();
    if (taken !== undefined) continue;
    const row: ScansTable = {
      id,
      label,
      state: 'running',
      started_at: now.toISOString(),
      finished_at: null,
      settings,
      total,
      done: 0,
    };
    await db.insertInto('scans').values(row).execute();
    return toScanRow(row);
  }
  throw new EdgewatchError('EW_STORE_BAD_INPUT', 'could not allocate a unique scan id');
}

export async function getScan(db: Kysely<Database>, id: string): Promise<ScanRow | undefined> {
  const r = await db.selectFrom('scans').selectAll().where('id', '=', id).executeTakeFirst();
  return r === undefined ? undefined : toScanRow(r);
}

export async function requireScan(db: Kysely<Database>, id: string): Promise<ScanRow> {
  const scan = await getScan(db, id);
  if (scan === undefined) throw notFound(id);
  return scan;
}

export async function listScans(db: Kysely<Database>): Promise<ScanRow[]> {
  const rows = await db.selectFrom('scans').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').execute();
  return rows.map(toScanRow);
}

export async function setScanTotal(db: Kysely<Database>, id: string, total: number): Promise<void> {
  const t = checkTotal(total);
  const res = await db.updateTable('scans').set({ total: t }).where('id', '=', id).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(id);
}

/** `finished`, `failed` and `interrupted` stamp finished_at; `running` (a resume) clears it. */
export async function setScanState(db: Kysely<Database>, id: string, state: ScanState): Promise<void> {
  if (!STATES.has(state)) throw new EdgewatchError('EW_STORE_BAD_INPUT', `unknown scan state ${String(state).slice(0, 40)}`);
  const finished_at = state === 'running' ? null : new Date().toISOString();
  const res = await db.updateTable('scans').set({ state, finished_at }).where('id', '=', id).executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) throw notFound(id);
}
