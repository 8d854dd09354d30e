/**
 * Cron-log analyser (`/var/log/cron*`; DOMAIN §4.2#11): `(nobody) CMD` (nobody has no cron job
 * on a clean appliance), the downloader names `ci.sh`/`ci2.sh`/`ci3.sh` and the miner hosts
 * `185.178.45.221`, `62.113.112.33` → `cron-log-download`, high, kind compromise. FreeBSD lines
 * look like `Jan 17 20:07:00 ns /usr/sbin/cron[1234]: (nobody) CMD (curl http://… | sh)`.
 */
import type { TimelineEvent } from '../types.js';
import { type FindingSink, makeFinding, type RuleMeta } from './findings.js';
import type { LineHandler } from './lines.js';
import { ipAlternation } from './shell.js';
import { excerpt, parseSyslogTime } from './text.js';

const META: RuleMeta = { kind: 'compromise', confidence: 'high', ref: '§4.2#11' };
const SRC = `\\(nobody\\) CMD|(?<![\\w.-])ci[23]?\\.sh\\b|${ipAlternation(['185.178.45.221', '62.113.112.33'])}`;
const MARKER = new RegExp(SRC);
const PREFILTER = new RegExp(SRC, 'g');
const CMD = /\) CMD \((.*)\)\s*$/;

/** The cron-log marker in `line`, or null. */
export function cronMarker(line: string): string | null {
  return MARKER.exec(line)?.[0] ?? null;
}

export class CronAnalysis {
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
        const marker = cronMarker(text);
        if (!marker) return;
        this.matches++;
        const f = makeFinding('cron-log-download', META, {
          title: `cron log: ${marker === '(nobody) CMD' ? 'a job ran as nobody' : `downloader trace "${marker}"`}`,
          path,
          line: no,
          text,
          time: parseSyslogTime(text, this.ref()),
        });
        if (this.sink.add(f) && f.time && events < 20) {
          events++;
          const cmd = CMD.exec(text)?.[1] ?? text;
          this.events.push({ time: f.time, what: `cron ran: ${excerpt(cmd, 160)}`, rule: f.rule, path });
        }
      },
    };
  }
}
