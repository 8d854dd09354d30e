/**
 * The organisation as edgewatch keeps it (one row of `organisations`, JSON columns parsed), and
 * manual overrides. The types live with the store's queries (store code must not import from
 * enrich/); this module re-exports them for the importer, the matcher and the CLI.
 */
export type { OrgContact, Organisation, OrgOverride } from '../../store/organisations.js';
