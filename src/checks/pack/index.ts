/**
 * Versioned check packs (issue 7): a pack is `checks/*.yaml` + `data/*.csv` with a `manifest.json`
 * (name, version, created, edgewatch range, files with SHA-256 and size) and an optional Ed25519
 * signature `manifest.json.sig`. This folder owns the format (manifest.ts), reading (source.ts),
 * verification (verify.ts, signature.ts), installation (install.ts), the choice of the pack in use
 * (active.ts) and building packs (build.ts). Users: docs/packs-and-nuclei.md.
 */
export { type ActivePack, activePack, bundledPack, defaultCheckLocation, type PackInfo, packsRoot, programVersion } from './active.js';
export { buildPack, collectPackFiles, defaultRange, expectedBundledManifest, readBundledManifest, writeBundledManifest } from './build.js';
export { type UpdateOptions, type UpdateResult, updatePack } from './install.js';
export { BUNDLED_MANIFEST, type Manifest, MANIFEST_NAME, PACK_LIMITS, parseManifest, SIGNATURE_NAME, sha256Hex } from './manifest.js';
export { generateSigningKeys, loadPublicKey, signManifest, type TrustedKey } from './signature.js';
export { readPack } from './source.js';
export { verifyPack } from './verify.js';
export { compareVersions, isVersion, satisfies } from './version.js';
