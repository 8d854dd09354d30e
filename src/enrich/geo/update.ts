/**
 * `edgewatch data update`: download fresh ip-location-db files and install them exactly like
 * `data import` would (full validation first; a failed download or a broken file changes nothing).
 * Default mirror: the jsDelivr CDN paths of the @ip-location-db npm packages; `--from BASE` points
 * at another mirror with the same layout (tests use a local server). Refused when EDGEWATCH_OFFLINE
 * is set. Downloads are bounded in size and time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgewatchError } from '../../errors.js';
import { type ImportResult, importGeoData } from './import.js';

export const DEFAULT_UPDATE_BASE = 'https://cdn.jsdelivr.net/npm/@ip-location-db';

/** What an update fetches (paths relative to the base) and the source each set becomes. */
export const UPDATE_SETS: ReadonlyArray<{ name: string; kind: 'asn' | 'country'; paths: string[] }> = [
  { name: 'update-country', kind: 'country', paths: ['geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb'] },
  { name: 'update-asn', kind: 'asn', paths: ['asn/asn-ipv4-num.csv', 'asn/asn-ipv6-num.csv'] },
];

export interface UpdateOptions {
  dataDir: string;
  /** Mirror base URL (default DEFAULT_UPDATE_BASE). */
  from?: string;
  /** Per-file time limit, ms (default 120 s). */
  timeoutMs?: number;
  /** Largest download, bytes (default 256 MiB). */
  maxBytes?: number;
  /** Progress messages. */
  log?: (msg: string) => void;
}

export function offline(): boolean {
  const v = process.env.EDGEWATCH_OFFLINE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

async function download(url: string, timeoutMs: number, maxBytes: number): Promise<Buffer> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const res = await fetch(url, { signal: ac.signal, redirect: 'follow' });
    if (!res.ok || !res.body) throw new EdgewatchError('EW_DATA_UPDATE', `download failed: HTTP ${res.status} for ${url}`);
    const len = Number(res.headers.get('content-length') ?? '0');
    if (len > maxBytes) throw new EdgewatchError('EW_DATA_UPDATE', `download larger than ${maxBytes} bytes: ${url}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) {
        ac.abort();
        throw new EdgewatchError('EW_DATA_UPDATE', `download larger than ${maxBytes} bytes: ${url}`);
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
  } catch (e) {
    if (e instanceof EdgewatchError) throw e;
    const why = ac.signal.aborted ? `timed out after ${timeoutMs} ms` : ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    throw new EdgewatchError('EW_DATA_UPDATE', `download failed: ${why}: ${url}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads every set first, then installs them (validated); nothing is installed if any download fails. */
export async function updateGeoData(opts: UpdateOptions): Promise<ImportResult[]> {
  if (offline()) throw new EdgewatchError('EW_DATA_OFFLINE', 'EDGEWATCH_OFFLINE is set: not downloading; import files with `edgewatch data import` instead');
  const base = (opts.from ?? DEFAULT_UPDATE_BASE).replace(/\/+$/, '');
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new EdgewatchError('EW_CLI_USAGE', `--from must be an http(s) URL, got "${base}"`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new EdgewatchError('EW_CLI_USAGE', `--from must be an http(s) URL, got "${base}"`);
  const log = opts.log ?? (() => {});
  const tmp = mkdtempSync(join(tmpdir(), 'edgewatch-update-'));
  try {
    const fetched: Array<{ set: (typeof UPDATE_SETS)[number]; files: string[] }> = [];
    for (const set of UPDATE_SETS) {
      const files: string[] = [];
      for (const p of set.paths) {
        const url = `${base}/${p}`;
        log(`downloading ${url}`);
        const buf = await download(url, opts.timeoutMs ?? 120_000, opts.maxBytes ?? 256 * 1024 * 1024);
        const f = join(tmp, p.replace(/\//g, '__'));
        writeFileSync(f, buf);
        files.push(f);
      }
      fetched.push({ set, files });
    }
    // Validate all before installing any.
    for (const { set, files } of fetched) importGeoData(files, { dataDir: opts.dataDir, kind: set.kind, name: set.name, dryRun: true });
    return fetched.map(({ set, files }) =>
      importGeoData(files, { dataDir: opts.dataDir, kind: set.kind, name: set.name, origin: set.paths.map((p) => `${base}/${p}`).join(' + ') }),
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
