/**
 * Organisations and manual overrides in the store (tables of migration 0004): read them, replace
 * them from an import in one transaction, and set/remove overrides. Imports never touch
 * `org_overrides`. Works on any dialect (JSON columns are text or jsonb; see json.ts).
 */
import type { Kysely, Transaction } from 'kysely';
import { readJson } from './json.js';
import type { Database, OrganisationsTable } from './schema.js';

/** A contact of an organisation (notifications go here). */
export interface OrgContact {
  email: string;
  name?: string;
  role?: string;
  /** OpenPGP: fingerprint (upper-case hex, no spaces) and/or ASCII-armoured public key. */
  pgp?: { fingerprint?: string; key?: string };
}

export interface Organisation {
  /** Stable id (lower case `[a-z0-9._-]`, ≤ 64). */
  key: string;
  name: string;
  sector: string | null;
  /** ISO 639-1, lower case. */
  language: string;
  constituencies: string[];
  /** Normal form (see src/enrich/org/domains.ts). */
  domains: string[];
  /** Canonical CIDR text (IPv4 or IPv6). */
  cidrs: string[];
  asns: number[];
  contacts: OrgContact[];
  /** `file:line` of the import that last wrote the organisation. */
  source: string;
  imported_at: string;
}

/** A manual attribution of an address or CIDR (never touched by imports). */
export interface OrgOverride {
  /** Canonical address or CIDR text. */
  target: string;
  org_key: string;
  note: string | null;
  created_at: string;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per INSERT (11 columns each: well under SQLite's 32,766 bind parameters). */
const CHUNK = 1000;

function fromRow(r: OrganisationsTable): Organisation {
  const what = `organisation ${r.key}`;
  return {
    key: r.key,
    name: r.name,
    sector: r.sector,
    language: r.language,
    constituencies: readJson<string[]>(r.constituencies, `${what} constituencies`) ?? [],
    domains: readJson<string[]>(r.domains, `${what} domains`) ?? [],
    cidrs: readJson<string[]>(r.cidrs, `${what} cidrs`) ?? [],
    asns: (readJson<number[]>(r.asns, `${what} asns`) ?? []).map(Number),
    contacts: readJson<Organisation['contacts']>(r.contacts, `${what} contacts`) ?? [],
    source: r.source,
    imported_at: r.imported_at,
  };
}

function toRow(o: Organisation): OrganisationsTable {
  return {
    key: o.key,
    name: o.name,
    sector: o.sector,
    language: o.language,
    constituencies: JSON.stringify(o.constituencies),
    domains: JSON.stringify(o.domains),
    cidrs: JSON.stringify(o.cidrs),
    asns: JSON.stringify(o.asns),
    contacts: JSON.stringify(o.contacts),
    source: o.source,
    imported_at: o.imported_at,
  };
}

/** All organisations, by key. */
export async function listOrganisations(db: Db): Promise<Organisation[]> {
  const rows = await db.selectFrom('organisations').selectAll().orderBy('key').execute();
  return rows.map(fromRow);
}

export async function getOrganisation(db: Db, key: string): Promise<Organisation | undefined> {
  const r = await db.selectFrom('organisations').selectAll().where('key', '=', key).executeTakeFirst();
  return r ? fromRow(r) : undefined;
}

export interface ImportOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Keys removed because `replace` was set and the file no longer lists them. */
  removed: string[];
}

/** JSON with object keys sorted: jsonb reorders keys, so compare content, not text. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const sameContent = (a: Organisation, b: Organisation): boolean =>
  a.name === b.name &&
  a.sector === b.sector &&
  a.language === b.language &&
  a.source === b.source &&
  canonical([a.constituencies, a.domains, a.cidrs, a.asns, a.contacts]) ===
    canonical([b.constituencies, b.domains, b.cidrs, b.asns, b.contacts]);

/**
 * Write an import in ONE transaction: upsert every organisation by key; with `replace`, delete
 * organisations the import does not list. Overrides are never touched. Any failure rolls back.
 */
export async function saveOrganisations(
  db: Kysely<Database>,
  orgs: readonly Organisation[],
  opts: { replace: boolean },
): Promise<ImportOutcome> {
  return db.transaction().execute(async (trx) => {
    const before = new Map((await listOrganisations(trx)).map((o) => [o.key, o]));
    const out: ImportOutcome = { inserted: 0, updated: 0, unchanged: 0, removed: [] };
    const write: Organisation[] = [];
    for (const o of orgs) {
      const old = before.get(o.key);
      if (old === undefined) out.inserted++;
      else if (sameContent(old, o)) {
        out.unchanged++;
        continue;
      } else out.updated++;
      write.push(o);
    }
    const keys = new Set(orgs.map((o) => o.key));
    if (opts.replace) out.removed = [...before.keys()].filter((k) => !keys.has(k)).sort();
    for (let i = 0; i < out.removed.length; i += CHUNK) {
      await trx.deleteFrom('organisations').where('key', 'in', out.removed.slice(i, i + CHUNK)).execute();
    }
    for (let i = 0; i < write.length; i += CHUNK) {
      await trx
        .insertInto('organisations')
        .values(write.slice(i, i + CHUNK).map(toRow))
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            sector: eb.ref('excluded.sector'),
            language: eb.ref('excluded.language'),
            constituencies: eb.ref('excluded.constituencies'),
            domains: eb.ref('excluded.domains'),
            cidrs: eb.ref('excluded.cidrs'),
            asns: eb.ref('excluded.asns'),
            contacts: eb.ref('excluded.contacts'),
            source: eb.ref('excluded.source'),
            imported_at: eb.ref('excluded.imported_at'),
          })),
        )
        .execute();
    }
    return out;
  });
}

/** All overrides, by target. */
export async function listOverrides(db: Db): Promise<OrgOverride[]> {
  return db.selectFrom('org_overrides').selectAll().orderBy('target').execute();
}

/** Set (or replace) the override of `target` (canonical address or CIDR). Returns the previous one. */
export async function setOverride(db: Kysely<Database>, o: OrgOverride): Promise<OrgOverride | undefined> {
  return db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('org_overrides').selectAll().where('target', '=', o.target).executeTakeFirst();
    await trx
      .insertInto('org_overrides')
      .values(o)
      .onConflict((oc) =>
        oc.column('target').doUpdateSet({ org_key: o.org_key, note: o.note, created_at: o.created_at }),
      )
      .execute();
    return old;
  });
}

/** Remove the override of `target`; returns it, or undefined when there was none. */
export async function removeOverride(db: Kysely<Database>, target: string): Promise<OrgOverride | undefined> {
  return db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('org_overrides').selectAll().where('target', '=', target).executeTakeFirst();
    if (old) await trx.deleteFrom('org_overrides').where('target', '=', target).execute();
    return old;
  });
}
