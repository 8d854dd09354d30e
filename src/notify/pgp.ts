/**
 * OpenPGP signing of notification messages (`openpgp`): the text body is clear-signed inline
 * (the form CSIRT mail tools such as CERT-bund's mailgen use, readable without a PGP client), and
 * each text attachment gets a detached armoured signature (`<name>.asc`). The private key is an
 * ASCII-armoured file (config `notify.pgp.key`), its passphrase from the environment variable named
 * by `notify.pgp.passphrase_env`. Verification helpers serve tests and `notify ingest`-side checks.
 */
import * as openpgp from 'openpgp';
import { EdgewatchError } from '../errors.js';
import { type NotifyConfig, readSecretFile } from './config.js';

export interface Signer {
  /** Fingerprint of the signing key (upper-case hex). */
  fingerprint: string;
  clearSign(text: string): Promise<string>;
  detachedSign(text: string): Promise<string>;
}

const MAX_KEY_BYTES = 256 * 1024;

/** Load and unlock the configured key; null when signing is not configured. */
export async function loadSigner(cfg: NotifyConfig, env: NodeJS.ProcessEnv = process.env): Promise<Signer | null> {
  if (!cfg.pgp) return null;
  const armored = readSecretFile(cfg.pgp.key, 'the OpenPGP key (notify.pgp.key)');
  if (armored.length > MAX_KEY_BYTES) throw new EdgewatchError('EW_NOTIFY_PGP', 'the OpenPGP key file is too large', { file: cfg.pgp.key });
  let passphrase: string | undefined;
  if (cfg.pgp.passphrase_env) {
    passphrase = env[cfg.pgp.passphrase_env];
    if (passphrase === undefined)
      throw new EdgewatchError('EW_NOTIFY_PGP', `notify.pgp.passphrase_env names ${cfg.pgp.passphrase_env}, which is not set`);
  }
  return signerFromArmored(armored, passphrase, cfg.pgp.key);
}

export async function signerFromArmored(armored: string, passphrase: string | undefined, where = 'OpenPGP key'): Promise<Signer> {
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: armored });
  } catch (e) {
    throw new EdgewatchError('EW_NOTIFY_PGP', `not an armoured OpenPGP private key: ${(e as Error).message}`, { file: where });
  }
  if (!key.isDecrypted()) {
    if (passphrase === undefined)
      throw new EdgewatchError('EW_NOTIFY_PGP', 'the OpenPGP key is protected: set notify.pgp.passphrase_env', { file: where });
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (e) {
      throw new EdgewatchError('EW_NOTIFY_PGP', `cannot unlock the OpenPGP key: ${(e as Error).message}`, { file: where });
    }
  }
  const signingKey = key;
  return {
    fingerprint: signingKey.getFingerprint().toUpperCase(),
    async clearSign(text: string): Promise<string> {
      const message = await openpgp.createCleartextMessage({ text: normaliseText(text) });
      return openpgp.sign({ message, signingKeys: signingKey, format: 'armored' });
    },
    async detachedSign(text: string): Promise<string> {
      const message = await openpgp.createMessage({ text: normaliseText(text) });
      return openpgp.sign({ message, signingKeys: signingKey, detached: true, format: 'armored' });
    },
  };
}

/**
 * What is signed is exactly what the receiver gets after MIME decoding: LF line ends and no
 * trailing whitespace (clear-signing ignores it anyway; removing it keeps transfer encodings from
 * changing the text).
 */
export function normaliseText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/[ \t]+$/gm, '');
}

/** Verify a clear-signed text against an armoured public key: the signed text, or an error. */
export async function verifyClearSigned(
  signed: string,
  armoredPublicKey: string,
): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  try {
    const message = await openpgp.readCleartextMessage({ cleartextMessage: signed });
    const verificationKeys = await openpgp.readKey({ armoredKey: armoredPublicKey });
    const r = await openpgp.verify({ message, verificationKeys, expectSigned: true });
    await r.signatures[0].verified;
    return { ok: true, text: String(r.data) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** Verify a detached armoured signature over `text`. */
export async function verifyDetached(text: string, armoredSignature: string, armoredPublicKey: string): Promise<boolean> {
  try {
    const message = await openpgp.createMessage({ text: normaliseText(text) });
    const signature = await openpgp.readSignature({ armoredSignature });
    const verificationKeys = await openpgp.readKey({ armoredKey: armoredPublicKey });
    const r = await openpgp.verify({ message, signature, verificationKeys, expectSigned: true });
    await r.signatures[0].verified;
    return true;
  } catch {
    return false;
  }
}
