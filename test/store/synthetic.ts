/**
 * Synthetic ScanRecords for store tests and bench/store-write.ts: deterministic per seq, typical
 * size (about 1.7 KB of JSON), a realistic mix of statuses, products, versions and CVE states.
 * By default a reachable record carries one CVE entry (CVE-2019-19781); `cves: n` gives it the
 * first n of the 12 shipped CVE checks, as a scan with every check does (each reachable host gets
 * every CVE: `not_applicable` unless it is the product the check is for).
 */
import type { CveState, ReasonCode, ScanRecord } from '../../src/scan/record.js';

const VERSIONS = ['13.0-47.22', '12.1-55.18', '13.0-36.27', '11.1-63.15', '12.1-50.28', null] as const;
const STATES: CveState[] = ['vulnerable', 'mitigated', 'patched', 'unknown'];
const REASONS_UNREACHABLE: ReasonCode[] = ['refused', 'timeout', 'host_unreachable'];
const REASONS_ERROR: ReasonCode[] = ['tls_handshake', 'reset', 'timeout', 'protocol'];

/** The CVE ids of the shipped checks (checks/CVE-*.yaml), CVE-2019-19781 first. */
export const SHIPPED_CVES = [
  'CVE-2019-19781',
  'CVE-2019-11510',
  'CVE-2022-27510',
  'CVE-2022-27518',
  'CVE-2023-3519',
  'CVE-2023-4966',
  'CVE-2023-6548',
  'CVE-2023-6549',
  'CVE-2025-5349',
  'CVE-2025-5777',
  'CVE-2025-6543',
  'CVE-2025-7775',
] as const;

export interface SyntheticOptions {
  /** Which host a seq maps to (default: seq itself). */
  hostIndex?: number;
  /** Changes the deterministic outcome mix (another scan of the same hosts). */
  salt?: number;
  /** CVE entries per reachable record, 1–12 (default 1). */
  cves?: number;
}

export function ipOf(n: number): string {
  return `10.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function syntheticRecord(seq: number, opts: SyntheticOptions = {}): ScanRecord {
  const h = opts.hostIndex ?? seq;
  const r = ((seq + (opts.salt ?? 0)) * 2_654_435_761) >>> 0;
  const bucket = r % 100;
  const base = {
    ip: ipOf(h),
    port: 443,
    host: h % 7 === 0 ? `vpn${h}.example.org` : null,
    scheme: 'https' as const,
    scanned_at: new Date(1_579_000_000_000 + seq * 1000).toISOString(),
    seq,
  };
  if (bucket >= 90) {
    const unreachable = bucket < 96;
    const reasons = unreachable ? REASONS_UNREACHABLE : REASONS_ERROR;
    return {
      ...base,
      status: unreachable ? 'unreachable' : 'error',
      reason: reasons[r % reasons.length],
      detail: 'synthetic transport outcome',
      product: null,
      product_confidence: 'none',
      version: null,
      version_source: null,
      cve: {},
      tls: null,
      evidence: [],
    };
  }
  const citrix = bucket < 60;
  const version = citrix ? VERSIONS[r % VERSIONS.length] : null;
  const state: CveState = citrix ? STATES[(r >>> 8) % STATES.length] : 'not_applicable';
  return {
    ...base,
    status: 'ok',
    reason: null,
    product: citrix ? 'citrix-adc' : null,
    product_confidence: citrix ? 'certain' : 'none',
    version,
    version_source: version ? 'rdx_stamp' : null,
    build_date: version ? '2019-12-05' : null,
    ...cveEntries(state, opts.cves ?? 1, (r >>> 4) & 3),
    compromised: 'unknown',
    tls: {
      version: 'TLSv1.2',
      cipher: 'ECDHE-RSA-AES256-GCM-SHA384',
      subject_cn: citrix ? 'default ABCDEF' : `www${h}.example.org`,
      subject: citrix ? 'O=Citrix ANG, OU=NS Internal, CN=default ABCDEF' : `CN=www${h}.example.org`,
      issuer: citrix ? 'O=Citrix ANG, OU=NS Internal, CN=default ABCDEF' : 'CN=Example CA',
      sans: [`www${h}.example.org`],
      serial: (r * 31).toString(16),
      not_after: '2030-01-01T00:00:00.000Z',
      key_bits: 2048,
      self_signed: citrix,
      sha256: `${r.toString(16).padStart(8, '0')}aabbccddeeff00112233445566778899aabbccddeeff0011223344`,
    },
    evidence: [
      {
        check: 'netscaler-fingerprint',
        id: 'rdx-stamp',
        request: 'GET /vpn/js/rdx/core/lang/rdx_en.json.gz',
        status: 200,
        headers: { 'content-type': 'application/x-gzip', 'last-modified': 'Thu, 05 Dec 2019 10:00:00 GMT' },
        length: 2048,
        body_sha256: '0123456789abcdef',
        matched: ['gzip-magic'],
        extracted: { mtime: '1575540000' },
      },
      {
        check: 'CVE-2019-19781',
        id: 'p2-smbconf-head',
        request: 'HEAD /vpn/../vpns/cfg/smb.conf',
        status: state === 'vulnerable' ? 200 : 403,
        headers: { 'content-length': state === 'vulnerable' ? '83' : '0', server: 'Apache' },
        length: 0,
        matched: state === 'vulnerable' ? ['len-83'] : [],
      },
      {
        check: 'netscaler-fingerprint',
        id: 'index',
        request: 'GET /vpn/index.html',
        status: 200,
        headers: { 'content-type': 'text/html', 'set-cookie': 'NSC_TEMP=xyz; Path=/' },
        length: 4321,
        body_sha256: 'fedcba9876543210',
        excerpt: '<html><head><title>Citrix Gateway</title><link rel="icon" href="/vpn/images/AccessGateway.ico">',
        matched: ['title'],
      },
    ],
  };
}

/** The cve/why maps: the first CVE in `state`, the other Citrix ones varied, the rest not_applicable. */
function cveEntries(state: CveState, n: number, twist: number): Pick<ScanRecord, 'cve' | 'why'> {
  const cve: Record<string, CveState> = {};
  const why: Record<string, string> = {};
  const count = Math.max(1, Math.min(SHIPPED_CVES.length, Math.floor(n)));
  for (let i = 0; i < count; i++) {
    const id = SHIPPED_CVES[i];
    // CVE-2019-11510 is a Pulse Secure check: never applicable to these hosts.
    const s: CveState = i === 0 ? state : i === 1 || state === 'not_applicable' ? 'not_applicable' : STATES[(twist + i) % STATES.length];
    cve[id] = s;
    why[id] = i === 0 ? `synthetic: ${s} because the build and P2 said so` : `synthetic: ${s}`;
  }
  return { cve, why };
}

export function syntheticBatch(from: number, count: number, opts: Omit<SyntheticOptions, 'hostIndex'> = {}): ScanRecord[] {
  const out: ScanRecord[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = syntheticRecord(from + i, opts);
  return out;
}
