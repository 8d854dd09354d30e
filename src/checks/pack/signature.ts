/**
 * Detached pack signatures: Ed25519 (node:crypto) over the exact bytes of `manifest.json`, stored
 * base64-encoded in `manifest.json.sig`. Trusted public keys are PEM (SPKI) files given with
 * `--key` or listed in the config (`pack_keys`). Since the manifest pins every file's SHA-256, one
 * signature covers the whole pack.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { EdgewatchError } from '../../errors.js';

export interface TrustedKey {
  /** Where it came from (file name), for messages. */
  source: string;
  key: KeyObject;
}

/** Load one Ed25519 public key (PEM). A private key file is accepted and reduced to its public half. */
export async function loadPublicKey(file: string): Promise<TrustedKey> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (e) {
    throw new EdgewatchError('EW_PACK_KEY', `cannot read the public key: ${(e as Error).message}`, { file, cause: e });
  }
  let key: KeyObject;
  try {
    key = /PRIVATE KEY/.test(pem) ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  } catch (e) {
    throw new EdgewatchError('EW_PACK_KEY', `not a PEM public key: ${(e as Error).message}`, { file, cause: e });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new EdgewatchError('EW_PACK_KEY', `key type ${key.asymmetricKeyType}: only Ed25519 keys are accepted`, { file });
  return { source: file, key };
}

/** Decode a `manifest.json.sig` (base64 text); null when malformed. */
export function decodeSignature(bytes: Buffer): Buffer | null {
  const text = bytes.toString('utf8').trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const sig = Buffer.from(text, 'base64');
  return sig.length === 64 ? sig : null;
}

/** The trusted key that verifies `signature` over `manifest`, or null. */
export function verifyManifest(manifest: Buffer, signature: Buffer, keys: readonly TrustedKey[]): TrustedKey | null {
  for (const k of keys) {
    try {
      if (verify(null, manifest, k.key, signature)) return k;
    } catch {
      /* a key that cannot verify this is simply not the signer */
    }
  }
  return null;
}

/** Sign manifest bytes with an Ed25519 private key (PEM); returns the `.sig` file text. */
export function signManifest(manifest: Buffer, privatePem: string): string {
  const key = createPrivateKey(privatePem);
  if (key.asymmetricKeyType !== 'ed25519') throw new EdgewatchError('EW_PACK_KEY', 'only Ed25519 private keys can sign packs');
  return `${sign(null, manifest, key).toString('base64')}\n`;
}

/** A fresh Ed25519 key pair as PEM texts (for `scripts/pack.mjs --keygen` and tests). */
export function generateSigningKeys(): { publicPem: string; privatePem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
