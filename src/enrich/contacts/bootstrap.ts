/**
 * IANA RDAP bootstrap (RFC 9224) for IP addresses: which RIR's RDAP service answers for an address.
 * Reads the ipv4/ipv6 bootstrap JSON (bundled copy in data/rdap/, or a newer one the user put into
 * `<data dir>/rdap/`, or an explicit file), validates it with zod, and answers by longest-prefix
 * match. Only http(s) base URLs are used; https is preferred when a service lists both.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { dataDir } from '../../data-dir.js';
import { EdgewatchError } from '../../errors.js';
import { type Addr, parseCidr, type Range } from './ip.js';

const MAX_BOOTSTRAP_BYTES = 4 * 1024 * 1024;

const BootstrapFile = z.object({
  description: z.string().optional(),
  publication: z.string().optional(),
  version: z.string().optional(),
  services: z.array(z.tuple([z.array(z.string()).max(100_000), z.array(z.string()).max(16)]).rest(z.unknown())).max(10_000),
});

interface Entry {
  range: Range;
  bits: number;
  base: string;
}

/** Where the bundled copies live (data/rdap at the package root). */
export function bundledBootstrapDir(): string {
  // src/enrich/contacts → package root
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'data', 'rdap');
}

export interface BootstrapInfo {
  /** Files read, with their `publication` dates. */
  files: Array<{ path: string; publication: string | null }>;
}

export class RdapBootstrap {
  readonly #entries: Entry[];
  readonly info: BootstrapInfo;

  constructor(entries: Entry[], info: BootstrapInfo) {
    // Longest prefix first, so the first containing entry is the most specific.
    this.#entries = [...entries].sort((a, b) => b.bits - a.bits);
    this.info = info;
  }

  /** The RDAP base URL (ending in `/`) responsible for an address, or null when none covers it. */
  baseFor(a: Addr): string | null {
    for (const e of this.#entries) {
      if (e.range.fam === a.fam && a.value >= e.range.start && a.value <= e.range.end) return e.base;
    }
    return null;
  }

  get size(): number {
    return this.#entries.length;
  }
}

function pickBase(urls: string[]): string | null {
  const ok = urls.filter((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'https:' || p === 'http:';
    } catch {
      return false;
    }
  });
  const best = ok.find((u) => u.startsWith('https:')) ?? ok[0];
  if (!best) return null;
  return best.endsWith('/') ? best : `${best}/`;
}

/** Parse one bootstrap document (already JSON-decoded). `path` names it in errors. */
export function parseBootstrap(doc: unknown, path: string): { entries: Entry[]; publication: string | null } {
  const parsed = BootstrapFile.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new EdgewatchError('EW_RDAP_CONFIG', `not an RDAP bootstrap file: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`, { file: path });
  }
  const entries: Entry[] = [];
  for (const [prefixes, urls] of parsed.data.services) {
    const base = pickBase(urls);
    if (!base) continue;
    for (const p of prefixes) {
      // IANA's v4 file has used bare "/8" forms such as "8" in drafts; accept them.
      const range = parseCidr(/^\d{1,3}$/.test(p) ? `${p}.0.0.0/8` : p);
      if (!range) continue;
      const size = range.end - range.start + 1n;
      entries.push({ range, bits: (range.fam === 4 ? 32 : 128) - (size.toString(2).length - 1), base });
    }
  }
  return { entries, publication: parsed.data.publication ?? null };
}

function readJsonFile(path: string): unknown {
  let text: string;
  try {
    if (statSync(path).size > MAX_BOOTSTRAP_BYTES) throw new Error(`larger than ${MAX_BOOTSTRAP_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new EdgewatchError('EW_RDAP_CONFIG', `cannot read RDAP bootstrap: ${(cause as Error).message}`, { file: path, cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new EdgewatchError('EW_RDAP_CONFIG', `RDAP bootstrap is not valid JSON: ${(cause as Error).message}`, { file: path, cause });
  }
}

/**
 * Load the bootstrap. `spec`: a file (one family), or a directory holding `ipv4.json`/`ipv6.json`.
 * Default: `<data dir>/rdap/` when it holds the files, else the bundled copies.
 */
export function loadBootstrap(spec?: string, config?: { data_dir?: string }): RdapBootstrap {
  let paths: string[];
  if (spec) {
    const p = resolve(spec);
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch (cause) {
      throw new EdgewatchError('EW_RDAP_CONFIG', 'RDAP bootstrap not found', { file: p, cause });
    }
    paths = isDir ? ['ipv4.json', 'ipv6.json'].map((f) => join(p, f)).filter((f) => existsSync(f)) : [p];
  } else {
    const user = join(dataDir(config), 'rdap');
    const bundled = bundledBootstrapDir();
    paths = ['ipv4.json', 'ipv6.json'].map((f) => (existsSync(join(user, f)) ? join(user, f) : join(bundled, f))).filter((f) => existsSync(f));
  }
  if (paths.length === 0) throw new EdgewatchError('EW_RDAP_CONFIG', 'no RDAP bootstrap file (ipv4.json / ipv6.json) found', { file: spec });
  const entries: Entry[] = [];
  const files: BootstrapInfo['files'] = [];
  for (const path of paths) {
    const { entries: e, publication } = parseBootstrap(readJsonFile(path), path);
    entries.push(...e);
    files.push({ path, publication });
  }
  return new RdapBootstrap(entries, { files });
}
