/**
 * Host-name normalisation for untrusted names (certificate CN/SANs, PTR answers, target names):
 * lower case, trailing dot removed, Unicode labels converted to punycode (A-labels kept as they are),
 * wildcards split off, and anything that is not a plausible DNS name dropped (control characters,
 * spaces, IP literals, empty or overlong labels, single-label names such as `localhost`).
 */
import { domainToASCII } from 'node:url';

/** Longest name accepted (RFC 1035: 253 characters in text form without the trailing dot). */
export const MAX_NAME_LENGTH = 253;
/** Longest raw input looked at; anything longer is junk and is not even scanned. */
const MAX_RAW_LENGTH = 1024;

// Invisible, control and separator characters that must not be smuggled into an IDN.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const FORBIDDEN = /[\u0000-\u0020\u007f-\u009f\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff\ufff0-\uffff]/u;

/** Placeholder names that say nothing about an owner (single labels such as `localhost` fail anyway). */
const MEANINGLESS = new Set(['localhost.localdomain', 'example.com', 'example.org', 'example.net']);

export interface NormalisedName {
  name: string;
  wildcard: boolean;
}

/**
 * Validate and lower-case an ASCII name in one pass (hot path: millions of certificate names).
 * Allowed: letters, digits, `-`, `_`, dots between labels of 1–63 characters that neither start nor
 * end with `-`; at least two labels; the last label not all digits (that is an address).
 * Returns null for anything else, or 'non-ascii' when an IDN needs converting first.
 */
function checkAscii(s: string): string | null | 'non-ascii' {
  let labels = 0;
  let labelLen = 0;
  let lastAllDigits = true;
  let prev = 0x2e; // '.'
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x80) return 'non-ascii';
    if (c >= 0x41 && c <= 0x5a) {
      c += 0x20;
      changed = true;
    }
    if (c === 0x2e) {
      if (labelLen === 0 || prev === 0x2d) return null;
      labels++;
      labelLen = 0;
      lastAllDigits = true;
    } else if ((c >= 0x61 && c <= 0x7a) || c === 0x5f) {
      if (++labelLen > 63) return null;
      lastAllDigits = false;
    } else if (c >= 0x30 && c <= 0x39) {
      if (++labelLen > 63) return null;
    } else if (c === 0x2d) {
      if (labelLen === 0) return null;
      if (++labelLen > 63) return null;
      lastAllDigits = false;
    } else {
      return null;
    }
    prev = c;
  }
  if (labelLen === 0 || prev === 0x2d) return null;
  labels++;
  if (labels < 2 || lastAllDigits) return null;
  return changed ? s.toLowerCase() : s;
}

/**
 * Normalise one untrusted host name. Returns null for anything that is not a usable DNS name.
 * `*.example.org` → `{ name: 'example.org', wildcard: true }`; other uses of `*` are rejected.
 */
export function normaliseHostName(raw: unknown): NormalisedName | null {
  if (typeof raw !== 'string') return null;
  if (raw.length === 0 || raw.length > MAX_RAW_LENGTH) return null;
  let s = raw;
  // Trim ASCII spaces only (cheap); other whitespace is rejected below.
  if (s.charCodeAt(0) === 0x20 || s.charCodeAt(s.length - 1) === 0x20) s = s.trim();
  let wildcard = false;
  if (s.startsWith('*.')) {
    wildcard = true;
    s = s.slice(2);
  }
  if (s.endsWith('.')) s = s.slice(0, -1);
  if (s.length === 0 || s.length > MAX_NAME_LENGTH * 4) return null;
  let name = checkAscii(s);
  if (name === 'non-ascii') {
    // An IDN in Unicode form: reject invisible/control characters, then convert to A-labels.
    if (FORBIDDEN.test(s)) return null;
    const ascii = domainToASCII(s);
    if (!ascii) return null;
    name = checkAscii(ascii);
    if (name === 'non-ascii') return null;
  }
  if (name === null || name.length > MAX_NAME_LENGTH) return null;
  if (MEANINGLESS.has(name)) return null;
  return { name, wildcard };
}
