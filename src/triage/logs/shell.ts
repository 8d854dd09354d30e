/**
 * Shell-history analyser (`/var/log/bash.log*`, `notice.log*`, `sh.log*`; DOMAIN §4.2#12, §4.5).
 * Lines look like `Jan 17 20:07:22 <local7.notice> ns bash[1234]: root on /dev/pts/0
 * shell_command="…"`; the command (or, without `shell_command=`, the whole line) is searched for
 * FireEye's fixed strings.
 *
 * Confidence (`shell-history-ioc`):
 *   - strong strings (the attacker IPs, downloader/miner/NOTROBIN/APT41 paths and tool names)
 *     → high, kind compromise;
 *   - generic strings an administrator may type too (`/etc/shadow`, `/etc/security/passwd`,
 *     `/flash/nsconfig/ns.conf`, `NSC_USER`, `nc -l`, `python -c '`, `scan.py`) → medium
 *     compromise when the session user is `nobody` or missing (`(null) on`, what the web server's
 *     children log), otherwise low anomaly. `(null) on` alone is not reported: cron and scripts
 *     log it too, and FireEye does not grep it.
 *   `/etc/passwd` and `whoami` are not searched (too noisy, as in §4.5).
 * Whitelist (self-hits, §4.5 and §4.10): commands naming our own tools (`edgewatch`, FireEye's
 * `ioc-scanner`/`ioc_checker`), and read-only searches: every `|` segment starts with
 * grep/egrep/fgrep/zgrep/ls/stat/md5/sha256/file/zcat/cat-free reading tools, at least one is a
 * search (grep family, ls, stat, md5, sha*, file), and there is no `;`, `&`, `>` (other than
 * `2>/dev/null`), `<`, backtick or `$(`. The collect script should keep `edgewatch` in its own
 * command lines (e.g. its output directory name) so that its copies of IOC paths never self-hit.
 */
import type { TimelineEvent } from '../types.js';
import { type FindingSink, makeFinding, type RuleMeta } from './findings.js';
import type { LineHandler } from './lines.js';
import { excerpt, parseSyslogTime } from './text.js';

const META: RuleMeta = { kind: 'compromise', confidence: 'high', ref: '§4.2#12, §4.5' };

/** Attacker addresses of §4.5 (also used by the cron analyser). */
export const IOC_IPS = [
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
];

/** Regex source matching one of `ips` as a whole address. */
export function ipAlternation(ips: readonly string[]): string {
  return `(?<![\\d.])(?:${ips.map((i) => i.replace(/\./g, '\\.')).join('|')})(?![\\d])`;
}

const STRONG_SRC = [
  ipAlternation(IOC_IPS),
  '\\/wp-content\\/uploads\\/',
  'tee \\/netscaler\\/portal',
  '(?<![\\w.-])ci[23]?\\.sh\\b',
  '(?<![\\w.-])cmd\\.pl\\b',
  'www\\.jdjd\\.com',
  'eternalblue',
  '(?<![\\w.-])x(?:64|86)\\.dll\\b',
  '(?<![\\w.-])ld\\.sh\\b',
  'piz\\.Lan',
  '\\.new\\.zip',
  '\\/tmp\\/rAgn',
  '\\/tmp\\/\\.init\\/httpd',
  '\\/tmp\\/l\\.sh\\b',
  '\\/tmp\\/bsd\\b',
  '\\/tmp\\/un\\b',
  '\\/var\\/nstmp\\/\\.nscache\\/',
  '\\/var\\/tmp\\/netscalerd',
  '\\/vpn\\/themes\\/imgs\\/(?:tiny|debug|conn)\\.php',
].join('|');
const WEAK_SRC = [
  '\\/etc\\/security\\/passwd',
  '\\/etc\\/shadow\\b',
  '\\/flash\\/nsconfig\\/ns\\.conf\\b',
  'NSC_USER',
  '\\bnc +-l',
  "python[\\d.]* +-c +'",
  '(?<![\\w.-])scan\\.py\\b',
].join('|');

const STRONG = new RegExp(STRONG_SRC, 'i');
const WEAK = new RegExp(WEAK_SRC, 'i');
const PREFILTER = new RegExp(`${STRONG_SRC}|${WEAK_SRC}`, 'gi');

