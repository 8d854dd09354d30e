/**
 * The findings a correct triage must produce on a lab collection, derived rule by rule from what
 * the collection holds (DOMAIN §4.2–§4.8 semantics and the TRIAGE_RULES descriptions). This is the
 * lab's own, deliberately small reading of the rules, written without src/triage. How each rule
 * is read (scopes, exceptions, which path a finding names) is documented in corpus/README.md.
 */
import { type Confidence, type FindingKind, TRIAGE_RULES, type TriageRuleId } from '../../triage/types.js';
import { SUID_WHITELIST } from './content.js';
import type { RenderedCollection } from './render.js';

/** One expected finding: (rule, path) is the identity; confidence is informative. */
export interface ExpectedFinding {
  rule: TriageRuleId;
  confidence: Confidence;
  path: string;
}

/** corpus/<name>/EXPECTED.json */
export interface Expected {
  findings: ExpectedFinding[];
  verdict: 'compromised' | 'attempts_only' | 'clean';
  exit: 0 | 1;
}

/** Kind and confidence the lab assigns per rule (the verdict follows from them). */
export const RULE_CLASS: Readonly<Record<TriageRuleId, readonly [FindingKind, Confidence]>> = {
  'template-payload': ['exploitation', 'high'],
  'template-blacklisted-content': ['compromise', 'medium'],
  'portal-file-permissions': ['anomaly', 'low'],
  'perl-script-unexpected': ['compromise', 'medium'],
  'miner-netscalerd': ['compromise', 'high'],
  'notrobin-file': ['compromise', 'high'],
  'notrobin-key-webshell': ['compromise', 'high'],
  'apt41-tool': ['compromise', 'high'],
  'known-webshell-path': ['compromise', 'high'],
  'php-in-alias-dir': ['compromise', 'medium'],
  'cron-nobody': ['compromise', 'high'],
  'cron-log-download': ['compromise', 'high'],
  // The lab plants only attacker-specific lines (downloader IPs, tool paths): high, as triage rates them.
  'shell-history-ioc': ['compromise', 'high'],
  'process-nobody': ['compromise', 'high'],
  'notrobin-udp-18634': ['compromise', 'high'],
  'outbound-shell': ['compromise', 'high'],
  'suid-unexpected': ['compromise', 'medium'],
  timestomp: ['anomaly', 'medium'],
  'php-permission': ['compromise', 'medium'],
  'php-content': ['compromise', 'high'],
  'ioc-2023-file': ['compromise', 'high'],
  'access-exploit-success': ['exploitation', 'high'],
  'access-exploit-notrobin': ['exploitation', 'high'],
  'access-scan-success': ['scanning', 'medium'],
  'access-exploit-failed': ['attempt', 'low'],
  'access-probe-blocked': ['attempt', 'low'],
  'access-webshell': ['compromise', 'high'],
  'error-log-command-output': ['exploitation', 'high'],
};

