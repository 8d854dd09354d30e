/**
 * Reading an RDAP IP-network answer (RFC 9083) for what abuse reporting needs: the covering network
 * (startAddress/endAddress, or the cidr0 extension's `cidr0_cidrs`), and the abuse mailbox.
 *
 * Where registries put the abuse address, in the order tried:
 *  1. an entity with role `abuse` anywhere in the entity tree (RIPE and APNIC: top level; ARIN:
 *     nested under the registrant organisation; LACNIC/AFRINIC: top level), its vCard `email`;
 *  2. `remarks` of the network or its entities that mention abuse and contain an address
 *     (older objects: "Abuse contact for '…' is 'abuse@…'");
 *  3. an abuse entity without a vCard but with a `self` link: the caller may fetch that link once.
 * The document is untrusted: the walk is bounded in depth and count, and only well-formed e-mail
 * addresses come out (no control characters, quotes or angle brackets, lower-cased domain).
 */
import { type Addr, contains, parseAddr, parseCidr, type Range } from './ip.js';

const MAX_DEPTH = 5;
const MAX_ENTITIES = 200;
const MAX_REMARK_LINES = 200;

export interface RdapNetworkFacts {
  /** The covering network, when the answer states one that contains the address. */
  range: Range | null;
  /** The cidr0 prefixes or start-end as the registry wrote them (for the record). */
  network: string | null;
  handle: string | null;
  name: string | null;
  email: string | null;
  /** Where the e-mail came from: `entity:<handle>`, `remarks`. */
  via: string | null;
  /** Abuse entities with no e-mail in the answer but a `self` link to fetch. */
  entityLinks: string[];
}

const EMAIL = /^[A-Za-z0-9.!#$%&*+/=?^_{|}~-]{1,64}@(?=.{4,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const EMAIL_IN_TEXT = /[A-Za-z0-9.!#$%&*+/=?^_{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}/g;

/** A clean e-mail address from an untrusted string (`mailto:` stripped), or null. */
export function cleanEmail(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 320) return null;
  let s = raw.trim();
  if (/^mailto:/i.test(s)) s = s.slice(7);
  if (!EMAIL.test(s)) return null;
  const at = s.lastIndexOf('@');
  return `${s.slice(0, at)}@${s.slice(at + 1).toLowerCase()}`;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, max = 200): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

/** E-mail addresses in a jCard (RFC 7095) `vcardArray`. */
export function vcardEmails(vcardArray: unknown): string[] {
  if (!Array.isArray(vcardArray) || vcardArray[0] !== 'vcard' || !Array.isArray(vcardArray[1])) return [];
  const out: string[] = [];
  for (const prop of (vcardArray[1] as unknown[]).slice(0, 200)) {
    if (!Array.isArray(prop) || typeof prop[0] !== 'string' || prop[0].toLowerCase() !== 'email') continue;
    for (const v of prop.slice(3, 8)) {
      const e = cleanEmail(v);
      if (e) out.push(e);
    }
  }
  return out;
}

function remarkEmails(remarks: unknown): string[] {
  if (!Array.isArray(remarks)) return [];
  const out: string[] = [];
  let lines = 0;
  for (const r of remarks.slice(0, 50)) {
    if (!isObj(r)) continue;
    const title = typeof r.title === 'string' ? r.title : '';
    const desc = Array.isArray(r.description) ? r.description : [];
    for (const line of desc) {
      if (++lines > MAX_REMARK_LINES) return out;
      if (typeof line !== 'string' || line.length > 1000) continue;
      if (!/abuse/i.test(title) && !/abuse/i.test(line)) continue;
      for (const m of line.match(EMAIL_IN_TEXT) ?? []) {
        const e = cleanEmail(m);
        if (e) out.push(e);
      }
    }
  }
  return out;
}

function roles(e: Record<string, unknown>): string[] {
  return Array.isArray(e.roles) ? e.roles.filter((r): r is string => typeof r === 'string').map((r) => r.toLowerCase()) : [];
}

