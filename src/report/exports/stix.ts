/**
 * STIX 2.1 bundle of a scan's selected hosts, written object by object (never held whole). Per
 * host: an `ipv4-addr`/`ipv6-addr` observable (deterministic id as the specification defines
 * for SCOs), an `infrastructure` (the exposed service `ip:port`), and relationships: `consists-of`
 * the address, `has` each selected `vulnerability` (one object per CVE, with the CVE external
 * reference), `located-at` a country `location`, `related-to` the organisation `identity`. Shared
 * objects (vulnerabilities, countries, organisations) are written once, the first time they are
 * used. Every id is a UUIDv5 of its content, so a re-export gives the same ids; created/modified
 * are the scan's start; every object carries the TLP marking. Lab demo identities are labelled.
 */
import type { HostRow } from '../../store/report-types.js';
import type { ScanRow } from '../../store/types.js';
import type { Tlp } from '../meta.js';
import { STIX_SCO_NS, uuidv5 } from './ids.js';
import { eventsOf, indicatorChecks, type Selection } from './select.js';

type StixObject = Record<string, unknown> & { type: string; id: string };

const SCO_DEDUPE_CAP = 200_000;

/** The TLP marking definitions the STIX 2.1 specification predefines (§7.2.1.4). */
const TLP_DEFS: Record<'white' | 'green' | 'amber' | 'red', string> = {
  white: 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9',
  green: 'marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da',
  amber: 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82',
  red: 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed',
};

export function tlpMarkings(tlp: Tlp): StixObject[] {
  const level = tlp === 'CLEAR' || tlp === 'WHITE' ? 'white' : tlp === 'AMBER+STRICT' ? 'amber' : (tlp.toLowerCase() as 'green' | 'amber' | 'red');
  const out: StixObject[] = [
    {
      type: 'marking-definition',
      spec_version: '2.1',
      id: TLP_DEFS[level],
      created: '2017-01-20T00:00:00.000Z',
      definition_type: 'tlp',
      name: `TLP:${level.toUpperCase()}`,
      definition: { tlp: level },
    },
  ];
  if (tlp === 'AMBER+STRICT' || tlp === 'CLEAR') {
    out.push({
      type: 'marking-definition',
      spec_version: '2.1',
      id: `marking-definition--${uuidv5(`marking|statement|TLP:${tlp}`)}`,
      created: '2022-08-01T00:00:00.000Z',
      definition_type: 'statement',
      name: `TLP:${tlp}`,
      definition: { statement: `TLP:${tlp} (FIRST TLP 2.0)` },
    });
  }
  return out;
}

function stamp(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
}

/** Builds the objects; the caller writes them as the elements of the bundle's `objects` array. */
export class StixBuilder {
  readonly #created: string;
  readonly #markings: string[];
  readonly #producer: string;
  /** Shared objects written so far (CVEs, countries, organisations: bounded by their number). */
  readonly #seen = new Set<string>();
  /**
   * Address observables written so far, for hosts seen on several ports. Capped so memory stays
   * bounded on huge scans: past the cap an address may be written again — the same id with the same
   * content, which STIX consumers treat as one object.
   */
  #scos = new Set<string>();
  readonly #scan: ScanRow;

  constructor(scan: ScanRow, readonly tlp: Tlp) {
    this.#scan = scan;
    this.#created = stamp(scan.started_at);
    this.#markings = tlpMarkings(tlp).map((m) => m.id);
    this.#producer = `identity--${uuidv5('identity|edgewatch')}`;
  }

