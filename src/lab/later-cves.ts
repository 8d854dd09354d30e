/**
 * The lab's own knowledge of the later NetScaler CVEs (DOMAIN §3.6): first fixed builds per build
 * line, end-of-life lines, and which configuration each CVE needs (a Gateway/AAA vserver or the
 * management interface). Used by truth.ts to state the expected classification of every Citrix
 * host per CVE, and by population.ts to pick boundary builds (last unfixed / first fixed of every
 * line). Written independently of checks/*.yaml and src/classify: the lab keeps its own copy of the
 * facts and its own comparison, so a wrong check file shows up as a truth mismatch.
 */
import { EdgewatchError } from '../errors.js';
import { type Build, compareParts, type Firmware, parseVersion } from './firmware.js';

/** What a build line says for one CVE: a first fixed build, or no fix at all. */
export type LineFact = string | 'eol' | 'not_affected' | 'unassessed';

/** Where the vulnerable code is reachable from (what a remote scanner must see to call it vulnerable). */
export type Exposure = 'gateway' | 'mgmt';

export interface LaterCve {
  id: string;
  exposure: Exposure;
  /**
   * Line → fact. Lines: `12.1` (mainline), `12.1-55` (FIPS/NDcPP), `13.0`, `13.1`, `13.1-37`
   * (FIPS/NDcPP), `14.1`, `10.5`/`11.1`/`12.0` (old EOL branches). A missing line = not affected.
   */
  lines: Readonly<Record<string, LineFact>>;
}

const OLD = { '10.5': 'unassessed', '11.1': 'unassessed', '12.0': 'unassessed' } as const;

/** DOMAIN §3.6, restated (CTX463706, CTX474995, CTX561482, CTX579459, CTX584986, CTX693420, CTX694788, CTX694938). */
export const LATER_CVES: readonly LaterCve[] = [
  {
    id: 'CVE-2022-27510',
    exposure: 'gateway',
    lines: { ...OLD, '12.1': '12.1-65.21', '12.1-55': '12.1-55.289', '13.0': '13.0-88.12', '13.1': '13.1-33.47' },
  },
  {
    id: 'CVE-2022-27518',
    exposure: 'gateway',
    lines: { ...OLD, '12.1': '12.1-65.25', '12.1-55': '12.1-55.291', '13.0': '13.0-58.32', '13.1': 'not_affected' },
  },
  {
    id: 'CVE-2023-3519',
    exposure: 'gateway',
    lines: { ...OLD, '12.1': 'eol', '12.1-55': '12.1-55.297', '13.0': '13.0-91.13', '13.1': '13.1-49.13', '13.1-37': '13.1-37.159' },
  },
  {
    id: 'CVE-2023-4966',
    exposure: 'gateway',
    lines: {
      ...OLD,
      '12.1': 'eol',
      '12.1-55': '12.1-55.300',
      '13.0': '13.0-92.19',
      '13.1': '13.1-49.15',
      '13.1-37': '13.1-37.164',
      '14.1': '14.1-8.50',
    },
  },
  ...(['CVE-2023-6548', 'CVE-2023-6549'] as const).map(
    (id): LaterCve => ({
      id,
      exposure: id === 'CVE-2023-6548' ? 'mgmt' : 'gateway',
      lines: {
        ...OLD,
        '12.1': 'eol',
        '12.1-55': '12.1-55.302',
        '13.0': '13.0-92.21',
        '13.1': '13.1-51.15',
        '13.1-37': '13.1-37.176',
        '14.1': '14.1-12.35',
      },
    }),
  ),
  ...(['CVE-2025-5349', 'CVE-2025-5777'] as const).map(
    (id): LaterCve => ({
      id,
      exposure: id === 'CVE-2025-5349' ? 'mgmt' : 'gateway',
      lines: {
        ...OLD,
        '12.1': 'eol',
        '12.1-55': '12.1-55.328',
        '13.0': 'eol',
        '13.1': '13.1-58.32',
        '13.1-37': '13.1-37.235',
        '14.1': '14.1-43.56',
      },
    }),
  ),
  {
    id: 'CVE-2025-6543',
    exposure: 'gateway',
    lines: { ...OLD, '12.1': 'eol', '12.1-55': 'not_affected', '13.0': 'eol', '13.1': '13.1-59.19', '13.1-37': '13.1-37.236', '14.1': '14.1-47.46' },
  },
  {
    id: 'CVE-2025-7775',
    exposure: 'gateway',
    lines: {
      ...OLD,
      '12.1': 'eol',
      '12.1-55': '12.1-55.330',
      '13.0': 'eol',
      '13.1': '13.1-59.22',
      '13.1-37': '13.1-37.241',
      '14.1': '14.1-47.48',
    },
  },
];

