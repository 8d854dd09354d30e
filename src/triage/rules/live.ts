/**
 * Live listings (DOMAIN §4.2 rows 13–15): processes of `nobody` other than /bin/httpd and shells
 * under the web server (meta/ps.txt); the NOTROBIN UDP *:18634 listener and nobody-owned
 * sh/python/perl with a non-loopback peer (meta/sockstat.txt). Root's processes (the admin's shell
 * running our collect-script included) are never judged.
 */
import type { RuleContext } from '../context.js';
import { parsePs, parseSockstat } from '../meta.js';

const HTTPD = /^(?:\/bin\/httpd|\/usr\/sbin\/httpd|httpd)(?:\s|$)/;
const SHELLISH =
  /(?:^|\/)(?:sh|bash|csh|tcsh|zsh|nc|ncat|socat)\s+-i\b|python[\d.]*\s+-c\b.*socket|perl\s+-e\b.*socket|(?:^|\s)\/dev\/tcp\/|\bnc\s+(?:-e|-l)/;
const SHELL_CMD = /^(?:sh|bash|csh|tcsh|python[\d.]*|perl[\d.]*|nc|ncat|socat)$/;

function loopback(addr: string): boolean {
  const host = addr.replace(/[:.]\d+$|:\*$/, '').replace(/^\[|\]$/g, '');
  return /^127\./.test(host) || host === '::1' || host === '*' || host === '' || host === 'localhost';
}

/** NOTROBIN (§4.6), the netscalerd miner (§4.7), APT41 tools, files run from /tmp or /var/tmp. */
const KNOWN_IMPLANT_PROCESS = /(^|\s)(\/tmp\/\.init\/|\/var\/nstmp\/\.nscache\/|\/var\/tmp\/|\/tmp\/)/;

export async function liveRules(ctx: RuleContext): Promise<void> {
  if (ctx.meta.ps === null) ctx.notChecked.push('processes (§4.2#13): meta/ps.txt missing (offline collection)');
  else {
    for (const p of parsePs(ctx.meta.ps)) {
      if (p.user !== 'nobody' && p.user !== '65534') continue;
      if (HTTPD.test(p.command.trim())) continue;
      const shell = SHELLISH.test(p.command);
      // A binary running from a documented implant or staging location is as telling as a shell.
      const implant = KNOWN_IMPLANT_PROCESS.test(p.command);
      ctx.out.add('process-nobody', {
        confidence: shell || implant ? 'high' : 'medium',
        path: 'meta/ps.txt',
        line: p.line,
        excerpt: p.raw.trim(),
        title: shell ? 'shell or socket one-liner running as nobody' : 'process of nobody other than /bin/httpd',
      });
    }
  }
  if (ctx.meta.sockstat === null) {
    ctx.notChecked.push('listening ports and connections (§4.2#14, #15): meta/sockstat.txt missing (offline collection)');
    return;
  }
  for (const s of parseSockstat(ctx.meta.sockstat)) {
    if (s.proto.startsWith('udp') && /[:.]18634$/.test(s.local)) {
      ctx.out.add('notrobin-udp-18634', { confidence: 'high', path: 'meta/sockstat.txt', line: s.line, excerpt: s.raw.trim() });
    }
    if (
      (s.user === 'nobody' || s.user === '65534') &&
      SHELL_CMD.test(s.command) &&
      s.foreign &&
      s.foreign !== '*:*' &&
      !loopback(s.foreign)
    ) {
      ctx.out.add('outbound-shell', {
        confidence: 'high',
        path: 'meta/sockstat.txt',
        line: s.line,
        excerpt: s.raw.trim(),
        source_ip: s.foreign.replace(/[:.]\d+$/, ''),
      });
    }
  }
}
