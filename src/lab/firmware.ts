/**
 * The lab's own knowledge of NetScaler firmware builds for CVE-2019-19781: which builds are
 * vulnerable, first-fixed or later-fixed per branch, which rdx_en.json.gz stamp and vhash a build
 * serves (from data/netscaler-versions.csv), and which builds are absent from that table (with
 * invented stamps that are guaranteed not to be in it). Written independently of src/checks: the
 * lab must not reuse the scanner's idea of the truth.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { EdgewatchError } from '../errors.js';

/** One firmware build as the lab emulates it. */
export interface Build {
  /** e.g. `13.0-47.22`. */
  version: string;
  /** e.g. `13.0`. */
  branch: string;
  /** [major, minor, build, sub], e.g. [13, 0, 47, 22]. */
  parts: readonly [number, number, number, number];
  /** MTIME of the served rdx_en.json.gz, or null when the build has no such file (404). */
  stamp: number | null;
  /** `?v=` hash on /vpn/index.html asset URLs, or null. */
  vhash: string | null;
  /** The served stamp is in the CSV with this exact version. */
  stampKnown: boolean;
  /** /vpn/pluginlist.xml carries the firmware version as EPA version (10.5–12.1). */
  pluginlistLeaks: boolean;
  /** /epa/epa.html carries `var nsversion="a,b,c,d";` (10.5, 11.1, 12.0). */
  nsversionLeak: boolean;
  /** EPA plug-in version written into pluginlist.xml. */
  epaVersion: string;
  /** Approximate build time (Unix seconds). */
  date: number;
  /** Branch affected by CVE-2019-19781 and build below the branch's first fixed build. */
  vulnerable: boolean;
  /** 12.1 builds on which the CTX267679 responder policy does not stop the traversal. */
  responderIneffective: boolean;
  /** The exact version can be read from outside (known stamp or pluginlist leak). */
  fingerprintable: boolean;
}

/** First fixed build per affected branch (DOMAIN §3.6, CTX267027). */
export const FIRST_FIXED: Readonly<Record<string, string>> = {
  '10.5': '10.5-70.12',
  '11.1': '11.1-63.15',
  '12.0': '12.0-63.13',
  '12.1': '12.1-55.18',
  '13.0': '13.0-47.24',
};

export const AFFECTED_BRANCHES = ['10.5', '11.1', '12.0', '12.1', '13.0'] as const;

/** Old-branch builds: no rdx_en.json.gz (404), no vhash; version leaks via pluginlist/epa. */
const OLD_VULNERABLE: Record<string, string[]> = {
  '10.5': ['10.5-66.9', '10.5-67.13', '10.5-68.7', '10.5-69.5'],
  '11.1': ['11.1-60.14', '11.1-61.8', '11.1-62.8'],
  '12.0': ['12.0-60.10', '12.0-61.48', '12.0-62.10'],
};
const OLD_LATER_FIXED: Record<string, string[]> = { '10.5': ['10.5-70.18'] };
const OLD_FIRST_FIXED = ['10.5-70.12'];

/** Builds absent from the CSV, with invented stamps (checked not to be in the CSV at load). */
const ABSENT: ReadonlyArray<{ version: string; date: string }> = [
  { version: '12.0-63.13', date: '2020-01-18T10:12:41Z' },
  { version: '12.1-49.30', date: '2018-09-20T08:41:07Z' },
  { version: '12.1-50.20', date: '2018-11-10T14:03:55Z' },
  { version: '13.0-41.25', date: '2019-10-01T11:22:33Z' },
  { version: '13.0-47.10', date: '2019-11-20T09:15:02Z' },
  { version: '12.1-55.20', date: '2020-02-10T16:45:12Z' },
  { version: '13.0-52.30', date: '2020-04-10T07:30:45Z' },
  { version: '13.0-64.40', date: '2020-09-10T13:14:15Z' },
  { version: '13.1-27.65', date: '2022-07-20T18:05:09Z' },
  { version: '14.1-21.60', date: '2024-04-25T12:00:01Z' },
];
/** Absent builds used by the `citrix-absent-*` personas (12.0-63.13 is only a first-fixed build). */
export const ABSENT_VULNERABLE = ['12.1-49.30', '12.1-50.20', '13.0-41.25', '13.0-47.10'];
export const ABSENT_FIXED = ['12.1-55.20', '13.0-52.30', '13.0-64.40', '13.1-27.65', '14.1-21.60'];

