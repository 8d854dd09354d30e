/**
 * Timestomping (DOMAIN §4.2#18, Fox-IT): a regular file under /var/netscaler/logon,
 * /var/vpn, /var/netscaler/ns_gui or /var/tmp whose ctime is more than 14 days (1,209,600 s)
 * after its mtime — the mtime was set back. Needs meta/stat.txt.
 */
import { isoOf, type RuleContext } from '../context.js';
import { isRegular } from '../meta.js';

export const TIMESTOMP_DIRS = ['/var/netscaler/logon/', '/var/vpn/', '/var/netscaler/ns_gui/', '/var/tmp/'];
export const TIMESTOMP_SECONDS = 1_209_600;

export async function timestompRules(ctx: RuleContext): Promise<void> {
  if (!ctx.stat) {
    ctx.notChecked.push('timestomping (§4.2#18): meta/stat.txt missing');
    return;
  }
  const files = new Set(ctx.files);
  for (const r of ctx.stat.values()) {
    if (!isRegular(r) || !files.has(r.path) || !TIMESTOMP_DIRS.some((d) => r.path.startsWith(d))) continue;
    const gap = r.ctime - r.mtime;
    if (gap <= TIMESTOMP_SECONDS) continue;
    ctx.out.add('timestomp', {
      confidence: 'medium',
      path: r.path,
      excerpt: `mtime ${isoOf(r.mtime) ?? r.mtime} but ctime ${isoOf(r.ctime) ?? r.ctime} (${Math.round(gap / 86400)} days later): possibly timestomped`,
      time: isoOf(r.ctime),
    });
  }
}
