/**
 * Name resolution for targets given as host names, through the OS resolver
 * (`dns.promises.lookup`, i.e. getaddrinfo: /etc/hosts, nsswitch), with a timeout. Failures
 * become EW_TARGET_DNS, which the scanner records as reason `dns`. The resolved address must
 * still pass the scope guard: resolution never widens the scope.
 */
import { promises as dns } from 'node:dns';
import { EdgewatchError } from '../errors.js';
import { printable } from '../scope/cidr.js';
import { parseIp } from '../scope/ip.js';
import type { Target } from './types.js';

/** A lookup function shaped like `dns.promises.lookup(host)`; tests inject fakes. */
export type LookupFn = (hostname: string) => Promise<{ address: string; family: number } | Array<{ address: string; family: number }>>;

/** Default resolution timeout, ms. */
export const DEFAULT_DNS_TIMEOUT_MS = 5000;

const osLookup: LookupFn = (host) => dns.lookup(host);

const DNS_CODES: Record<string, string> = {
  ENOTFOUND: 'no such host',
  ENODATA: 'no address records',
  EAI_AGAIN: 'temporary resolver failure',
  ESERVFAIL: 'server failure',
  ETIMEOUT: 'resolver timed out',
  ECONNREFUSED: 'resolver refused the connection',
};

/**
 * Returns the target with `ip` set. A target that already has an address is returned as is.
 * Throws EW_TARGET_DNS on failure or after `timeoutMs`.
 */
export async function resolveTarget(
  t: Target,
  lookup: LookupFn = osLookup,
  timeoutMs = DEFAULT_DNS_TIMEOUT_MS,
): Promise<Target & { ip: string }> {
  if (t.ip !== undefined) return t as Target & { ip: string };
  const host = t.host;
  if (!host) throw new EdgewatchError('EW_TARGET_DNS', 'target has neither an address nor a name');
  const shown = printable(host, 100);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EdgewatchError('EW_TARGET_DNS', `cannot resolve "${shown}": timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  let res: Awaited<ReturnType<LookupFn>>;
  try {
    res = await Promise.race([lookup(host), timeout]);
  } catch (e) {
    if (e instanceof EdgewatchError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const why = DNS_CODES[code] ?? (e as Error).message;
    throw new EdgewatchError('EW_TARGET_DNS', `cannot resolve "${shown}": ${why}${code && DNS_CODES[code] ? ` (${code})` : ''}`, {
      cause: e,
    });
  } finally {
    clearTimeout(timer);
  }
  const first = Array.isArray(res) ? res[0] : res;
  const ip = first && typeof first.address === 'string' ? parseIp(first.address) : null;
  if (!ip) throw new EdgewatchError('EW_TARGET_DNS', `cannot resolve "${shown}": resolver returned no usable address`);
  return { ...t, ip: ip.text };
}
