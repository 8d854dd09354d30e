/**
 * Organisations and matching (issue #4, part C): the public surface of src/enrich/org.
 *
 * - `loadOrgMatcher(db)`: build the matcher from the store's organisations and overrides (call
 *   once per enrichment run; then `match()` is pure, synchronous and fast).
 * - `groupKey(asn, abuse)`: the notification group of a host no organisation claims.
 * - `importOrganisations(...)`: validate a YAML/CSV file and write it in one transaction.
 */
import type { Kysely } from 'kysely';
import { listOrganisations, listOverrides } from '../../store/organisations.js';
import type { Database } from '../../store/schema.js';
import type { OrgMatcher } from '../types.js';
import { buildOrgMatcher } from './matcher.js';

export { normalizeName } from './domains.js';
export { buildOrgMatcher, groupKey } from './matcher.js';
export type { OrgContact, Organisation, OrgOverride } from './model.js';

/** Build the matcher from the store's organisations and overrides (call once per enrichment run). */
export async function loadOrgMatcher(db: Kysely<Database>): Promise<OrgMatcher> {
  const orgs = await listOrganisations(db);
  const overrides = await listOverrides(db);
  return buildOrgMatcher(orgs, overrides);
}
export {
  formatOf,
  type ImportOptions,
  type ImportResult,
  importOrganisations,
  OrgFileInvalidError,
  parseOrganisationFile,
} from './import.js';
export type { FileIssue } from './raw.js';