const COMMAND = /shell_command="(.*)"\s*$/;
const USER = /:\s+(\S{1,64}) on \S{1,64} +shell_command=/;
const OWN_TOOLS = /edgewatch|ioc[-_]scanner|ioc[-_]checker/i;
const SEARCH = new Set(['grep', 'egrep', 'fgrep', 'zgrep', 'zegrep', 'zfgrep', 'ls', 'stat', 'md5', 'sha1', 'sha256', 'file']);
const READERS = new Set([...SEARCH, 'zcat', 'gzcat', 'wc', 'sort', 'uniq', 'head', 'tail', 'cut']);

/**
 * Splits `cmd` at unquoted `|` into pipeline segments; null when it does more than a pipeline:
 * an unquoted `;`, `&`, `<`, `>` (bar `2>/dev/null`), a backtick or `$(` outside single quotes.
 */
export function pipelineSegments(cmd: string): string[] | null {
  const c = cmd.replace(/\\"/g, '"').replace(/(^|\s)2>\s*\/dev\/null(?=\s|$)/g, '$1');
  const segs: string[] = [];
  let cur = '';
  let q: '' | "'" | '"' = '';
  for (let i = 0; i < c.length; i++) {
    const ch = c[i];
    if (q === "'") {
      if (ch === "'") q = '';
    } else if (ch === '`' || (ch === '$' && c[i + 1] === '(')) {
      return null;
    } else if (q === '"') {
      if (ch === '"') q = '';
    } else if (ch === "'" || ch === '"') {
      q = ch;
    } else if (ch === '|') {
      segs.push(cur);
      cur = '';
      continue;
    } else if (ch === ';' || ch === '&' || ch === '<' || ch === '>') {
      return null;
    }
    cur += ch;
  }
  segs.push(cur);
  return segs;
}

/** Whether `cmd` is one of our own tools or a read-only search (see the module comment). */
export function isWhitelistedCommand(cmd: string): boolean {
  if (OWN_TOOLS.test(cmd)) return true;
  const segs = pipelineSegments(cmd);
  if (!segs) return false;
  let search = false;
  for (const seg of segs) {
    const first = /^\s*(?:\S*\/)?(\S+)/.exec(seg)?.[1] ?? '';
    if (!READERS.has(first)) return false;
    if (SEARCH.has(first)) search = true;
  }
  return search;
}

/** Shell-history IOC check of one line; null when nothing (or only a whitelisted command) matched. */
export function shellIoc(line: string): { ioc: string; strong: boolean; user: string | null; command: string } | null {
  const command = COMMAND.exec(line)?.[1] ?? line;
  const s = STRONG.exec(command);
  const w = s ? null : WEAK.exec(command);
  if (!s && !w) return null;
  if (isWhitelistedCommand(command)) return null;
  return { ioc: (s ?? w)![0], strong: s !== null, user: USER.exec(line)?.[1] ?? null, command };
}

export class ShellAnalysis {
  matches = 0;
  readonly events: TimelineEvent[] = [];

  constructor(
    private readonly sink: FindingSink,
    private readonly ref: () => Date | null,
  ) {}

  forFile(path: string): LineHandler {
    let events = 0;
    return {
      prefilter: PREFILTER,
      line: (text, no) => {
        const hit = shellIoc(text);
        if (!hit) return;
        this.matches++;
        const anonymous = hit.user === null || hit.user === '(null)' || hit.user === 'nobody';
        const conf = hit.strong ? 'high' : anonymous && hit.user !== null ? 'medium' : 'low';
        const who = hit.user ?? 'unknown user';
        const f = makeFinding('shell-history-ioc', META, {
          title: `shell history: ${who} ran a command with "${excerpt(hit.ioc, 60)}"`,
          path,
          line: no,
          text,
          time: parseSyslogTime(text, this.ref()),
          confidence: conf,
          kind: conf === 'low' ? 'anomaly' : 'compromise',
        });
        if (this.sink.add(f) && f.time && conf !== 'low' && events < 20) {
          events++;
          this.events.push({ time: f.time, what: `ran (${who}): ${excerpt(hit.command, 160)}`, rule: f.rule, path });
        }
      },
    };
  }
}
