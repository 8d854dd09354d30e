/**
 * Safety net for the network lookups of enrichment (reverse DNS, RDAP, RIPEstat). Registries and
 * resolvers are not scan targets, so the scope guard does not cover them; but when the process's
 * scope (EDGEWATCH_SCOPE) is loopback-only — the lab, the tests, CI — no lookup may leave the
 * machine either: DNS servers must be given explicitly and be loopback addresses (a system stub
 * resolver on 127.0.0.53 would forward to the internet), and every RDAP/RIPEstat request, redirects
 * included, must go to a loopback address. Checked before any socket is opened.
 */
import { isIP } from 'node:net';
import { parseAddr } from '../contacts/ip.js';

function isLoopbackCidr(s: string): boolean {
  const [addr, len] = s.trim().split('/');
  if (!addr) return false;
  const a = parseAddr(addr);
  if (!a) return false;
  const n = len === undefined ? (a.fam === 4 ? 32 : 128) : Number(len);
  if (!Number.isInteger(n)) return false;
  if (a.fam === 4) return n >= 8 && a.value >> 24n === 127n;
  return n === 128 && a.value === 1n;
}

/** True when EDGEWATCH_SCOPE is set and names only loopback ranges (lab / test / CI). */
export function loopbackOnlyMode(env: NodeJS.ProcessEnv = process.env): boolean {
  const scope = env.EDGEWATCH_SCOPE?.split(/[\s,]+/).filter(Boolean) ?? [];
  return scope.length > 0 && scope.every(isLoopbackCidr);
}

/** An IP literal (IPv6 possibly in brackets) inside 127.0.0.0/8 or ::1, or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h.toLowerCase() === 'localhost') return true;
  if (isIP(h) === 0) return false;
  return isLoopbackCidr(h);
}

/** May a request go to this URL in the current mode? */
export function urlAllowed(url: string, loopbackOnly: boolean): boolean {
  if (!loopbackOnly) return true;
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}