export const TEMPLATE_DIRS = ['/netscaler/portal/templates/', '/var/tmp/netscaler/portal/templates/', '/var/vpn/bookmark/'];
export const CONTENT_DIRS = [...TEMPLATE_DIRS, '/netscaler/portal/scripts/', '/var/vpn/themes/', '/var/vpn/theme/'];
export const ALIAS_DIRS = [
  '/netscaler/portal/admin/scripts/',
  '/netscaler/portal/scripts/',
  '/netscaler/portal/supporting_files/',
  '/var/netscaler/gui/vpn/scripts/linux/',
  '/var/netscaler/gui/vpns/help/',
  '/var/netscaler/gui/vpns/scripts/mac/',
  '/var/ns_gui/n_top/',
  '/var/ns_gui/shared/',
  '/var/ns_gui/support/',
  '/var/vpn/theme/',
  '/var/vpn/themes/',
];
export const PHP_PERM_DIRS = ['/var/netscaler/logon/', '/var/vpn/', '/var/netscaler/ns_gui/'];
export const TIMESTOMP_DIRS = ['/var/netscaler/logon/', '/var/vpn/', '/var/netscaler/ns_gui/', '/var/tmp/'];
export const KNOWN_WEBSHELLS = [
  '/var/vpn/themes/imgs/tiny.php',
  '/var/vpn/themes/imgs/debug.php',
  '/var/vpn/themes/imgs/conn.php',
  '/netscaler/ns_gui/admin_ui/rdx/core/css/images/css.php',
  '/netscaler/ns_gui/vpn/images/vpn_ns_gui.php',
  '/var/vpn/themes/imgs/include.php',
  '/var/vpn/themes/imgs/whatfile',
  '/var/nstmp/chisel',
];
const LEGIT_PL = new Set([
  'tips.pl',
  'logout.pl',
  'navthemes.pl',
  'newbm.pl',
  'picktheme.pl',
  'rmbm.pl',
  'subscription.pl',
  'themes.pl',
  'PersonalBookmark.pl',
]);
const NOTROBIN_FILES = [
  '/tmp/.init/httpd',
  '/var/nstmp/.nscache/httpd',
  '/var/nstmp/.nscache/prev.sh',
  '/var/nstmp/.nscache/httpd-nscache_clean',
];

/** §4.2#1 blacklist (exceptions are removed from the text before matching). */
const BLACKLIST = [
  'template.new',
  'exec',
  '`',
  'eval(',
  'bash',
  'ns.conf',
  'curl',
  'wget',
  'Encode::decode(chr(',
  '}exit',
  'pwnpzi1337',
  'test1337',
  'chr(',
  '45.120.53.214',
  'eternalblue.replay',
  'scan.py',
  'x64.dll',
  'x86.dll',
  'xp_eternalblue.replay',
  'ld.sh',
  'piz.Lan',
  'de.py',
  '.new.zip',
  '/tmp/rAgn',
  '198.44.227.126',
  '/tmp/l.sh',
  'Digest::MD5',
  'Could not execute command',
  '/tmp/bsd',
  '/tmp/un',
  '66.42.98.220',
  '/tmp/.init/httpd',
  '/var/nstmp/.nscache',
  'tiny.php',
  'debug.php',
  'conn.php',
];
const BLACKLIST_EXCEPT = ['execute', 'eval(handle_subscriptions())', 'build.sh', 'upgrade.py'];
/** §4.5 shell-history strings. */
const SHELL_IOCS = [
  '95.179.163.186',
  '185.178.45.221',
  '159.69.37.196',
  '61.218.225.74',
  '45.120.53.214',
  '198.44.227.126',
  '23.234.10.122',
  '46.45.15.56',
  '157.157.87.22',
  '193.187.174.104',
  '62.113.112.33',
  '217.12.221.12',
  '66.42.98.220',
  '/wp-content/uploads/',
  'tee /netscaler/portal',
  'ci.sh',
  'ci2.sh',
  'ci3.sh',
  'cmd.pl',
  '/etc/security/passwd',
  '/etc/shadow',
  '/flash/nsconfig/ns.conf',
  'NSC_USER',
  'nc -l',
  "python -c '",
  'www.jdjd.com',
  'eternalblue.replay',
  'x64.dll',
  'x86.dll',
  'ld.sh',
  'piz.Lan',
  '.new.zip',
  '/tmp/rAgn',
  '/tmp/.init/httpd',
  '/tmp/l.sh',
  '/tmp/bsd',
  '/tmp/un',
  '/var/nstmp/.nscache/prev.sh',
  '/var/nstmp/.nscache/httpd-nscache_clean',
  '/vpn/themes/imgs/tiny.php',
  '/vpn/themes/imgs/debug.php',
  '/vpn/themes/imgs/conn.php',
];
const CRON_LOG_IOCS = ['(nobody) CMD', 'ci.sh', 'ci2.sh', 'ci3.sh', '185.178.45.221', '62.113.112.33'];
const ERROR_LOG_IOCS = [
  'curl',
  'wget',
  'Xferd',
  'mkdir',
  'netscalerd',
  'fuck',
  '/tmp/.init/httpd',
  'cat: /proc/version: No such file or directory',
  'cat: /proc/cpuinfo: No such file or directory',
  'socket.error: ',
  'Traceback (most recent call last):',
];
const PHP_IOCS = ['eval($_', 'base64_decode(', 'http_response_code(', 'array_filter('];
const BOOKMARK_CUTOFF = Date.UTC(2019, 11, 15) / 1000;

