/**
 * Verifying a pack read into memory: the manifest is valid, its signature (when present, and
 * always when a trusted key is configured) verifies, every listed file is there with its size and
 * SHA-256, and there is no file the manifest does not list. Throws a typed EW_PACK_* error naming
 * every offending file; never touches the file system.
 */
import { EdgewatchError } from '../../errors.js';
import { MANIFEST_NAME, type Manifest, PACK_LIMITS, parseManifest, SIGNATURE_NAME, sha256Hex } from './manifest.js';
import { decodeSignature, type TrustedKey, verifyManifest } from './signature.js';
import type { PackContents } from './source.js';

export interface VerifyOptions {
  /** Trusted public keys; when any is given, a valid signature by one of them is required. */
  keys?: readonly TrustedKey[];
  /** Skip the signature (installed packs: it was verified when they were installed). */
  skipSignature?: boolean;
}

export interface VerifiedPack {
  source: string;
  manifest: Manifest;
  /** Exact bytes of manifest.json (and of the signature, when present). */
  manifestBytes: Buffer;
  signatureBytes: Buffer | null;
  /** The key that verified the signature, or null for an unsigned pack. */
  signedBy: string | null;
  /** The listed files only (manifest and signature excluded). */
  files: Map<string, Buffer>;
}

function listed(items: string[], max = 10): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function verifyPack(pack: PackContents, opts: VerifyOptions = {}): VerifiedPack {
  const file = pack.source;
  const fail = (code: string, message: string) => new EdgewatchError(code, `${message}; nothing was changed`, { file });
  const manifestBytes = pack.files.get(MANIFEST_NAME);
  if (!manifestBytes) throw fail('EW_PACK_MANIFEST', `no ${MANIFEST_NAME} at the root of the pack`);
  if (manifestBytes.length > PACK_LIMITS.manifestBytes) throw fail('EW_PACK_MANIFEST', `${MANIFEST_NAME} is larger than ${PACK_LIMITS.manifestBytes} bytes`);
  const parsed = parseManifest(manifestBytes);
  if ('problem' in parsed) throw fail('EW_PACK_MANIFEST', `${MANIFEST_NAME}: ${parsed.problem}`);
  const manifest = parsed.manifest;

  // Signature first: a tampered manifest must be reported as such, not as a checksum puzzle.
  const keys = opts.keys ?? [];
  const sigBytes = pack.files.get(SIGNATURE_NAME) ?? null;
  let signedBy: string | null = null;
  if (opts.skipSignature) {
    /* verified at install time */
  } else if (sigBytes) {
    const sig = sigBytes.length <= PACK_LIMITS.signatureBytes ? decodeSignature(sigBytes) : null;
    if (!sig) throw fail('EW_PACK_SIGNATURE', `${SIGNATURE_NAME} is not a base64 Ed25519 signature`);
    if (keys.length === 0)
      throw fail('EW_PACK_SIGNATURE', `the pack is signed but no trusted public key is configured: pass --key FILE (Ed25519 PEM) or set pack_keys in the config`);
    const k = verifyManifest(manifestBytes, sig, keys);
    if (!k) throw fail('EW_PACK_SIGNATURE', `bad signature: ${SIGNATURE_NAME} does not verify with any trusted key (${keys.map((x) => x.source).join(', ')})`);
    signedBy = k.source;
  } else if (keys.length > 0) {
    throw fail('EW_PACK_SIGNATURE', `the pack is not signed (no ${SIGNATURE_NAME}) but a trusted key is configured, so a signature is required`);
  }

  const listedPaths = new Set(manifest.files.map((f) => f.path));
  const extra = [...pack.files.keys()].filter((n) => n !== MANIFEST_NAME && n !== SIGNATURE_NAME && !listedPaths.has(n)).sort();
  if (extra.length > 0) throw fail('EW_PACK_FILES', `file(s) not listed in the manifest: ${listed(extra)}`);
  const missing = manifest.files.filter((f) => !pack.files.has(f.path)).map((f) => f.path);
  if (missing.length > 0) throw fail('EW_PACK_FILES', `file(s) listed in the manifest but missing from the pack: ${listed(missing)}`);
  const wrong: string[] = [];
  const files = new Map<string, Buffer>();
  for (const f of manifest.files) {
    const data = pack.files.get(f.path) as Buffer;
    if (data.length !== f.size) wrong.push(`${f.path} (size ${data.length}, manifest says ${f.size})`);
    else if (sha256Hex(data) !== f.sha256) wrong.push(`${f.path} (SHA-256 differs from the manifest)`);
    files.set(f.path, data);
  }
  if (wrong.length > 0) throw fail('EW_PACK_CHECKSUM', `checksum mismatch: ${listed(wrong)}`);
  return { source: file, manifest, manifestBytes, signatureBytes: sigBytes, signedBy, files };
}
