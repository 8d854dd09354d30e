/**
 * Imported data on disk: `<data dir>/geo/sources.json` (the manifest, newest import first) and the
 * range tables it names (`*.ewrt`, built at import time from the MMDB, CSV or TSV file). The manifest is
 * validated with zod on read and replaced atomically (temp file + rename) on write, so a crashed
 * or refused import never leaves a half-installed source.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { EdgewatchError } from '../../errors.js';

export const ManifestEntrySchema = z
  .object({
    /** User-chosen name (`--name`), unique per kind; file names derive from it. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    kind: z.enum(['country', 'asn']),
    /** Format of the file the user imported. */
    format: z.enum(['mmdb', 'ipl-csv', 'iptoasn']),
    /** Range table (`*.ewrt`) inside `<data dir>/geo/`. */
    file: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/),
    version: z.string().max(200),
    date: z.string().nullable(),
    /** What the data is (e.g. `GeoLite2-Country`, `ip-location-db CSV (asn)`, `iptoasn TSV`). */
    description: z.string().max(200),
    original: z.string().max(4096),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    imported_at: z.string(),
    /** Ranges / networks in the source (for `data status`), when known. */
    entries: z.number().int().nonnegative().nullable(),
  })
  .strict();

export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

const ManifestSchema = z.object({ version: z.literal(1), sources: z.array(ManifestEntrySchema) }).strict();

export function geoDir(dataDir: string): string {
  return join(dataDir, 'geo');
}

export function manifestPath(dataDir: string): string {
  return join(geoDir(dataDir), 'sources.json');
}

/** Reads the manifest (empty when there is none). A corrupt manifest is an error naming the file. */
export function readManifest(dataDir: string): ManifestEntry[] {
  const path = manifestPath(dataDir);
  if (!existsSync(path)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new EdgewatchError('EW_DATA_MANIFEST', `cannot read the imported-data manifest: ${(cause as Error).message}`, { file: path, cause });
  }
  const parsed = ManifestSchema.safeParse(doc);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new EdgewatchError('EW_DATA_MANIFEST', `imported-data manifest is invalid at ${i.path.join('.')}: ${i.message}`, { file: path });
  }
  return parsed.data.sources;
}

export function writeManifest(dataDir: string, sources: ManifestEntry[]): void {
  const dir = geoDir(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = manifestPath(dataDir);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify({ version: 1, sources }, null, 2)}\n`);
  renameSync(tmp, path);
}
