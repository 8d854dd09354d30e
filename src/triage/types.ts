/**
 * Contracts of triage (src/triage): reading a collection taken from one appliance and finding
 * indicators of compromise in it. The collection layout is shared by three parties that must
 * agree byte for byte: `edgewatch collect-script` (writes it on the appliance), the lab
 * (`edgewatch lab collection IP`, writes it for a persona) and triage (reads it).
 *
 * Collection layout (a directory, or the same tree inside .tar / .tar.gz / .tgz / .zip, possibly
 * under one top-level folder):
 *
 *   MANIFEST.sha256        `<sha256>  <relative path>` for every other file in the collection
 *   meta/collect.txt       `key: value` lines: hostname, ip, ns_version, collected_at (ISO UTC),
 *                          script_version, uname
 *   meta/stat.txt          one line per file/dir under the collected trees, tab-separated:
 *                          `<mode octal, e.g. 100644>\t<uid>\t<gid>\t<size>\t<mtime epoch>\t<ctime epoch>\t<absolute path>`
 *                          (FreeBSD `stat -f '%p%t%u%t%g%t%z%t%m%t%c%t%N'`)
 *   meta/suid.txt          absolute paths of setuid/setgid files (`find / -xdev -perm -4000`)
 *   meta/ps.txt            `ps auxww` output (live collections only)
 *   meta/sockstat.txt      `sockstat -4 -l` then `sockstat -c -4` output (live collections only)
 *   meta/crontab.txt       `crontab -l -u <user>` for root and nobody, each block headed `# user: <name>`
 *   fs/<absolute path>     copies of collected files, e.g. fs/var/log/httpaccess.log,
 *                          fs/var/log/httpaccess.log.0.gz, fs/netscaler/portal/templates/x.xml,
 *                          fs/var/cron/tabs/nobody, fs/flash/boot/loader.conf
 *
 * Anything may be missing: triage states what it could not check because the collection lacked it.
 */

export type Confidence = 'high' | 'medium' | 'low';

/** What a finding says about the appliance. */
export type FindingKind =
  | 'exploitation' // the vulnerability was used successfully (template written and rendered, …)
  | 'compromise' // something was left behind or ran (webshell, miner, NOTROBIN, cron, SUID, …)
  | 'attempt' // exploitation attempted but failed or blocked (low confidence; exit status 0)
  | 'scanning' // the host was probed and answered as vulnerable
  | 'anomaly'; // worth a look (timestomping, unexpected permissions)

export interface TriageFinding {
  /** Stable rule id from TRIAGE_RULES (below). */
  rule: TriageRuleId;
  title: string;
  kind: FindingKind;
  confidence: Confidence;
  /** Appliance path the evidence is in (e.g. /var/log/httpaccess.log.1.gz). */
  path: string;
  /** 1-based line in that file (after decompression), when line-based. */
  line?: number;
  /** The proving line or a bounded, escaped excerpt (≤ 300 chars). */
  excerpt: string;
  /** Event time (ISO UTC) when known (log timestamp, file mtime). */
  time?: string;
  /** Source address of the request, for log findings. */
  source_ip?: string;
  /** DOMAIN.md checklist row or section, e.g. `§4.2#5`. */
  ref?: string;
}

export interface TimelineEvent {
  time: string;
  what: string;
  rule: string;
  source_ip?: string;
  path?: string;
}

export interface TriageReport {
  collection: string;
  host: { hostname: string | null; ip: string | null; version: string | null; collected_at: string | null };
  findings: TriageFinding[];
  timeline: TimelineEvent[];
  summary: {
    first_attempt: string | null;
    first_success: string | null;
    source_ips: string[];
    /** `compromised` when any high/medium exploitation or compromise finding; else `attempts_only` or `clean`. */
    verdict: 'compromised' | 'attempts_only' | 'clean';
  };
  /** What could not be checked and why, e.g. `processes: meta/ps.txt missing (offline collection)`. */
  not_checked: string[];
  /** Files read, bytes read, warnings (hostile entries skipped, caps hit). */
  stats: { files: number; bytes: number; warnings: string[] };
}

/** Exit status of `edgewatch triage`: 0 clean or attempts only, 1 compromise/exploitation, 2 could not run. */
export function triageExitCode(r: TriageReport): 0 | 1 {
  return r.summary.verdict === 'compromised' ? 1 : 0;
}

/**
 * The rule ids triage may report (closed vocabulary shared with the lab's corpus expectations).
 * Each names the DOMAIN.md row it implements.
 */
