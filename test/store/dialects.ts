/**
 * One test body, both dialects. `DIALECTS` lists what the store tests run against: SQLite always,
 * PostgreSQL when the local server answers (gated by serviceGate: a loud skip locally, a failure
 * under CI=true). Every store a PostgreSQL test opens lives in its own fresh schema (search_path in
 * the URL), dropped by cleanup(), so files and repeated runs never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type StoreOptions } from '../../src/store/index.js';
import type { Store, StoreConfig } from '../../src/store/types.js';
import { PG_URL, serviceGate } from '../helpers/services.js';
import { tempDir } from './helpers.js';

export type DialectName = 'sqlite' | 'postgres';

const gate = await serviceGate('postgres');
export const PG_OK = gate.ok;
export const DIALECTS: DialectName[] = PG_OK ? ['sqlite', 'postgres'] : ['sqlite'];


/** A PostgreSQL URL whose search_path is `schema`. */
export function pgUrlFor(schema: string, base: string = PG_URL): string {
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Creates a fresh schema and returns its name. */
export async function createPgSchema(tag: string): Promise<string> {
  const name = `ew_t_${tag.replace(/[^a-z0-9]/gi, '').slice(0, 20).toLowerCase()}_${process.pid}_${randomBytes(3).toString('hex')}`;
  await admin((c) => c.query(`CREATE SCHEMA ${name}`));
  return name;
}

export async function dropPgSchemas(names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await admin(async (c) => {
    for (const n of names) await c.query(`DROP SCHEMA IF EXISTS ${n} CASCADE`);
  });
}

/**
 * Per-file store factory for one dialect: `config(name)` gives the same place for the same name
 * (reopen), a new place for a new name. cleanup() removes every file/schema it made.
 */
export function storePlaces(dialect: DialectName, prefix = 'ew-store-') {
  const tmp = tempDir(prefix);
  const schemas = new Map<string, string>();
  return {
    dialect,
    async config(name: string): Promise<StoreConfig> {
      if (dialect === 'sqlite') return { dialect: 'sqlite', file: tmp.file(`${name}.db`) };
      let schema = schemas.get(name);
      if (schema === undefined) {
        schema = await createPgSchema(name);
        schemas.set(name, schema);
      }
      return { dialect: 'postgres', url: pgUrlFor(schema), pool: 4 };
    },
    async open(name: string, opts: StoreOptions = {}): Promise<Store> {
      return openStore(await this.config(name), opts);
    },
    schemaOf(name: string): string | undefined {
      return schemas.get(name);
    },
    async cleanup(): Promise<void> {
      tmp.cleanup();
      await dropPgSchemas([...schemas.values()]);
    },
  };
}

/** Row counts of the main tables, read through the store's own connection (any dialect). */
export async function tableCounts(store: Store): Promise<{ obs: number; findings: number; hosts: number }> {
  const n = async (t: 'observations' | 'findings' | 'hosts') =>
    Number((await store.db.selectFrom(t).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { obs: await n('observations'), findings: await n('findings'), hosts: await n('hosts') };
}
