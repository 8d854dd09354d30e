/**
 * IntelMQ events (JSON Lines) from the host view: harmonised field names (`source.*`,
 * `classification.*`, `feed.name`, `time.*`, `tlp`), everything else under `extra.*`. Vulnerable
 * hosts map as DIVD / IntelMQ's scanner parsers do: taxonomy `vulnerable`, type
 * `vulnerable-system`, identifier the CVE id; compromised hosts: taxonomy `intrusions`, type
 * `system-compromise`, identifier the compromise check that fired. Other selected classifications
 * (mitigated, patched, unknown) become taxonomy `other`, type `undetermined`, with the
 * classification in `extra.classification`. A lab host keeps its scanned (loopback) address in
 * `source.ip`; its demo public address and the label go to `extra.lab_*`.
 */
import type { HostRow } from '../../store/report-types.js';
import { eventsOf, indicatorChecks, type Selection } from './select.js';

export type IntelMqEvent = Record<string, string | number | boolean | string[]>;

const FQDN = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+\.?$/i;

/** A syntactically valid FQDN (no wildcard, no spaces); otherwise null. */
export function validFqdn(s: string | null | undefined): string | null {
  return s && FQDN.test(s) ? s.replace(/\.$/, '').toLowerCase() : null;
}

/** Fields every event of the host shares. */
export function sourceFields(r: HostRow, tlp: string, feed: string): IntelMqEvent {
  const e: IntelMqEvent = {
    'feed.name': feed,
    'time.source': r.scanned_at,
    'time.observation': r.scanned_at,
    tlp,
    'source.ip': r.ip,
    'source.port': r.port,
    'protocol.transport': 'tcp',
  };
  const scheme = r.record?.scheme;
  if (scheme === 'http' || scheme === 'https') e['protocol.application'] = scheme;
  const fqdn = validFqdn(r.host);
  if (fqdn) e['source.fqdn'] = fqdn;
  else if (r.host) e['extra.target_name'] = r.host;
  const rdns = validFqdn(r.rdns);
  if (rdns) e['source.reverse_dns'] = rdns;
  if (r.asn !== null) e['source.asn'] = r.asn;
  if (r.as_name) e['source.as_name'] = r.as_name;
  if (r.network) e['source.network'] = r.network;
  if (r.cc) e['source.geolocation.cc'] = r.cc;
  if (r.abuse_contact) e['source.abuse_contact'] = r.abuse_contact;
  if (r.product) e['extra.product'] = r.product;
  if (r.version) e['extra.version'] = r.version;
  if (r.compromised) e['extra.compromised'] = r.compromised;
  if (r.org_key) {
    e['extra.organisation_key'] = r.org_key;
    if (r.org_name) e['extra.organisation'] = r.org_name;
    if (r.sector) e['extra.sector'] = r.sector;
  }
  if (r.rule) e['extra.attribution_rule'] = r.rule;
  const names = (r.names ?? []).map((n) => n.name).filter((n) => n !== r.host);
  if (names.length) e['extra.names'] = [...new Set(names)].slice(0, 20);
  const cves = Object.keys(r.cve).sort();
  for (const c of cves) e[`extra.cve.${c}`] = r.cve[c];
  e['extra.scan_id'] = r.scan_id;
  if (r.lab_public_ip) {
    e['extra.lab_demo_identity'] = true;
    e['extra.lab_public_ip'] = r.lab_public_ip;
    e['extra.label'] = 'lab demo identity: not a real host';
  }
  return e;
}

export function intelmqEvents(r: HostRow, sel: Selection, tlp: string, feed = 'edgewatch'): IntelMqEvent[] {
  const ev = eventsOf(r, sel);
  const out: IntelMqEvent[] = [];
  if (ev.findings.length === 0 && !ev.compromised) return out;
  const base = sourceFields(r, tlp, feed);
  for (const [cve, state] of ev.findings) {
    const vulnerable = state === 'vulnerable';
    out.push({
      ...base,
      'classification.taxonomy': vulnerable ? 'vulnerable' : 'other',
      'classification.type': vulnerable ? 'vulnerable-system' : 'undetermined',
      'classification.identifier': cve,
      'extra.classification': state,
      'event_description.text': `${r.product ?? 'host'} ${r.version ?? ''} ${vulnerable ? 'is vulnerable to' : `is ${state} for`} ${cve}`.replace(/\s+/g, ' '),
    });
  }
  if (ev.compromised) {
    const checks = indicatorChecks(r);
    out.push({
      ...base,
      'classification.taxonomy': 'intrusions',
      'classification.type': 'system-compromise',
      'classification.identifier': checks[0] ?? 'edge-appliance-compromise',
      ...(checks.length ? { 'extra.indicators': checks } : {}),
      'event_description.text': `${r.product ?? 'host'} shows an externally visible indicator of compromise`,
    });
  }
  return out;
}
