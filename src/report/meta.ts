/**
 * What every report and export carries besides its figures: the TLP label (validated, default
 * AMBER), when it was generated, the edgewatch version, the check pack in use (name, version,
 * origin) and the CVEs the scan decided, and the data sources of the enrichment (ids, versions,
 * dates — from ip_enrichment.sources). One place so table, Markdown, CSV, JSON and every export
 * print the same provenance.
 */
import { activePack, programVersion } from '../checks/pack/index.js';
import type { DataSourceInfo } from '../enrich/types.js';
import { EdgewatchError } from '../errors.js';

/** TLP 2.0 labels (and WHITE, TLP 1.0's name for CLEAR). */
export const TLP_LABELS = ['CLEAR', 'WHITE', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export type Tlp = (typeof TLP_LABELS)[number];

/** `amber`, `TLP:AMBER`, `Amber+Strict` → canonical label; anything else is EW_REPORT_OPTION. */
export function parseTlp(v: string | undefined): Tlp {
  const s = (v ?? 'AMBER').trim().toUpperCase().replace(/^TLP:/, '');
  if ((TLP_LABELS as readonly string[]).includes(s)) return s as Tlp;
  throw new EdgewatchError('EW_REPORT_OPTION', `--tlp must be one of ${TLP_LABELS.join(', ')} (got ${JSON.stringify(String(v).slice(0, 30))})`);
}

export interface ChecksInfo {
  /** Pack name and version in use when the report was made (`edgewatch-checks` / `0` without manifest). */
  pack: string;
  version: string;
  origin: string;
  /** CVE ids the scan decided (columns of the host view). */
  cves: string[];
}

export interface ReportMeta {
  tlp: Tlp;
  generated_at: string;
  edgewatch_version: string;
  checks: ChecksInfo;
  /** Data sources of the enrichment (bundled or imported), with their versions and dates. */
  data_sources: DataSourceInfo[];
}

export async function checksInfo(cves: string[]): Promise<ChecksInfo> {
  try {
    const p = await activePack();
    return { pack: p.name, version: p.version, origin: p.origin, cves };
  } catch {
    return { pack: 'unknown', version: 'unknown', origin: 'unknown', cves };
  }
}

export async function reportMeta(tlp: Tlp, cves: string[], sources: DataSourceInfo[], now = new Date()): Promise<ReportMeta> {
  return {
    tlp,
    generated_at: now.toISOString(),
    edgewatch_version: programVersion(),
    checks: await checksInfo(cves),
    data_sources: sources,
  };
}

/** One line per source: `ip-location-db/asn 2.3.2026061719 (2026-06-17, bundled)`. */
export function sourceLines(sources: readonly DataSourceInfo[]): string[] {
  if (sources.length === 0) return ['(no enrichment data recorded for this scan; run `edgewatch enrich --scan`)'];
  return sources.map((s) => `${s.id} ${s.version}${s.date ? ` (${s.date}, ${s.origin})` : ` (${s.origin})`}`);
}

/** The provenance block as lines of text (table / Markdown headers). */
export function metaLines(m: ReportMeta): string[] {
  return [
    `edgewatch ${m.edgewatch_version}, checks ${m.checks.pack} ${m.checks.version} (${m.checks.origin}), CVEs ${m.checks.cves.join(', ') || '(none)'}`,
    `generated ${m.generated_at}`,
    ...sourceLines(m.data_sources).map((l) => `data: ${l}`),
  ];
}
