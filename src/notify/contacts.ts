/**
 * Contact health: an address that bounced or was rejected is `bad` (with the reason) and is left
 * out of later messages until an organisation import or `notify contact ok` clears it.
 */
import type { Kysely } from 'kysely';
import { casesDb } from '../cases/db.js';
import type { Database } from '../store/schema.js';

export async function markContact(db: Kysely<Database>, email: string, state: 'ok' | 'bad', reason: string | null): Promise<void> {
  const d = casesDb(db);
  const addr = email.trim().toLowerCase().slice(0, 320);
  const now = new Date().toISOString();
  await d
    .insertInto('contacts')
    .values({ email: addr, state, reason: reason?.slice(0, 500) ?? null, updated_at: now })
    .onConflict((oc) => oc.column('email').doUpdateSet({ state, reason: reason?.slice(0, 500) ?? null, updated_at: now }))
    .execute();
}

/** Lower-cased addresses currently marked bad. */
export async function badContacts(db: Kysely<Database>): Promise<Set<string>> {
  const rows = await casesDb(db).selectFrom('contacts').select('email').where('state', '=', 'bad').execute();
  return new Set(rows.map((r) => r.email));
}
