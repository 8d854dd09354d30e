/**
 * Host facts of a collection: meta/collect.txt first, then fs/flash/boot/loader.conf
 * (`kernel="/ns-13.0-47.22"`) and the ns.conf header lines the collector keeps
 * (`#NS12.1 Build 51.19`, `set ns hostName …`, `set ns config -IPAddress …`).
 */
import { normaliseVersion } from './context.js';
import { parseKeyValues } from './meta.js';
import { readHead } from './read.js';
import type { Collection, TriageReport } from './types.js';

const NSCONF = ['/nsconfig/ns.conf', '/flash/nsconfig/ns.conf'];
const LOADER = ['/flash/boot/loader.conf', '/boot/loader.conf'];

export async function hostFacts(c: Collection, collect: string | null, warnings: string[]): Promise<TriageReport['host']> {
  const kv = parseKeyValues(collect ?? '');
  const host: TriageReport['host'] = {
    hostname: kv.get('hostname') || null,
    ip: kv.get('ip') || null,
    version: normaliseVersion(kv.get('ns_version')),
    collected_at: kv.get('collected_at') || null,
  };
  if (host.version === null) {
    for (const p of LOADER) {
      if (!c.has(p)) continue;
      const t = (await readHead(c, p, 64 * 1024, warnings))?.toString('latin1') ?? '';
      const m = /^\s*kernel\s*=\s*"?[^"\n]*?ns-(\d{1,2}\.\d-\d{1,3}\.\d{1,3})/m.exec(t);
      if (m) {
        host.version = m[1];
        break;
      }
    }
  }
  for (const p of NSCONF) {
    if (!c.has(p) || (host.version && host.hostname && host.ip)) continue;
    const t = (await readHead(c, p, 256 * 1024, warnings))?.toString('latin1') ?? '';
    if (!host.version) host.version = normaliseVersion(/^#NS\S+ Build \S+/m.exec(t)?.[0]);
    if (!host.hostname) host.hostname = /^set ns hostName (\S+)/m.exec(t)?.[1] ?? null;
    if (!host.ip) host.ip = /^set ns config -IPAddress (\S+)/m.exec(t)?.[1] ?? null;
  }
  return host;
}
