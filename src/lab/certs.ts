/**
 * Certificate pool: turns the seeded identities (identity.ts) into keys, X.509 certificates
 * (@peculiar/x509 over WebCrypto) and a small set of reusable TLS SecureContexts, generated at
 * start in parallel. A lab CA (ECDSA P-256) issues the organisation and site certificates; Citrix
 * factory defaults and legacy defaults are self-signed with serial 01. Legacy contexts speak only
 * TLS 1.0 with weak RSA ciphers at @SECLEVEL=0. The hostile identity's subject is built from its
 * exact attributes (UTF8String each, no DN-string parsing) and its SANs are checked to be ASCII
 * (dNSName is an IA5String: anything else would be silently mangled by the encoder).
 */
import { createSecureContext, type SecureContext } from 'node:tls';
import './reflect-shim.js';
import * as x509 from '@peculiar/x509';
import { EdgewatchError } from '../errors.js';
import { type CertIdentity, type KeyKind, LAB_CA_DN } from './identity.js';

x509.cryptoProvider.set(globalThis.crypto);

/** A usable server identity. */
export interface PoolCert {
  identity: CertIdentity;
  context: SecureContext;
  certPem: string;
}

export interface CertPool {
  certs: PoolCert[];
  /** PEM of the lab CA (for clients that want to verify). */
  caPem: string;
}

/** Cipher list of the legacy-TLS appliance (weak RSA key exchange only). */
export const LEGACY_CIPHERS = 'AES256-SHA:DES-CBC3-SHA:@SECLEVEL=0';

type KeyAlg = RsaHashedKeyGenParams | EcKeyGenParams;

function algFor(kind: KeyKind): KeyAlg {
  if (kind === 'ec-p256') return { name: 'ECDSA', namedCurve: 'P-256' };
  const bits = kind === 'rsa-512' ? 512 : kind === 'rsa-1024' ? 1024 : 2048;
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: bits };
}

function signingAlg(kind: KeyKind): Algorithm | EcdsaParams {
  return kind === 'ec-p256' ? ({ name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams) : { name: 'RSASSA-PKCS1-v1_5' };
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await globalThis.crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

function validity(id: CertIdentity): { notBefore: Date; notAfter: Date } {
  // Factory defaults: long-lived (15 years); CA-issued: one year around day 0 of the lab.
  if (id.selfSigned) return { notBefore: new Date(Date.UTC(2017, 2, 1)), notAfter: new Date(Date.UTC(2032, 2, 1)) };
  return { notBefore: new Date(Date.UTC(2019, 8, 1)), notAfter: new Date(Date.UTC(2030, 8, 1)) };
}

/** Subject of an identity: its exact attributes when it has them, else its DN string. */
function subjectOf(id: CertIdentity): string | x509.Name {
  if (!id.subjectAttrs) return id.subject;
  return new x509.Name(id.subjectAttrs.map((a) => ({ [a.type]: [{ utf8String: a.value }] })));
}

async function makeCert(id: CertIdentity, ca: { keys: CryptoKeyPair; cert: x509.X509Certificate }): Promise<PoolCert> {
  for (const san of id.sans) {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5String is 7-bit ASCII, controls included
    if (!/^[\x00-\x7f]*$/.test(san)) throw new Error(`SAN ${JSON.stringify(san)} is not ASCII (a dNSName is an IA5String)`);
  }
  const alg = algFor(id.key);
  const keys = (await globalThis.crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const extensions: x509.Extension[] = [];
  if (id.sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(id.sans.map((v) => ({ type: 'dns' as const, value: v }))));
  const { notBefore, notAfter } = validity(id);
  let cert: x509.X509Certificate;
  if (id.selfSigned) {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: id.serial,
      name: subjectOf(id),
      notBefore,
      notAfter,
      keys,
      signingAlgorithm: signingAlg(id.key),
      extensions,
    });
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: id.serial,
      subject: subjectOf(id),
      issuer: ca.cert.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
      extensions,
    });
  }
  const certPem = cert.toString('pem');
  const chain = id.selfSigned ? certPem : `${certPem}\n${ca.cert.toString('pem')}`;
  const key = await keyPem(keys.privateKey);
  // NetScaler's default SSL profile of the time offers TLS 1.0–1.2 (1.3 off); other sites allow 1.3.
  // The hostile certificate sits mostly on a Gateway (and on one ordinary site): NetScaler profile.
  const citrix = id.pool === 'citrix-default' || id.pool === 'org' || id.pool === 'hostile';
  const context = id.legacy
    ? createSecureContext({ key, cert: chain, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: LEGACY_CIPHERS })
    : createSecureContext({ key, cert: chain, minVersion: citrix ? 'TLSv1' : 'TLSv1.2', maxVersion: citrix ? 'TLSv1.2' : 'TLSv1.3' });
  return { identity: id, context, certPem };
}

/** Generate the CA and one certificate + SecureContext per identity. */
export async function createCertPool(identities: readonly CertIdentity[]): Promise<CertPool> {
  try {
    const caAlg: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
    const caKeys = (await globalThis.crypto.subtle.generateKey(caAlg, true, ['sign', 'verify'])) as CryptoKeyPair;
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: LAB_CA_DN,
      notBefore: new Date(Date.UTC(2015, 0, 1)),
      notAfter: new Date(Date.UTC(2040, 0, 1)),
      keys: caKeys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    const ca = { keys: caKeys, cert: caCert };
    const certs = await Promise.all(identities.map((id) => makeCert(id, ca)));
    return { certs, caPem: caCert.toString('pem') };
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_CERTS', `cannot generate the lab certificate pool: ${(cause as Error).message}`, { cause });
  }
}
