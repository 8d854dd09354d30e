/**
 * Enrichment → a flat IntelMQ event (harmonised field names; everything without an IntelMQ field
 * under `extra.*`). Used by `edgewatch enrich -j`; the exports (src/report/exports) use the same
 * names. A lab host keeps its scanned loopback address in `source.ip`; the public address it
 * stands for and an explicit label go to `extra.lab_*` so demo data can never pass as real.
 */
import type { DataSourceInfo, Enrichment } from './types.js';

export type IntelMqEvent = Record<string, string | number | boolean | string[]>;

const FQDN = /^(?=.{1,253}$)(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))+\.?$/i;

/** A syntactically valid FQDN (no wildcard), lower case without the trailing dot; else null. */
export function fqdnOrNull(s: string | null | undefined): string | null {
  return s && FQDN.test(s) ? s.replace(/\.$/, '').toLowerCase() : null;
}

export interface IntelMqOptions {
  /** `feed.name` (default `edgewatch-enrich`). */
  feed?: string;
  /** Fields placed first (e.g. from the scan record: `source.port`, `time.source`, `classification.*`). */
  base?: IntelMqEvent;
  /** Data sources used, listed as `extra.data_sources` (`id@version (date)`). */
  sources?: readonly DataSourceInfo[];
}

export function sourceLabel(s: DataSourceInfo): string {
  return `${s.id}@${s.version}${s.date ? ` (${s.date})` : ''}`;
}

export function enrichmentToIntelMq(e: Enrichment, opts: IntelMqOptions = {}): IntelMqEvent {
  const ev: IntelMqEvent = { 'feed.name': opts.feed ?? 'edgewatch-enrich', ...(opts.base ?? {}), 'source.ip': e.ip };
  if (e.asn !== null) ev['source.asn'] = e.asn;
  if (e.as_name) ev['source.as_name'] = e.as_name;
  if (e.network) ev['source.network'] = e.network;
  if (e.cc) ev['source.geolocation.cc'] = e.cc;
  const rdns = fqdnOrNull(e.rdns);
  if (rdns) ev['source.reverse_dns'] = rdns;
  if (ev['source.fqdn'] === undefined) {
    const target = e.names.find((n) => (n.source === 'target' || n.source === 'sni') && fqdnOrNull(n.name));
    if (target) ev['source.fqdn'] = fqdnOrNull(target.name) as string;
  }
  if (e.abuse) {
    ev['source.abuse_contact'] = e.abuse.email;
    ev['extra.abuse_contact_source'] = e.abuse.source;
    if (e.abuse.ref) ev['extra.abuse_contact_ref'] = e.abuse.ref;
  }
  if (e.names.length) {
    ev['extra.names'] = [...new Set(e.names.map((n) => (n.wildcard ? `*.${n.name}` : n.name)))].slice(0, 50);
    ev['extra.name_sources'] = [...new Set(e.names.map((n) => n.source))];
  }
  const a = e.attribution;
  if (a.org_key) {
    ev['extra.organisation_key'] = a.org_key;
    if (a.org_name) ev['extra.organisation'] = a.org_name;
    if (a.sector) ev['extra.sector'] = a.sector;
  }
  ev['extra.attribution_rule'] = a.rule;
  if (a.matched) ev['extra.attribution_matched'] = a.matched;
  if (a.why) ev['extra.attribution_why'] = a.why;
  if (a.group) ev['extra.notification_group'] = a.group;
  if (e.lab) {
    ev['extra.lab_demo_identity'] = true;
    ev['extra.lab_public_ip'] = e.lab.public_ip;
    if (e.lab.org) ev['extra.lab_organisation'] = e.lab.org;
    if (e.lab.sector) ev['extra.lab_sector'] = e.lab.sector;
    ev['extra.label'] = 'lab demo identity: not a real host';
  }
  if (opts.sources?.length) ev['extra.data_sources'] = opts.sources.map(sourceLabel);
  if (ev['time.observation'] === undefined) ev['time.observation'] = e.enriched_at;
  return ev;
}
