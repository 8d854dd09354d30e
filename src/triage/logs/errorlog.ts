/**
 * Error-log analyser (`/var/log/httperror.log*`; DOMAIN §4.4): stderr of commands run through a
 * planted template lands in Apache's error log. FireEye greps the whole file for `curl`, `wget`,
 * `Xferd`, `mkdir`, `netscalerd`, `fuck`, `/tmp/.init/httpd`, `cat: /proc/{version,cpuinfo}: No
 * such file or directory`, `socket.error: ` and `Traceback (most recent call last):`, which fires
 * on a clean box whenever a client merely requested a path containing such a word.
 *
 * Our rule (`error-log-command-output`): a marker counts only outside Apache's own diagnostics.
 *   - A bare line (no `[date] [level]` prefix) is raw command output: any marker counts.
 *   - A prefixed line counts only when its message (after `[client …]`, `AH01234: `) is not an
 *     Apache diagnostic that echoes a client-chosen path or request: a message that opens with a
 *     phrase of two or more words followed by `:` (`File does not exist: /…`, `client denied by
 *     server configuration: /…`, `script not found or unable to stat: /…`, `PHP Warning: …`), or
 *     `Invalid URI in request …`, `request failed …` and kin. Command stderr opens with one word
 *     and a colon (`curl: (7) …`, `mkdir: /tmp/.init: File exists`, `sh: wget: not found`), so it
 *     still counts when Apache wraps it; `Traceback (most recent call last):` is exempt.
 * Markers are case-insensitive and whole words for curl/wget/Xferd/mkdir. Confidence: high, but
 * medium for `mkdir` and `fuck` alone. A bare line has no time of its own: it takes the time of
 * the closest timestamped line above it (approximate, said so in the title).
 */
import type { TimelineEvent } from '../types.js';
import { type FindingSink, makeFinding, type RuleMeta } from './findings.js';
import type { LineHandler } from './lines.js';
import { excerpt, parseErrorLogTime } from './text.js';

const META: RuleMeta = { kind: 'exploitation', confidence: 'high', ref: '§4.4' };

const MARKERS =
  /\b(?:curl|wget|Xferd|mkdir)\b|netscalerd|fuck|\/tmp\/\.init\/httpd|cat: \/proc\/(?:version|cpuinfo): No such file or directory|socket\.error: |Traceback \(most recent call last\):/i;
/** Pre-filter: also any line with a leading stamp, so bare lines can inherit its time. */
const PREFILTER =
  /\b(?:curl|wget|Xferd|mkdir)\b|netscalerd|fuck|\/tmp\/\.init\/httpd|cat: \/proc\/|socket\.error: |Traceback \(most|^\[[A-Z][a-z]{2} [A-Z][a-z]{2} /gim;
const WEAK = /^(?:mkdir|fuck)$/i;

const PREFIX =
  /^\[[^\]]{10,48}\] +\[(?:[a-z_]+:)?(?:emerg|alert|crit|error|warn|notice|info|debug|trace\d)\] +(?:\[pid [^\]]{1,40}\] +)?(?:\[client [^\]]{1,80}\] +)?(?:AH\d{5}: +)?/i;
const APACHE_DIAG =
  /^(?:\(-?\d+\))?[A-Za-z][\w'.()-]*(?: +[\w'.()-]+)+: |^(?:Invalid (?:URI|method) in request|request failed|client sent|Request header|Negotiation|Directory index forbidden|Options FollowSymLinks|Symbolic link not allowed|attempt to invoke directory|File name too long|user .{1,64} not found)/i;
const TRACEBACK = /^Traceback \(most recent call last\):/;

/** Whether an error-log line is command output carrying a FireEye marker; returns the marker. */
export function commandOutputMarker(line: string): string | null {
  const m = MARKERS.exec(line);
  if (!m) return null;
  const p = PREFIX.exec(line);
  if (p) {
    const msg = line.slice(p[0].length);
    if (!TRACEBACK.test(msg) && APACHE_DIAG.test(msg)) return null;
    const mm = MARKERS.exec(msg);
    return mm ? mm[0] : null;
  }
  if (/^\[[A-Z][a-z]{2} [A-Z][a-z]{2} /.test(line)) return null; // stamped but unknown shape: not raw output
  return m[0];
}

export class ErrorLogAnalysis {
  matches = 0;
  readonly events: TimelineEvent[] = [];

  constructor(private readonly sink: FindingSink) {}

  forFile(path: string): LineHandler {
    let lastTime: string | undefined;
    let events = 0;
    return {
      prefilter: PREFILTER,
      line: (text, no) => {
        const t = parseErrorLogTime(text);
        if (t !== undefined) lastTime = t;
        const marker = commandOutputMarker(text);
        if (!marker) return;
        this.matches++;
        const approx = t === undefined && lastTime !== undefined;
        const f = makeFinding('error-log-command-output', META, {
          title: `command output in the error log (${marker})${approx ? ', time of the line above' : ''}`,
          path,
          line: no,
          text,
          time: t ?? lastTime,
          confidence: WEAK.test(marker) ? 'medium' : 'high',
        });
        if (this.sink.add(f) && f.time && events < 20) {
          events++;
          this.events.push({ time: f.time, what: `command output in the error log: ${excerpt(text, 120)}`, rule: f.rule, path });
        }
      },
    };
  }
}