  bundleId(filterKey: string): string {
    return `bundle--${uuidv5(`bundle|${this.#scan.id}|${filterKey}`)}`;
  }

  /** Marking definitions and the producer identity (first objects of the bundle). */
  head(): StixObject[] {
    return [
      ...tlpMarkings(this.tlp),
      this.#sdo('identity', this.#producer, { name: 'edgewatch', identity_class: 'system', description: 'edgewatch scan results' }, false),
    ];
  }

  #sdo(type: string, id: string, props: Record<string, unknown>, byProducer = true): StixObject {
    return {
      type,
      spec_version: '2.1',
      id,
      created: this.#created,
      modified: this.#created,
      ...(byProducer ? { created_by_ref: this.#producer } : {}),
      ...props,
      object_marking_refs: this.#markings,
    };
  }

  #rel(type: string, source: string, target: string): StixObject {
    return this.#sdo('relationship', `relationship--${uuidv5(`rel|${type}|${source}|${target}`)}`, {
      relationship_type: type,
      source_ref: source,
      target_ref: target,
    });
  }

  #once(id: string, make: () => StixObject, out: StixObject[]): string {
    if (!this.#seen.has(id)) {
      this.#seen.add(id);
      out.push(make());
    }
    return id;
  }

  /** Objects for one host (empty when it has no selected event). */
  host(r: HostRow, sel: Selection): StixObject[] {
    const ev = eventsOf(r, sel);
    if (ev.findings.length === 0 && !ev.compromised) return [];
    const out: StixObject[] = [];
    const v6 = r.ip.includes(':');
    const scoType = v6 ? 'ipv6-addr' : 'ipv4-addr';
    const scoId = `${scoType}--${uuidv5(JSON.stringify({ value: r.ip }), STIX_SCO_NS)}`;
    if (!this.#scos.has(scoId)) {
      if (this.#scos.size >= SCO_DEDUPE_CAP) this.#scos = new Set();
      this.#scos.add(scoId);
      out.push({ type: scoType, spec_version: '2.1', id: scoId, value: r.ip, object_marking_refs: this.#markings });
    }
    const infraId = `infrastructure--${uuidv5(`infra|${r.scan_id}|${r.ip}|${r.port}|${r.host ?? ''}`)}`;
    const labels = ['edge-appliance'];
    if (ev.findings.some(([, s]) => s === 'vulnerable')) labels.push('vulnerable');
    if (r.compromised === 'true') labels.push('compromised');
    if (r.lab_public_ip) labels.push('lab-demo-identity');
    const desc = [
      `${r.product ?? 'host'}${r.version ? ` ${r.version}` : ''} at ${r.ip}:${r.port}${r.host ? ` (${r.host})` : ''}`,
      ...ev.findings.map(([c, s]) => `${c}: ${s}`),
      ...(ev.compromised ? [`compromised: indicators ${indicatorChecks(r).join(', ') || 'from outside'}`] : []),
      ...(r.lab_public_ip ? [`lab demo identity: stands for ${r.lab_public_ip}; not a real host`] : []),
    ].join('\n');
    out.push(
      this.#sdo('infrastructure', infraId, {
        name: `${r.ip}:${r.port}${r.host ? ` ${r.host}` : ''}`,
        description: desc,
        labels,
        first_seen: stamp(r.scanned_at),
        last_seen: stamp(r.scanned_at),
        ...(r.product ? { x_edgewatch_product: r.product } : {}),
        ...(r.version ? { x_edgewatch_version: r.version } : {}),
        x_edgewatch_compromised: r.compromised ?? 'unknown',
        ...(r.lab_public_ip ? { x_edgewatch_lab_public_ip: r.lab_public_ip } : {}),
        ...(r.asn !== null ? { x_edgewatch_asn: r.asn } : {}),
        ...(r.abuse_contact ? { x_edgewatch_abuse_contact: r.abuse_contact } : {}),
      }),
    );
    out.push(this.#rel('consists-of', infraId, scoId));
    for (const [cve, state] of ev.findings) {
      const vulnId = `vulnerability--${uuidv5(`vulnerability|${cve}`)}`;
      this.#once(vulnId, () => this.#sdo('vulnerability', vulnId, { name: cve, external_references: [{ source_name: 'cve', external_id: cve }] }), out);
      // STIX 2.1 defines `infrastructure has vulnerability`; other classifications are related-to.
      out.push(this.#rel(state === 'vulnerable' ? 'has' : 'related-to', infraId, vulnId));
    }
    if (r.cc) {
      const locId = `location--${uuidv5(`location|${r.cc}`)}`;
      this.#once(locId, () => this.#sdo('location', locId, { country: r.cc }), out);
      out.push(this.#rel('located-at', infraId, locId));
    }
    if (r.org_key) {
      const orgId = `identity--${uuidv5(`org|${r.org_key}`)}`;
      this.#once(
        orgId,
        () =>
          this.#sdo('identity', orgId, {
            name: r.org_name ?? r.org_key,
            identity_class: 'organization',
            ...(r.sector ? { x_edgewatch_sector: r.sector } : {}),
            x_edgewatch_org_key: r.org_key,
          }),
        out,
      );
      out.push(this.#rel('related-to', infraId, orgId));
    }
    return out;
  }
}
