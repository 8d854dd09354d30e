/**
 * SUID files (DOMAIN §4.2#17, §4.8): meta/suid.txt against the NetScaler whitelist plus the
 * FreeBSD base set-uid programs and the common Linux ones of Fox-IT's list. Known implants
 * (`/var/nss`, `/tmp/python/bash`) and shells are high, anything else unexpected medium.
 */
import { mtimeOf, type RuleContext } from '../context.js';
import { parseSuid } from '../meta.js';

export const SUID_WHITELIST: ReadonlySet<string> = new Set([
  // NetScaler (DOMAIN §4.2#17)
  '/netscaler/ping',
  '/netscaler/ping6',
  '/netscaler/traceroute',
  '/netscaler/traceroute6',
  '/sbin/mksnap_ffs',
  '/sbin/shutdown',
  '/sbin/poweroff',
  '/usr/bin/crontab',
  '/usr/bin/lock',
  '/usr/bin/login',
  '/usr/bin/passwd',
  '/usr/bin/yppasswd',
  '/usr/bin/su',
  '/usr/libexec/ssh-keysign',
  // FreeBSD base
  '/sbin/ping',
  '/sbin/ping6',
  '/usr/sbin/traceroute',
  '/usr/sbin/traceroute6',
  '/usr/bin/at',
  '/usr/bin/atq',
  '/usr/bin/atrm',
  '/usr/bin/batch',
  '/usr/bin/chpass',
  '/usr/bin/chfn',
  '/usr/bin/chsh',
  '/usr/bin/ypchpass',
  '/usr/bin/ypchfn',
  '/usr/bin/ypchsh',
  '/usr/bin/newgrp',
  '/usr/bin/quota',
  '/usr/bin/rlogin',
  '/usr/bin/rsh',
  '/usr/bin/lpq',
  '/usr/bin/lpr',
  '/usr/bin/lprm',
  '/usr/bin/opieinfo',
  '/usr/bin/opiepasswd',
  '/usr/sbin/ppp',
  '/usr/sbin/timedc',
  '/usr/sbin/authpf',
  '/usr/libexec/dma',
  // Common Linux (Fox-IT list)
  '/bin/su',
  '/bin/mount',
  '/bin/umount',
  '/bin/ping',
  '/bin/ping6',
  '/bin/fusermount',
  '/usr/bin/sudo',
  '/usr/bin/gpasswd',
  '/usr/bin/pkexec',
  '/usr/bin/mount',
  '/usr/bin/umount',
  '/usr/bin/fusermount',
  '/usr/bin/fusermount3',
  '/usr/bin/chage',
  '/usr/bin/expiry',
  '/usr/lib/openssh/ssh-keysign',
  '/usr/lib/dbus-1.0/dbus-daemon-launch-helper',
  '/usr/lib/policykit-1/polkit-agent-helper-1',
  '/usr/lib/eject/dmcrypt-get-device',
  '/usr/sbin/pppd',
]);
const KNOWN_BAD = new Set(['/var/nss', '/tmp/python/bash']);
const SHELL = /\/(?:ba|z|k|c|tc|da)?sh$|\/python[\d.]*$|\/perl[\d.]*$/;

export async function suidRules(ctx: RuleContext): Promise<void> {
  if (ctx.meta.suid === null) {
    ctx.notChecked.push('SUID files (§4.2#17): meta/suid.txt missing');
    return;
  }
  for (const p of parseSuid(ctx.meta.suid)) {
    if (SUID_WHITELIST.has(p) || /\/edgewatch-collect[^/]*\//.test(p)) continue;
    const bad = KNOWN_BAD.has(p) || SHELL.test(p);
    ctx.out.add('suid-unexpected', {
      confidence: bad ? 'high' : 'medium',
      path: p,
      excerpt: `setuid: ${p}${bad ? ' (a setuid shell or known implant)' : ''}`,
      time: mtimeOf(ctx, p),
    });
  }
}