/** CSV rows whose version is "unknown": the build the lab pretends they are. */
const UNKNOWN_ROW_BUILD: Readonly<Record<number, string>> = {
  1550038312: '12.1-50.36',
  1555671862: '12.1-51.25',
  1559549823: '13.0-36.31',
  1563208967: '12.1-52.13',
  1568672574: '13.0-41.23',
  1570444648: '12.1-54.16',
  1584553276: '13.0-52.21',
  1606051758: '13.0-67.41',
  1609926222: '12.1-60.18',
};

interface CsvRow {
  stamp: number;
  vhash: string | null;
  version: string;
}

/** The firmware catalogue: every build the lab can serve, plus the per-branch lists. */
export interface Firmware {
  builds: ReadonlyMap<string, Build>;
  /** Vulnerable builds per affected branch. */
  vulnerable: Readonly<Record<string, readonly Build[]>>;
  /** Fixed builds after the first fixed one, per branch (incl. 13.1 and 14.1). */
  laterFixed: Readonly<Record<string, readonly Build[]>>;
  /** All fixed builds from the CSV with a known stamp (patched-later pool). */
  laterFixedAll: readonly Build[];
  firstFixed: Readonly<Record<string, Build>>;
  /** Absent-from-table builds (vulnerable / fixed). */
  absentVulnerable: readonly Build[];
  absentFixed: readonly Build[];
  /** Builds standing for the CSV rows whose version is "unknown". */
  csvUnknown: readonly Build[];
  /** Every stamp in the CSV (to prove invented stamps are absent). */
  csvStamps: ReadonlySet<number>;
  get(version: string): Build;
}

export function parseVersion(v: string): [number, number, number, number] | null {
  const m = /^(\d+)\.(\d+)-(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] : null;
}

export function compareParts(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 4; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function epaVersionFor(parts: readonly number[], date: number): string {
  const [maj, min, b, s] = parts;
  if (maj !== undefined && maj <= 12) {
    return `${maj}.${min}.${b}.${s}`;
  }
  const year = new Date(date * 1000).getUTCFullYear();
  const table: Record<number, string> = {
    2019: '19.6.1.20',
    2020: '20.8.1.3',
    2021: '21.3.1.25',
    2022: '22.2.1.103',
    2023: '23.5.1.3',
  };
  return table[year] ?? (year < 2019 ? '19.1.1.12' : '24.2.1.7');
}

function makeBuild(version: string, stamp: number | null, vhash: string | null, stampKnown: boolean, date: number): Build {
  const parts = parseVersion(version);
  if (!parts) throw new EdgewatchError('EW_LAB_FIRMWARE', `bad firmware version "${version}"`);
  const branch = `${parts[0]}.${parts[1]}`;
  const fixed = FIRST_FIXED[branch];
  const fixedParts = fixed ? parseVersion(fixed) : null;
  const vulnerable = fixedParts !== null && compareParts(parts, fixedParts) < 0;
  const old = parts[0] < 12 || branch === '12.0';
  const pluginlistLeaks = parts[0] <= 12;
  return {
    version,
    branch,
    parts,
    stamp,
    vhash,
    stampKnown,
    pluginlistLeaks,
    nsversionLeak: old,
    epaVersion: epaVersionFor(parts, date),
    date,
    vulnerable,
    responderIneffective: branch === '12.1' && compareParts(parts, [12, 1, 51, 16]) < 0 && version !== '12.1-50.31',
    fingerprintable: stampKnown || pluginlistLeaks,
  };
}

function inventedVhash(version: string, date: number): string | null {
  // vhashes disappeared from mainline builds in mid-2023; old branches never had them here.
  if (date >= Date.UTC(2023, 4, 1) / 1000) return null;
  return createHash('md5').update(`edgewatch-lab:${version}`).digest('hex');
}

function readCsv(file: string): CsvRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_FIRMWARE', `cannot read firmware table ${file}`, { file, cause });
  }
  const records = parse(text, { columns: true, skip_empty_lines: true, trim: true }) as Array<Record<string, string>>;
  const rows: CsvRow[] = [];
  records.forEach((r, i) => {
    const stamp = Number(r.rdx_en_stamp);
    const version = r.version ?? '';
    if (!Number.isInteger(stamp) || stamp <= 0 || (version !== 'unknown' && !parseVersion(version))) {
      throw new EdgewatchError('EW_LAB_FIRMWARE', `bad firmware table row`, { file, line: i + 2 });
    }
    rows.push({ stamp, vhash: r.vhash ? r.vhash : null, version });
  });
  return rows;
}

