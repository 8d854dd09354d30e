/**
 * Everything known about one address, for `edgewatch host IP`: its observations across scans and
 * triage runs (store/triage.ts readers), its stored enrichment (`ip_enrichment`, written by the
 * enrichment pipeline), and its attribution — as stored and recomputed live with the current
 * organisations and overrides, flagged when the two differ.
 */
import { EdgewatchError } from '../../errors.js';
import { readJson } from '../../store/json.js';
import type { IpEnrichmentTable } from '../../store/schema.js';
import { type HostHistory, hostHistory } from '../../store/triage.js';
import type { Store } from '../../store/types.js';
import { parseIp } from '../../scope/ip.js';
import type { Attribution, HostName } from '../types.js';
import { loadOrgMatcher } from './index.js';

export interface StoredEnrichment {
  ip: string;
  cc: string | null;
  asn: number | null;
  as_name: string | null;
  network: string | null;
  rdns: string | null;
  names: HostName[];
  abuse_contact: string | null;
  abuse_source: string | null;
  lab_public_ip: string | null;
  sources: unknown[];
  enriched_at: string;
  attribution: Attribution;
}

export interface HostView {
  ip: string;
  enrichment: StoredEnrichment | null;
  /** Attribution recomputed now from the store's organisations and overrides. */
  live: Attribution;
  /** True when a stored attribution exists and names another organisation, rule or match. */
  differs: boolean;
  history: HostHistory;
}

/** Canonical text of an address; EW_ORG_TARGET when it is not one. */
export function canonicalIp(s: string): string {
  const p = parseIp(String(s).trim());
  if (!p) throw new EdgewatchError('EW_ORG_TARGET', `not an IP address: "${String(s).slice(0, 60).replace(/[^\x20-\x7e]/g, '?')}"`);
  return p.text;
}

function fromRow(r: IpEnrichmentTable & { rule: string; why: string }): StoredEnrichment {
  const names = readJson<HostName[]>(r.names, `names of ${r.ip}`);
  const sources = readJson<unknown[]>(r.sources, `sources of ${r.ip}`);
  return {
    ip: r.ip,
    cc: r.cc,
    asn: r.asn === null ? null : Number(r.asn),
    as_name: r.as_name,
    network: r.network,
    rdns: r.rdns,
    names: Array.isArray(names) ? names : [],
    abuse_contact: r.abuse_contact,
    abuse_source: r.abuse_source,
    lab_public_ip: r.lab_public_ip,
    sources: Array.isArray(sources) ? sources : [],
    enriched_at: r.enriched_at,
    attribution: {
      org_key: r.org_key,
      org_name: null,
      sector: null,
      rule: r.rule as Attribution['rule'],
      matched: r.matched,
      why: r.why,
      group: r.grp,
    },
  };
}

export async function hostView(store: Store, ipIn: string): Promise<HostView> {
  const ip = canonicalIp(ipIn);
  const row = await store.db.selectFrom('ip_enrichment').selectAll().where('ip', '=', ip).executeTakeFirst();
  const enrichment = row ? fromRow(row as IpEnrichmentTable & { rule: string; why: string }) : null;
  if (enrichment?.attribution.org_key) {
    const o = await store.db
      .selectFrom('organisations')
      .select(['name', 'sector'])
      .where('key', '=', enrichment.attribution.org_key)
      .executeTakeFirst();
    if (o) {
      enrichment.attribution.org_name = o.name;
      enrichment.attribution.sector = o.sector;
    }
  }
  const matcher = await loadOrgMatcher(store.db);
  const names: HostName[] = [...(enrichment?.names ?? [])];
  if (enrichment?.rdns && !names.some((n) => n.source === 'ptr')) names.push({ name: enrichment.rdns, source: 'ptr' });
  // A lab host is attributed by the public address it stands for in the demo (as the pipeline does).
  const matchIp = enrichment?.lab_public_ip ?? ip;
  const live = matcher.match({ ip: matchIp, asn: enrichment?.asn ?? null, names, abuse: enrichment?.abuse_contact ?? null });
  const s = enrichment?.attribution;
  const differs = s !== undefined && (s.org_key !== live.org_key || s.rule !== live.rule || (s.matched ?? null) !== (live.matched ?? null));
  return { ip, enrichment, live, differs, history: await hostHistory(store, ip) };
}
