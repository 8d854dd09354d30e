/**
 * The DNS name a PTR query asks for: `4.3.2.1.in-addr.arpa` for 1.2.3.4, the 32-nibble form under
 * `ip6.arpa` for IPv6 (RFC 1035 §3.5, RFC 3596 §2.5).
 */
import { parseAddr } from '../contacts/ip.js';

export function ptrName(ip: string): string | null {
  const a = parseAddr(ip);
  if (!a) return null;
  if (a.fam === 4) {
    const v = a.value;
    return `${v & 0xffn}.${(v >> 8n) & 0xffn}.${(v >> 16n) & 0xffn}.${v >> 24n}.in-addr.arpa`;
  }
  const hex = a.value.toString(16).padStart(32, '0');
  return `${[...hex].reverse().join('.')}.ip6.arpa`;
}
