/**
 * Migration 0009: indexes for the API's read queries (issue #8, Speed: the overview answers in
 * ≤ 200 ms per call over 1,000,000 observations). Each one lets a query of src/api/queries.ts read
 * an index only, never the wide observation rows (the stored record, about 1.5 KB each) nor whole
 * ip_enrichment rows:
 * - observations (scan_id, host_id, status, product, version, compromised, seq): a scoped user's
 *   figures, builds and host counts, reached host by host from the visible addresses.
 * - findings (scan_id, state, cve, seq): the observations with a finding in a state (hosts filter,
 *   per-organisation vulnerable/mitigated counts) as one index range.
 * - findings (host_id, cve, scan_id, state): a scoped user's trend and countries, host by host.
 * - ip_enrichment (org_key, ip, cc): the addresses of the visible organisations (the scope).
 * - ip_enrichment (ip, org_key) and (ip, cc): address → organisation / country without the row.
 * (Named 0009: a new migration must sort after every one that has shipped, and 0008 had.)
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreCapabilities } from '../types.js';

const INDEXES: Array<[name: string, table: string, columns: string[]]> = [
  ['observations_api_idx', 'observations', ['scan_id', 'host_id', 'status', 'product', 'version', 'compromised', 'seq']],
  ['findings_state_api_idx', 'findings', ['scan_id', 'state', 'cve', 'seq']],
  ['findings_host_api_idx', 'findings', ['host_id', 'cve', 'scan_id', 'state']],
  ['ip_enrichment_org_api_idx', 'ip_enrichment', ['org_key', 'ip', 'cc']],
  ['ip_enrichment_ip_org_api_idx', 'ip_enrichment', ['ip', 'org_key']],
  ['ip_enrichment_ip_cc_api_idx', 'ip_enrichment', ['ip', 'cc']],
];

export function migration0009(_caps: StoreCapabilities): Migration {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
    async up(db: Kysely<any>): Promise<void> {
      for (const [name, table, columns] of INDEXES) await db.schema.createIndex(name).on(table).columns(columns).execute();
    },
    // biome-ignore lint/suspicious/noExplicitAny: see up()
    async down(db: Kysely<any>): Promise<void> {
      for (const [name] of [...INDEXES].reverse()) await db.schema.dropIndex(name).execute();
    },
  };
}
