/**
 * Deterministic identifiers for exports: RFC 4122 version-5 UUIDs (SHA-1 over a namespace and a
 * name), so the same scan exported twice gives the same STIX ids and MISP uuids. STIX cyber-
 * observables use the namespace the STIX 2.1 specification fixes for them (§2.9), with the
 * canonical JSON of their identifying properties as the name.
 */
import { createHash } from 'node:crypto';

/** Namespace of edgewatch's own ids (a fixed random v4 UUID). */
export const EDGEWATCH_NS = '2f6d1c3e-8a4b-4e0f-9b7d-5c1a2e3f4d60';
/** STIX 2.1 namespace for deterministic SCO ids. */
export const STIX_SCO_NS = '00abedb4-aa42-466c-9c01-fed23315a9b7';

function nsBytes(ns: string): Buffer {
  return Buffer.from(ns.replace(/-/g, ''), 'hex');
}

export function uuidv5(name: string, ns: string = EDGEWATCH_NS): string {
  const h = createHash('sha1').update(nsBytes(ns)).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
