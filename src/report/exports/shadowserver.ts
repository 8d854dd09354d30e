/**
 * CSV with Shadowserver-style columns (their scan reports: timestamp, ip, protocol, port, hostname,
 * tag, asn, geo, region, city, naics, sic, sector, severity, device_*), one row per event (host ×
 * selected CVE classification, and compromised hosts), followed by edgewatch's own columns. Every
 * cell passes csvSafe (no spreadsheet formulas); csv-stringify quotes separators and newlines.
 */
import { stringify } from 'csv-stringify/sync';
import type { HostRow } from '../../store/report-types.js';
import { csvSafe } from '../output.js';
import { hostName } from '../render-hosts.js';
import { eventsOf, indicatorChecks, type Selection } from './select.js';

export const SHADOWSERVER_COLUMNS = [
  'timestamp',
  'ip',
  'protocol',
  'port',
  'hostname',
  'tag',
  'asn',
  'geo',
  'region',
  'city',
  'naics',
  'sic',
  'sector',
  'severity',
  'device_vendor',
  'device_type',
  'device_model',
  'device_version',
  'cve',
  'classification',
  'compromised',
  'as_name',
  'network',
  'reverse_dns',
  'abuse_contact',
  'organisation',
  'organisation_key',
  'attribution_rule',
  'lab_demo_identity',
  'scan_id',
  'tlp',
] as const;

/** `2020-01-13T10:00:00.000Z` → `2020-01-13 10:00:00` (Shadowserver's UTC format). */
export function ssTimestamp(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export function shadowserverHeader(): string {
  return stringify([[...SHADOWSERVER_COLUMNS]]);
}

export function shadowserverRows(r: HostRow, sel: Selection, tlp: string): string {
  const ev = eventsOf(r, sel);
  const rows: string[][] = [];
  const common = (tag: string, severity: string, cve: string, classification: string): string[] => [
    ssTimestamp(r.scanned_at),
    r.ip,
    'tcp',
    String(r.port),
    hostName(r),
    tag,
    r.asn === null ? '' : String(r.asn),
    r.cc ?? '',
    '',
    '',
    '',
    '',
    r.sector ?? '',
    severity,
    '',
    r.product ? 'vpn' : '',
    r.product ?? '',
    r.version ?? '',
    cve,
    classification,
    r.compromised ?? '',
    r.as_name ?? '',
    r.network ?? '',
    r.rdns ?? '',
    r.abuse_contact ?? '',
    r.org_name ?? '',
    r.org_key ?? '',
    r.rule ?? '',
    r.lab_public_ip ? `lab demo identity ${r.lab_public_ip}` : '',
    r.scan_id,
    tlp,
  ];
  for (const [cve, state] of ev.findings) {
    rows.push(common(`${cve.toLowerCase()};${state}`, state === 'vulnerable' ? 'critical' : 'info', cve, state));
  }
  if (ev.compromised) {
    const checks = indicatorChecks(r);
    rows.push(common(['compromised', ...checks].join(';'), 'critical', '', 'compromised'));
  }
  return rows.length ? stringify(rows.map((row) => row.map(csvSafe))) : '';
}