const RE_TEMPLATE = /\[%[\s\S]*?(?:template\.new|readpipe|chr\(|`)[\s\S]*?%\]/;
const RE_VPNS = /\/(?:v|%76)(?:p|%70)(?:n|%6e)(?:s|%73)\//i;
const RE_XML = /\.(?:x|%78)(?:m|%6d)(?:l|%6c)$/i;
const RE_PL = /\.(?:p|%70)(?:l|%6c)$/i;
const RE_CONF = /\.(?:c|%63)(?:o|%6f)(?:n|%6e)(?:f|%66)$/i;
const RE_ACCESS = /^\S+ \S+ \S+ \[[^\]]+\] "(\S+) (\S+) (HTTP\/1\.[01])" (\d{3}) /;
const RE_WEBSHELL = /(?:support|shared|n_top|vpn|themes)\/.+\.php$/;
const RE_KEY = /^(?:[a-f0-9]{32}\.php|[a-f0-9]{32}_[A-Za-z0-9]{1,12}\.(?:php|pl))$/;
const RE_IPV4_CMD = /^\s*(?:\S+\s+){5}\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/;

const under = (p: string, dirs: readonly string[]) => dirs.some((d) => p.startsWith(d));
const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

function blacklisted(text: string): boolean {
  let t = text;
  for (const e of BLACKLIST_EXCEPT) t = t.split(e).join('');
  if (/^#NS/m.test(t)) return true;
  return BLACKLIST.some((s) => t.includes(s));
}

/** Family files in chronological order (oldest rotation first), e.g. httpaccess.log.4.gz … httpaccess.log. */
export function familyFiles(paths: Iterable<string>, familyBase: string): string[] {
  const out: Array<[number, string]> = [];
  for (const p of paths) {
    if (p === familyBase) out.push([-1, p]);
    else if (p.startsWith(`${familyBase}.`)) {
      const m = /^\.(\d+)(?:\.gz)?$/.exec(p.slice(familyBase.length));
      if (m) out.push([Number(m[1]), p]);
    }
  }
  return out.sort((a, b) => b[0] - a[0]).map(([, p]) => p);
}

/** Derive the expected findings of a rendered collection. */
export function deriveExpected(c: RenderedCollection): Expected {
  return derive(c).expected;
}

/** Every log file holding a match, per log rule (the corpus keeps each rule in one file). */
export function logRuleFiles(c: RenderedCollection): Map<TriageRuleId, string[]> {
  return derive(c).logFiles;
}

function derive(c: RenderedCollection): { expected: Expected; logFiles: Map<TriageRuleId, string[]> } {
  const logFiles = new Map<TriageRuleId, string[]>();
  const found = new Map<string, ExpectedFinding>();
  const hit = (rule: TriageRuleId, path: string, confidence?: Confidence) => {
    const k = `${rule}\0${path}`;
    if (!found.has(k)) found.set(k, { rule, confidence: confidence ?? (RULE_CLASS[rule] as readonly [FindingKind, Confidence])[1], path });
  };
  const statOf = new Map(c.stat.map((e) => [e.path, e]));
  const isFile = (p: string) => ((statOf.get(p)?.mode ?? 0o100000) & 0o170000) === 0o100000;
  const existing = new Set<string>([...c.text.keys(), ...c.stat.filter((e) => isFile(e.path)).map((e) => e.path)]);

  // Files (§4.1–§4.2, §4.8).
  for (const p of existing) {
    const text = c.text.get(p);
    const st = statOf.get(p);
    const isPhp = p.endsWith('.php');
    let payload = false;
    if (text !== undefined && under(p, TEMPLATE_DIRS) && RE_TEMPLATE.test(text)) {
      hit('template-payload', p);
      payload = true;
    }
    if (text !== undefined && !payload && under(p, CONTENT_DIRS)) {
      const oldBookmarkXml = p.startsWith('/var/vpn/bookmark/') && p.endsWith('.xml') && (st?.mtime ?? 0) <= BOOKMARK_CUTOFF;
      if (!oldBookmarkXml && blacklisted(text)) hit('template-blacklisted-content', p);
    }
    if (st && under(p, CONTENT_DIRS) && (st.mode & 0o777) === 0o644 && !base(p).startsWith('bm_prefix_')) hit('portal-file-permissions', p);
    if (p.startsWith('/netscaler/portal/scripts/') && p.endsWith('.pl') && !LEGIT_PL.has(p.slice('/netscaler/portal/scripts/'.length)))
      hit('perl-script-unexpected', p);
    if (p === '/var/tmp/netscalerd') hit('miner-netscalerd', p);
    if (NOTROBIN_FILES.includes(p)) hit('notrobin-file', p);
    if (under(p, ['/var/vpn/theme/', '/var/vpn/themes/']) && RE_KEY.test(base(p))) hit('notrobin-key-webshell', p);
    if (p === '/tmp/bsd' || p === '/tmp/un') hit('apt41-tool', p);
    if (KNOWN_WEBSHELLS.includes(p)) hit('known-webshell-path', p);
    if (isPhp && under(p, ALIAS_DIRS)) hit('php-in-alias-dir', p);
    if (isPhp && st && under(p, PHP_PERM_DIRS) && (st.mode & 0o7777) !== 0o444) hit('php-permission', p);
    if (isPhp && text !== undefined && PHP_IOCS.some((s) => text.slice(0, 2048).includes(s))) hit('php-content', p);
    if (st && under(p, TIMESTOMP_DIRS) && st.ctime - st.mtime > 1_209_600) hit('timestomp', p);
    if (
      ['/var/tmp/the', '/var/tmp/npc', '/var/nss'].includes(p) ||
      (p.startsWith('/var/tmp/conf/') && p.endsWith('.conf')) ||
      base(p) === '.theme.php' ||
      // Mandiant's 2023 scanner (§4.8): any PHP where the 2023 webshells were planted.
      (isPhp && under(p, ['/var/netscaler/logon/LogonPoint/uiareas/', '/netscaler/ns_gui/vpns/theme/default/'])) ||
      (isPhp && /^\/netscaler\/ns_gui\/epa\/scripts\/[^/]+\/[^/]+$/.test(p))
    )
      hit('ioc-2023-file', p);
  }
  // /var/nss (2023 setuid sh copy) and /tmp/python/bash (Fox-IT's example) are known implants: high.
  for (const p of c.suid) if (!SUID_WHITELIST.includes(p)) hit('suid-unexpected', p, ['/var/nss', '/tmp/python/bash'].includes(p) ? 'high' : undefined);

  // Cron (§4.2#10, #20): the nobody crontab file, or root entries starting with an IPv4 / using /var/tmp.
  const nobodyTab = c.text.get('/var/cron/tabs/nobody');
  if (nobodyTab?.split('\n').some((l) => l.trim() && !l.startsWith('#'))) hit('cron-nobody', '/var/cron/tabs/nobody');
  const rootTab = c.text.get('/var/cron/tabs/root') ?? '';
  if (rootTab.split('\n').some((l) => !l.startsWith('#') && (RE_IPV4_CMD.test(l) || l.includes('/var/tmp'))))
    hit('cron-nobody', '/var/cron/tabs/root');

  // Live listings (§4.2#13–#15): the path is the listing.
  if (c.ps) {
    for (const l of c.ps.split('\n').slice(1)) {
      const f = l.trim().split(/\s+/);
      if (f[0] === 'nobody' && f.slice(10).join(' ') !== '/bin/httpd' && f.length > 10) hit('process-nobody', 'meta/ps.txt');
    }
  }
  if (c.sockstat) {
    for (const l of c.sockstat.split('\n')) {
      const f = l.trim().split(/\s+/);
      if (f[4] === 'udp4' && f[5] === '*:18634') hit('notrobin-udp-18634', 'meta/sockstat.txt');
      if (f[0] === 'nobody' && /^(?:sh|bash|python[\d.]*)$/.test(f[1] ?? '') && f[6] && !f[6].startsWith('127.') && f[6] !== '*:*')
        hit('outbound-shell', 'meta/sockstat.txt');
    }
  }

  // Logs (§4.3–§4.5): one finding per rule, at the file holding the chronologically first match.
  const paths = [...c.text.keys()];
  const firstFile = (family: string, match: (line: string) => TriageRuleId | TriageRuleId[] | null) => {
    for (const p of familyFiles(paths, family)) {
      for (const line of (c.text.get(p) ?? '').split('\n')) {
        if (!line) continue;
        const m = match(line);
        for (const rule of m === null ? [] : Array.isArray(m) ? m : [m]) {
          const seen = logFiles.get(rule) ?? [];
          if (!seen.includes(p)) seen.push(p);
          logFiles.set(rule, seen);
          if (![...found.values()].some((f) => f.rule === rule)) hit(rule, p);
        }
      }
    }
  };
  firstFile('/var/log/httpaccess.log', (line) => {
    const m = RE_ACCESS.exec(line);
    if (!m) return null;
    const [, method, target, proto, statusS] = m as unknown as [string, string, string, string, string];
    const status = Number(statusS);
    const path = target.split('?')[0] as string;
    const out: TriageRuleId[] = [];
    if (RE_VPNS.test(path)) {
      const xml = RE_XML.test(path);
      const pl = RE_PL.test(path);
      if (xml && (status === 200 || status === 304)) out.push('access-exploit-success');
      if (pl && status === 304 && (method === 'GET' || method === 'POST')) out.push('access-exploit-notrobin');
      if ((pl || RE_CONF.test(path)) && status === 200) out.push('access-scan-success');
      if ((xml || pl) && (status === 401 || status === 404) && ['GET', 'POST', 'HEAD'].includes(method)) out.push('access-exploit-failed');
      if (status === 403) out.push('access-probe-blocked');
    }
    if (RE_WEBSHELL.test(path) && status === 200 && proto === 'HTTP/1.1') out.push('access-webshell');
    // The 2023 v1 shell answers 201 before anything else (DOMAIN §4.11): its use is webshell access.
    else if (/^\/logon\/LogonPoint\/uiareas\/.+\.php$/.test(path) && (status === 200 || status === 201)) out.push('access-webshell');
    return out;
  });
  firstFile('/var/log/httperror.log', (line) => (ERROR_LOG_IOCS.some((s) => line.includes(s)) ? 'error-log-command-output' : null));
  for (const fam of ['/var/log/bash.log', '/var/log/notice.log', '/var/log/sh.log'])
    firstFile(fam, (line) => (SHELL_IOCS.some((s) => line.includes(s)) ? 'shell-history-ioc' : null));
  firstFile('/var/log/cron', (line) => (CRON_LOG_IOCS.some((s) => line.includes(s)) ? 'cron-log-download' : null));

  const findings = [...found.values()].sort((a, b) => (a.rule === b.rule ? (a.path < b.path ? -1 : 1) : a.rule < b.rule ? -1 : 1));
  const compromised = findings.some((f) => {
    const [kind, conf] = RULE_CLASS[f.rule] as readonly [FindingKind, Confidence];
    return (kind === 'exploitation' || kind === 'compromise') && conf !== 'low';
  });
  const verdict = compromised ? 'compromised' : findings.length > 0 ? 'attempts_only' : 'clean';
  return { expected: { findings, verdict, exit: verdict === 'compromised' ? 1 : 0 }, logFiles };
}

/** Every rule id is known to triage's vocabulary (compile-time and run-time guard). */
export const KNOWN_RULES: ReadonlySet<string> = new Set(Object.keys(TRIAGE_RULES));