function selfLink(e: Record<string, unknown>): string | null {
  if (!Array.isArray(e.links)) return null;
  for (const l of e.links.slice(0, 20)) {
    if (isObj(l) && l.rel === 'self' && typeof l.href === 'string' && /^https?:\/\//i.test(l.href) && l.href.length < 2000) return l.href;
  }
  return null;
}

function networkRange(doc: Record<string, unknown>, a: Addr): { range: Range | null; network: string | null } {
  const cidrs: Range[] = [];
  const texts: string[] = [];
  if (Array.isArray(doc.cidr0_cidrs)) {
    for (const c of doc.cidr0_cidrs.slice(0, 64)) {
      if (!isObj(c)) continue;
      const prefix = str(c.v4prefix, 64) ?? str(c.v6prefix, 64);
      const len = typeof c.length === 'number' ? c.length : null;
      if (!prefix || len === null) continue;
      const r = parseCidr(`${prefix}/${len}`);
      if (r) {
        cidrs.push(r);
        texts.push(`${prefix}/${len}`);
      }
    }
  }
  // The cidr0 prefix containing the address is the tightest statement of the network.
  const inCidr = cidrs.find((r) => contains(r, a));
  if (inCidr) return { range: inCidr, network: texts.join(' ') };
  // Some registries write IPv6 bounds with a full-length suffix (`2001:db8::/128`).
  const bound = (v: unknown) => parseAddr((str(v, 70) ?? '').replace(/\/(32|128)$/, ''));
  const start = bound(doc.startAddress);
  const end = bound(doc.endAddress);
  if (start && end && start.fam === end.fam && start.value <= end.value) {
    const r: Range = { fam: start.fam, start: start.value, end: end.value };
    return { range: contains(r, a) ? r : null, network: `${doc.startAddress} - ${doc.endAddress}` };
  }
  return { range: null, network: texts.length ? texts.join(' ') : null };
}

/** What an RDAP `ip network` answer says about `ip`. */
export function readRdapNetwork(doc: unknown, ip: string): RdapNetworkFacts {
  const facts: RdapNetworkFacts = { range: null, network: null, handle: null, name: null, email: null, via: null, entityLinks: [] };
  const a = parseAddr(ip);
  if (!isObj(doc) || !a) return facts;
  const net = networkRange(doc, a);
  facts.range = net.range;
  facts.network = net.network;
  facts.handle = str(doc.handle);
  facts.name = str(doc.name);

  // Breadth-first over the entity tree: the abuse contact nearest the network wins.
  const queue: Array<{ e: unknown; depth: number }> = Array.isArray(doc.entities) ? doc.entities.slice(0, MAX_ENTITIES).map((e) => ({ e, depth: 1 })) : [];
  const remarkSources: unknown[] = [doc.remarks];
  let visited = 0;
  while (queue.length > 0 && visited < MAX_ENTITIES) {
    const { e, depth } = queue.shift() as { e: unknown; depth: number };
    visited++;
    if (!isObj(e)) continue;
    remarkSources.push(e.remarks);
    if (roles(e).includes('abuse')) {
      const emails = vcardEmails(e.vcardArray);
      if (emails.length > 0) {
        facts.email = emails[0] as string;
        facts.via = `entity:${str(e.handle) ?? '?'}`;
        return facts;
      }
      const link = selfLink(e);
      if (link && facts.entityLinks.length < 2) facts.entityLinks.push(link);
    }
    if (depth < MAX_DEPTH && Array.isArray(e.entities)) {
      for (const child of e.entities.slice(0, MAX_ENTITIES)) {
        if (queue.length >= MAX_ENTITIES) break;
        queue.push({ e: child, depth: depth + 1 });
      }
    }
  }
  for (const r of remarkSources) {
    const emails = remarkEmails(r);
    if (emails.length > 0) {
      facts.email = emails[0] as string;
      facts.via = 'remarks';
      return facts;
    }
  }
  return facts;
}

/** The abuse e-mail of an RDAP `entity` answer (after following an abuse entity's `self` link). */
export function readRdapEntity(doc: unknown): string | null {
  if (!isObj(doc)) return null;
  return vcardEmails(doc.vcardArray)[0] ?? remarkEmails(doc.remarks)[0] ?? null;
}
