/**
 * The pack manifest (`manifest.json`): what a check pack is and what it holds. Owns the zod schema,
 * the rules for file names inside a pack, the size limits, and SHA-256 hashing. Pure: no file system
 * writes.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isVersion, rangeProblem } from './version.js';

/** Manifest file name at the root of a pack, and its detached signature. */
export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.json.sig';
/** The manifest of the bundled pack, inside the repository's `checks/` directory. */
export const BUNDLED_MANIFEST = 'checks/MANIFEST.json';

/** Bounds on hostile packs. */
export const PACK_LIMITS = {
  /** Largest single file in a pack. */
  fileBytes: 8 * 1024 * 1024,
  /** All files together (also the cap on decompressed tar data). */
  totalBytes: 64 * 1024 * 1024,
  /** Largest .tar.gz accepted. */
  archiveBytes: 64 * 1024 * 1024,
  /** Files in a pack. */
  files: 4096,
  /** Largest manifest.json / signature. */
  manifestBytes: 1024 * 1024,
  signatureBytes: 4096,
} as const;

/**
 * Files a pack may hold: check files `checks/<name>.yaml|yml` and version tables `data/<name>.csv`
 * (one level, plain names). Everything else (`..`, absolute paths, other folders) is refused.
 */
export const PACK_PATH_RE = /^(?:checks\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.ya?ml|data\/[A-Za-z0-9][A-Za-z0-9._-]{0,127}\.csv)$/;

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export const ManifestFileSchema = z
  .object({
    path: z.string().regex(PACK_PATH_RE, 'must be checks/<name>.yaml or data/<name>.csv'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
    size: z.number().int().min(0).max(PACK_LIMITS.fileBytes),
  })
  .strict();

export const ManifestSchema = z
  .object({
    /** Manifest format version (this is format 1). */
    format: z.literal(1),
    /** Pack name: lower-case letters, digits, `.`, `_`, `-`. */
    name: z.string().regex(NAME_RE, 'lower-case letters, digits, . _ - (at most 64)'),
    /** Semantic (`1.2.0`) or date-based (`2026.11.23`) version. */
    version: z.string().refine(isVersion, 'must be a version like 1.2.0 or 2026.11.23'),
    /** ISO-8601 time the pack was built. */
    created: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time'),
    /** Range of edgewatch versions the pack works with, e.g. `>=0.1.0 <1.0.0`. */
    edgewatch: z.string().superRefine((s, ctx) => {
      const p = rangeProblem(s);
      if (p) ctx.addIssue({ code: 'custom', message: p });
    }),
    description: z.string().max(2000).optional(),
    files: z.array(ManifestFileSchema).min(1).max(PACK_LIMITS.files),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Set<string>();
    m.files.forEach((f, i) => {
      if (seen.has(f.path)) ctx.addIssue({ code: 'custom', path: ['files', i, 'path'], message: `listed twice: ${f.path}` });
      seen.add(f.path);
    });
    if (!m.files.some((f) => f.path.startsWith('checks/')))
      ctx.addIssue({ code: 'custom', path: ['files'], message: 'a pack must hold at least one check file (checks/*.yaml)' });
  });

export type ManifestFile = z.infer<typeof ManifestFileSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parse and validate manifest bytes; returns the manifest or one message naming the field. */
export function parseManifest(bytes: Buffer): { manifest: Manifest } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { problem: `not valid JSON: ${(e as Error).message}` };
  }
  const r = ManifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    return { problem: `${i.path.map(String).join('.') || '(root)'}: ${i.message}` };
  }
  return { manifest: r.data };
}

/** Build a manifest for a set of files (sorted by path). */
export function buildManifest(
  meta: { name: string; version: string; edgewatch: string; created?: string; description?: string },
  files: ReadonlyMap<string, Buffer>,
): Manifest {
  const list = [...files.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, data]) => ({ path, sha256: sha256Hex(data), size: data.length }));
  const m: Manifest = {
    format: 1,
    name: meta.name,
    version: meta.version,
    created: meta.created ?? new Date().toISOString(),
    edgewatch: meta.edgewatch,
    ...(meta.description ? { description: meta.description } : {}),
    files: list,
  };
  return ManifestSchema.parse(m);
}

/** The canonical text of a manifest (what is hashed and signed). */
export function manifestText(m: Manifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
