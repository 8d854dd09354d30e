/**
 * The scan record: exactly one per target per scan. This is the product's public output
 * (JSON Lines, CSV, the store, reports); its fields are documented in the README
 * ("The scan record"). Change it only together with that section.
 */

/** Transport outcome of a target. */
export type RecordStatus = 'ok' | 'unreachable' | 'error';

/**
 * Reason codes for `unreachable` / `error` (closed vocabulary; the README explains each).
 * unreachable: refused · timeout (TCP connect) · host_unreachable · dns
 * error: timeout (TLS handshake, first byte, idle or total budget; `detail` names the phase) ·
 *        tls_handshake · reset · closed · protocol · too_large · out_of_scope · internal
 */
export const REASON_CODES = [
  'refused',
  'timeout',
  'host_unreachable',
  'dns',
  'tls_handshake',
  'reset',
  'closed',
  'protocol',
  'too_large',
  'out_of_scope',
  'internal',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/** Classification of a host for one CVE. */
export type CveState = 'vulnerable' | 'mitigated' | 'patched' | 'not_applicable' | 'unknown';

/**
 * Compromise seen from outside (compromise checks): `true` when an indicator answered as an implant;
 * `false` when the host is the product and every indicator request answered like a clean appliance
 * ("no externally visible indicator", not proof of a clean box); `unknown` when the host is not the
 * product, could not be probed, or an indicator request failed or was inconclusive.
 */
export type CompromiseState = 'true' | 'false' | 'unknown';

/** One outside-view indicator of compromise that fired (its request is also an evidence item). */
export interface CompromiseIndicator {
  /** Compromise check that decided it, e.g. `citrix-webshell-2023-v1-uiareas`. */
  check: string;
  /** Request id inside that check, e.g. `config`. */
  id: string;
  /** The request line as sent, e.g. `GET /logon/LogonPoint/uiareas/config.php HTTP/1.1`. */
  request: string;
  /** Status code of the answer, or null when none arrived. */
  status: number | null;
  /** One sentence: why this answer is an implant. */
  why: string;
}

/** One request sent and the response facts that mattered (bounded in size). */
export interface EvidenceItem {
  /** Check that sent it, e.g. `netscaler-fingerprint`, `CVE-2019-19781`. */
  check: string;
  /** Request id inside the check, e.g. `p1-smbconf`. */
  id: string;
  /** Exactly as sent on the wire, e.g. `HEAD /vpn/../vpns/cfg/smb.conf`. */
  request: string;
  /** Status code, or null when no response arrived. */
  status: number | null;
  /** Selected response headers (lower-case names), bounded. */
  headers?: Record<string, string>;
  /** Body length in bytes as received (after de-chunking), and whether it was cut at the read cap. */
  length?: number;
  truncated?: boolean;
  /** SHA-256 of the body as received (hex, first 16 chars). */
  body_sha256?: string;
  /** Short printable excerpt of the body (at most 256 chars, control characters escaped). */
  excerpt?: string;
  /** Names of matchers that matched on this response, and values extracted from it. */
  matched?: string[];
  extracted?: Record<string, string>;
  /** Transport error for this request, if any (a reason code). */
  error?: string;
}

export interface TlsFacts {
  version: string | null;
  cipher: string | null;
  subject_cn: string | null;
  subject: string | null;
  issuer: string | null;
  sans: string[];
  serial: string | null;
  not_after: string | null;
  key_bits: number | null;
  self_signed: boolean;
  sha256: string | null;
}

export interface ScanRecord {
  ip: string;
  port: number;
  /** Host name (SNI and Host header) when the target named one; null otherwise. */
  host: string | null;
  status: RecordStatus;
  /** Set when status is not `ok`. */
  reason: ReasonCode | null;
  /** Human-readable detail for `reason`. */
  detail?: string | null;
  /** `http` or `https`. */
  scheme: 'http' | 'https';
  /** `citrix-adc` when the host is a Citrix ADC / Gateway, else null. */
  product: string | null;
  /** How sure we are that it is the product: certain · strong · weak · none. */
  product_confidence: 'certain' | 'strong' | 'weak' | 'none';
  /** Exact firmware build, e.g. `13.0-47.22`, or null. */
  version: string | null;
  /** Where the version came from: rdx_stamp · vhash · pluginlist · epa · nsconfig_wsdl · null. */
  version_source: string | null;
  /** Build date of the firmware as read from the fingerprint (ISO), when known. */
  build_date?: string | null;
  /** CVE id → classification. Every check the scan ran has an entry when status is ok. */
  cve: Record<string, CveState>;
  /** Why each CVE got its classification (one short sentence per CVE). */
  why?: Record<string, string>;
  /** Compromise seen from outside (compromise checks; `unknown` when none ran). Independent of `cve`. */
  compromised?: CompromiseState;
  /** The indicators that fired (empty unless `compromised` is `true`). */
  indicators?: CompromiseIndicator[];
  /** Compromise check id → why it concluded what it did (only checks that ran on the host). */
  compromise_why?: Record<string, string>;
  tls: TlsFacts | null;
  evidence: EvidenceItem[];
  /** ISO-8601 UTC time the host's probing finished. */
  scanned_at: string;
  /** Scan id and the target's ordinal in the input (for resume and joins). */
  scan_id?: string;
  seq?: number;
}