/** Default location of the firmware table inside the repository. */
export const DEFAULT_FIRMWARE_CSV = new URL('../../data/netscaler-versions.csv', import.meta.url);

let cached: Firmware | null = null;

/** Load (once) and return the firmware catalogue. */
export function loadFirmware(file: string | URL = DEFAULT_FIRMWARE_CSV): Firmware {
  if (cached && file === DEFAULT_FIRMWARE_CSV) return cached;
  const path = typeof file === 'string' ? file : file.pathname;
  const rows = readCsv(path);
  const builds = new Map<string, Build>();
  const csvStamps = new Set<number>();
  const add = (b: Build): Build => {
    builds.set(b.version, b);
    return b;
  };
  for (const r of rows) {
    csvStamps.add(r.stamp);
    // Versions with two stamps: keep the first row (both are known to the table).
    if (r.version !== 'unknown' && !builds.has(r.version)) add(makeBuild(r.version, r.stamp, r.vhash, true, r.stamp));
  }
  const csvUnknown: Build[] = [];
  for (const r of rows) {
    const v = r.version === 'unknown' ? UNKNOWN_ROW_BUILD[r.stamp] : undefined;
    if (v && !builds.has(v)) csvUnknown.push(add(makeBuild(v, r.stamp, r.vhash, false, r.stamp)));
  }
  for (const a of ABSENT) {
    const stamp = Math.floor(Date.parse(a.date) / 1000);
    if (csvStamps.has(stamp)) throw new EdgewatchError('EW_LAB_FIRMWARE', `invented stamp ${stamp} for ${a.version} is in the table`);
    if (builds.has(a.version)) throw new EdgewatchError('EW_LAB_FIRMWARE', `invented build ${a.version} is in the table`);
    add(makeBuild(a.version, stamp, inventedVhash(a.version, stamp), false, stamp));
  }
  const approxOldDate = Date.UTC(2019, 5, 1) / 1000;
  for (const list of [...Object.values(OLD_VULNERABLE), ...Object.values(OLD_LATER_FIXED), OLD_FIRST_FIXED]) {
    for (const v of list) add(makeBuild(v, null, null, false, approxOldDate));
  }
  const get = (version: string): Build => {
    const b = builds.get(version);
    if (!b) throw new EdgewatchError('EW_LAB_FIRMWARE', `unknown lab build ${version}`);
    return b;
  };
  const all = [...builds.values()].sort((a, b) => compareParts(a.parts, b.parts));
  const inTable = all.filter((b) => b.stampKnown);
  const vulnerable: Record<string, Build[]> = {};
  const laterFixed: Record<string, Build[]> = {};
  const firstFixed: Record<string, Build> = {};
  for (const br of AFFECTED_BRANCHES) {
    firstFixed[br] = get(FIRST_FIXED[br] as string);
    vulnerable[br] = OLD_VULNERABLE[br] ? OLD_VULNERABLE[br].map(get) : inTable.filter((b) => b.branch === br && b.vulnerable);
    laterFixed[br] = [
      ...(OLD_LATER_FIXED[br] ?? []).map(get),
      ...inTable.filter((b) => b.branch === br && !b.vulnerable && b.version !== FIRST_FIXED[br]),
    ];
  }
  const laterFixedAll = inTable.filter((b) => !b.vulnerable && !Object.values(FIRST_FIXED).includes(b.version));
  const fw: Firmware = {
    builds,
    vulnerable,
    laterFixed,
    laterFixedAll,
    firstFixed,
    absentVulnerable: ABSENT_VULNERABLE.map(get),
    absentFixed: ABSENT_FIXED.map(get),
    csvUnknown,
    csvStamps,
    get,
  };
  if (file === DEFAULT_FIRMWARE_CSV) cached = fw;
  return fw;
}
