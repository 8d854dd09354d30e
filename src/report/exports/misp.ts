/**
 * MISP event JSON for a scan's selected hosts: one Event (info, date, TLP tag, threat level), an
 * Attribute list (one `vulnerability` per selected CVE, one `text` with provenance), and one
 * `ip-port` Object per host (ip, dst-port, hostname, AS, country-code, ptr-record, first-seen,
 * text) referencing the CVEs it is affected by. The objects are written one by one (bounded
 * memory). Uuids are UUIDv5 of the content, so a re-export gives the same event. Addresses are
 * victims, not indicators: `to_ids` is false everywhere.
 */
import type { HostRow } from '../../store/report-types.js';
import type { ScanRow } from '../../store/types.js';
import type { Tlp } from '../meta.js';
import { validFqdn } from './intelmq.js';
import { uuidv5 } from './ids.js';
import { eventsOf, indicatorChecks, type Selection } from './select.js';

/** ip-port template of misp-objects (objects/ip-port/definition.json). */
export const IP_PORT_TEMPLATE = { uuid: '9f8cea74-16fe-4968-a2b4-026676949ac6', version: '10' };

interface Attr {
  uuid: string;
  type: string;
  category: string;
  value: string;
  to_ids: false;
  distribution: '5';
  comment?: string;
  object_relation?: string;
  disable_correlation?: boolean;
}

function unix(iso: string): string {
  const t = Date.parse(iso);
  return String(Number.isNaN(t) ? 0 : Math.floor(t / 1000));
}

export class MispBuilder {
  readonly #event: string;
  readonly #scan: ScanRow;
  readonly #vulnUuid = new Map<string, string>();

  constructor(scan: ScanRow, readonly tlp: Tlp, filterKey: string) {
    this.#scan = scan;
    this.#event = uuidv5(`misp|event|${scan.id}|${filterKey}`);
  }

  #attr(key: string, type: string, category: string, value: string, extra: Partial<Attr> = {}): Attr {
    return { uuid: uuidv5(`misp|attr|${this.#event}|${key}|${type}|${value}`), type, category, value, to_ids: false, distribution: '5', ...extra };
  }

  /** The event without its objects, and the JSON text before and after the streamed Object list. */
  head(cves: readonly string[], provenance: string[]): { prefix: string; suffix: string; event: Record<string, unknown> } {
    const s = this.#scan;
    const attributes: Attr[] = [];
    for (const c of cves) {
      const a = this.#attr(`vuln`, 'vulnerability', 'External analysis', c, { comment: 'CVE decided by the scan' });
      this.#vulnUuid.set(c, a.uuid);
      attributes.push(a);
    }
    attributes.push(this.#attr('provenance', 'text', 'Other', provenance.join('\n'), { comment: 'edgewatch provenance', disable_correlation: true }));
    const tlpTag = this.tlp === 'WHITE' ? 'tlp:white' : `tlp:${this.tlp.toLowerCase()}`;
    const event = {
      uuid: this.#event,
      info: `edgewatch scan ${s.id}${s.label ? ` (${s.label})` : ''}: exposed edge appliances${cves.length ? ` — ${cves.join(', ')}` : ''}`,
      date: s.started_at.slice(0, 10),
      timestamp: unix(s.finished_at ?? s.started_at),
      threat_level_id: '1',
      analysis: '2',
      distribution: '0',
      published: false,
      Tag: [{ name: tlpTag }, { name: 'edgewatch:scan' }],
      Attribute: attributes,
    };
    const json = JSON.stringify({ Event: { ...event, Object: [] } });
    const cut = json.lastIndexOf('[]');
    return { prefix: json.slice(0, cut + 1), suffix: json.slice(cut + 1), event };
  }

  /** The ip-port object of one host, or null when it has no selected event. */
  host(r: HostRow, sel: Selection): Record<string, unknown> | null {
    const ev = eventsOf(r, sel);
    if (ev.findings.length === 0 && !ev.compromised) return null;
    const key = `${r.ip}|${r.port}|${r.host ?? ''}`;
    const objUuid = uuidv5(`misp|object|${this.#event}|${key}`);
    const attrs: Attr[] = [
      this.#attr(key, 'ip-dst', 'Network activity', r.ip, { object_relation: 'ip' }),
      this.#attr(key, 'port', 'Network activity', String(r.port), { object_relation: 'dst-port', disable_correlation: true }),
    ];
    const fqdn = validFqdn(r.host);
    if (fqdn) attrs.push(this.#attr(key, 'hostname', 'Network activity', fqdn, { object_relation: 'hostname' }));
    if (r.asn !== null) attrs.push(this.#attr(key, 'AS', 'Network activity', `AS${r.asn}`, { object_relation: 'AS', disable_correlation: true }));
    if (r.cc) attrs.push(this.#attr(key, 'text', 'Other', r.cc, { object_relation: 'country-code', disable_correlation: true }));
    const ptr = validFqdn(r.rdns);
    if (ptr) attrs.push(this.#attr(key, 'domain', 'Network activity', ptr, { object_relation: 'ptr-record' }));
    attrs.push(this.#attr(key, 'datetime', 'Other', new Date(Date.parse(r.scanned_at) || 0).toISOString(), { object_relation: 'first-seen', disable_correlation: true }));
    const text = [
      ...ev.findings.map(([c, s]) => `${c}: ${s}`),
      ...(ev.compromised ? [`compromised (indicators: ${indicatorChecks(r).join(', ') || 'from outside'})`] : []),
      `product ${r.product ?? '-'} ${r.version ?? ''}`.trim(),
      r.org_key ? `organisation ${r.org_name ?? r.org_key}${r.sector ? ` (${r.sector})` : ''}` : 'organisation: unattributed',
      ...(r.abuse_contact ? [`abuse contact ${r.abuse_contact}`] : []),
      ...(r.host && !fqdn ? [`target name ${r.host}`] : []),
      ...(r.lab_public_ip ? [`lab demo identity: stands for ${r.lab_public_ip}; not a real host`] : []),
    ].join('\n');
    attrs.push(this.#attr(key, 'text', 'Other', text, { object_relation: 'text', disable_correlation: true }));
    const refs = ev.findings
      .map(([c]) => this.#vulnUuid.get(c))
      .filter((u): u is string => u !== undefined)
      .map((u) => ({ uuid: uuidv5(`misp|ref|${objUuid}|${u}`), object_uuid: objUuid, referenced_uuid: u, relationship_type: 'related-to' }));
    return {
      uuid: objUuid,
      name: 'ip-port',
      'meta-category': 'network',
      description: 'An IP address (or domain or hostname) and a port seen as a tuple (or as a triple) in a specific time frame.',
      template_uuid: IP_PORT_TEMPLATE.uuid,
      template_version: IP_PORT_TEMPLATE.version,
      distribution: '5',
      comment: r.lab_public_ip ? 'lab demo identity' : ev.findings.map(([c, s]) => `${c} ${s}`).join(', ') || 'compromised',
      Attribute: attrs,
      ...(refs.length ? { ObjectReference: refs } : {}),
    };
  }
}