export const TRIAGE_RULES = {
  // files (DOMAIN §4.1–§4.2, §4.8)
  'template-payload': 'template/bookmark XML with a Template Toolkit payload (template.new, readpipe, chr(, backtick) §4.1, §4.2#1',
  'template-blacklisted-content': 'other blacklisted content in template/bookmark/script/theme dirs §4.2#1',
  'portal-file-permissions': 'exploit-style mode 644 on a non-bm_prefix file in the template/bookmark dirs §4.2#2',
  'perl-script-unexpected': 'extra or changed .pl in /netscaler/portal/scripts §4.2#3',
  'miner-netscalerd': '/var/tmp/netscalerd coin miner §4.2#4, §4.7',
  'notrobin-file': 'NOTROBIN artefacts (/tmp/.init/httpd, /var/nstmp/.nscache/…) §4.2#5, §4.6',
  'notrobin-key-webshell': '32-hex-named PHP/Perl in /var/vpn/theme(s) §4.2#6',
  'apt41-tool': '/tmp/bsd, /tmp/un §4.2#7',
  'known-webshell-path': 'known webshell or tunnel paths (tiny.php, debug.php, conn.php, css.php, vpn_ns_gui.php, chisel) §4.2#8',
  'php-in-alias-dir': 'PHP file in an Apache Alias dir §4.2#9',
  'cron-nobody': 'crontab for nobody, or cron command starting with an IPv4 / using /var/tmp §4.2#10, #20',
  'cron-log-download': 'cron log shows nobody running downloaders (ci.sh, known IPs) §4.2#11',
  'shell-history-ioc': 'bash/notice/sh log line with a known attacker string §4.2#12, §4.5',
  'process-nobody': 'process owned by nobody other than /bin/httpd, or a shell under httpd §4.2#13',
  'notrobin-udp-18634': 'UDP *:18634 listener §4.2#14',
  'outbound-shell': 'nobody-owned sh/python with a non-loopback peer §4.2#15',
  'suid-unexpected': 'setuid file outside the whitelist §4.2#17',
  timestomp: 'ctime − mtime > 14 days under /var/netscaler/logon, /var/vpn, /var/netscaler/ns_gui, /var/tmp §4.2#18',
  'php-permission': 'PHP under /var/netscaler/logon, /var/vpn, /var/netscaler/ns_gui with mode ≠ 0444 §4.2#19',
  'php-content': 'PHP with eval($_, base64_decode(, http_response_code(, array_filter( §4.2#19, §4.8',
  'ioc-2023-file': '2023 files: /var/tmp/the, /var/tmp/npc, /var/tmp/conf/*.conf, /var/nss, .theme.php, any PHP in the 2023 webshell dirs (uiareas, epa/scripts/*/, vpns/theme/default) §4.8',
  // logs (DOMAIN §4.3–§4.5)
  'access-exploit-success': '/vpns/…xml answered 200/304: a planted template was rendered §4.3',
  'access-exploit-notrobin': 'GET|POST /vpns/…pl answered 304: single-request exploitation §4.3',
  'access-scan-success': '/vpns/…(.pl|.conf) answered 200: the device was vulnerable when probed §4.3',
  'access-exploit-failed': '/vpns/…(.xml|.pl) answered 401/404: failed exploitation §4.3',
  'access-probe-blocked': '/vpns/ request answered 403: probe or attempt blocked (responder or patch)',
  'access-webshell': 'webshell access: (support|shared|n_top|vpn|themes)/…php answered 200 §4.3',
  'error-log-command-output': 'command output in httperror.log (curl, wget, Xferd, netscalerd, …) §4.4',
} as const;

export type TriageRuleId = keyof typeof TRIAGE_RULES;

/** One collected appliance file (under `fs/`), by its appliance path. */
export interface CollectionFile {
  /** Absolute appliance path, e.g. `/var/log/httpaccess.log.0.gz`. */
  path: string;
  size: number;
}

/**
 * A collection opened for reading (directory or archive), already made safe: entries with
 * traversal names, absolute names, links and devices are skipped with a warning; sizes are capped.
 * Implemented in src/triage/collection*.ts; consumed by the file rules and by src/triage/logs.
 */
export interface Collection {
  readonly name: string;
  files(): readonly CollectionFile[];
  has(path: string): boolean;
  /** Raw bytes (gzip is NOT decoded here), streamed; never the whole file in memory. */
  open(path: string): NodeJS.ReadableStream;
  /** Text of `meta/<name>` (bounded), or null when the collection lacks it. */
  meta(name: string): Promise<string | null>;
  readonly warnings: string[];
  close(): Promise<void>;
}

/** What the log analysers return (src/triage/logs/index.ts: `analyzeLogs(c, opts)`). */
export interface LogAnalysis {
  findings: TriageFinding[];
  timeline: TimelineEvent[];
  /** Log families checked, e.g. `access logs (3 files, 2 gzip)`. */
  checked: string[];
  /** Log families missing, e.g. `error logs: no /var/log/httperror.log*`. */
  notChecked: string[];
  bytes: number;
}