/** Every CVE id the lab states in its truth for Citrix hosts besides CVE-2019-19781. */
export const LATER_CVE_IDS: readonly string[] = LATER_CVES.map((c) => c.id);

/** The build line of a build: FIPS/NDcPP trains 12.1-55.x and 13.1-37.x are lines of their own (Fox-IT's rule). */
export function lineOf(b: Build): string {
  const [maj, min, bld] = b.parts;
  const branch = `${maj}.${min}`;
  if ((branch === '12.1' && bld === 55) || (branch === '13.1' && bld === 37)) return `${branch}-${bld}`;
  return branch;
}

/** Whether build `b` is affected by `cve`: fixed, not affected, vulnerable, vulnerable without fix (eol), or unassessed. */
export function buildStatus(cve: LaterCve, b: Build): 'fixed' | 'not_affected' | 'vulnerable' | 'eol' | 'unassessed' {
  const fact = cve.lines[lineOf(b)];
  if (fact === undefined || fact === 'not_affected') return 'not_affected';
  if (fact === 'eol') return 'eol';
  if (fact === 'unassessed') return 'unassessed';
  const f = parseVersion(fact);
  if (!f) throw new EdgewatchError('EW_LAB_FIRMWARE', `bad first fixed build "${fact}" for ${cve.id}`);
  return compareParts(b.parts, f) >= 0 ? 'fixed' : 'vulnerable';
}

/** How a host exposes itself: which login pages answer on the scanned address. */
export interface HostExposure {
  /** The exact build can be read from outside (known stamp or pluginlist/epa leak). */
  versionKnown: boolean;
  /** A Gateway/AAA login page (classic or RfWebUI) answers. */
  gateway: boolean;
  /** The management GUI login page answers at /. */
  mgmt: boolean;
}

/** Expected classification of one Citrix host for one later CVE. */
export function expectedLater(cve: LaterCve, b: Build, x: HostExposure): 'vulnerable' | 'patched' | 'unknown' {
  if (!x.versionKnown) return 'unknown';
  const s = buildStatus(cve, b);
  if (s === 'fixed' || s === 'not_affected') return 'patched';
  if (s === 'unassessed') return 'unknown';
  const exposed = cve.exposure === 'gateway' ? x.gateway : x.mgmt;
  return exposed ? 'vulnerable' : 'unknown';
}

/**
 * Boundary builds for the `citrix-later-build` and `citrix-adc-mgmt` personas: for every line of
 * every later CVE, the first fixed build and the newest table build of that line below it; plus
 * the newest table build of each EOL line (12.1 mainline, 13.0). Only builds whose stamp is in the
 * version table (so the version is readable), sorted, without duplicates.
 */
export function boundaryBuilds(fw: Firmware): Build[] {
  const known = [...fw.builds.values()].filter((b) => b.stampKnown);
  const byLine = new Map<string, Build[]>();
  for (const b of known) {
    const l = lineOf(b);
    byLine.set(l, [...(byLine.get(l) ?? []), b]);
  }
  for (const list of byLine.values()) list.sort((a, b) => compareParts(a.parts, b.parts));
  const out = new Map<string, Build>();
  for (const cve of LATER_CVES) {
    for (const [line, fact] of Object.entries(cve.lines)) {
      const list = byLine.get(line) ?? [];
      if (fact === 'eol') {
        const last = list[list.length - 1];
        if (last) out.set(last.version, last);
        continue;
      }
      const f = parseVersion(fact);
      if (!f) continue;
      const first = list.find((b) => compareParts(b.parts, f) >= 0);
      const below = list.filter((b) => compareParts(b.parts, f) < 0).pop();
      if (first) out.set(first.version, first);
      if (below) out.set(below.version, below);
    }
  }
  return [...out.values()].sort((a, b) => compareParts(a.parts, b.parts));
}
