/**
 * RIPEstat's abuse-contact-finder data call (`/data/abuse-contact-finder/data.json?resource=<ip>`),
 * the second source of abuse contacts. Answer shape (RIPEstat data API):
 * `{ "status": "ok", "data": { "abuse_contacts": ["abuse@…"], "authoritative_rir": "ripe", … } }`.
 * The answer covers one address (RIPEstat does not state the network), so it is cached per address.
 */
import { cleanEmail } from './rdap.js';

export interface RipestatFacts {
  /** False when the answer is not a successful abuse-contact-finder answer. */
  valid: boolean;
  email: string | null;
  rir: string | null;
}

export function ripestatUrl(base: string, ip: string): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  return `${b}/data/abuse-contact-finder/data.json?resource=${encodeURIComponent(ip)}`;
}

export function readRipestat(doc: unknown): RipestatFacts {
  if (typeof doc !== 'object' || doc === null) return { valid: false, email: null, rir: null };
  const d = doc as { status?: unknown; data?: unknown };
  if (d.status !== undefined && d.status !== 'ok') return { valid: false, email: null, rir: null };
  if (typeof d.data !== 'object' || d.data === null) return { valid: false, email: null, rir: null };
  const data = d.data as { abuse_contacts?: unknown; authoritative_rir?: unknown };
  if (!Array.isArray(data.abuse_contacts)) return { valid: false, email: null, rir: null };
  let email: string | null = null;
  for (const c of data.abuse_contacts.slice(0, 20)) {
    email = cleanEmail(c);
    if (email) break;
  }
  const rir = typeof data.authoritative_rir === 'string' && /^[a-z]{2,10}$/i.test(data.authoritative_rir) ? data.authoritative_rir.toLowerCase() : null;
  return { valid: true, email, rir };
}
