/**
 * Text helpers of the log analysers: bounded, escaped excerpts and timestamp parsing for the
 * three line formats on the appliance (Apache access `[17/Jan/2020:20:07:22 +0000]`, Apache error
 * `[Fri Jan 17 20:07:22 2020]`, BSD syslog `Jan 17 20:07:22`, which carries no year). All times
 * come out as ISO UTC strings (`Date#toISOString`). Lines are handled as latin1 strings (one char
 * per byte), so binary junk never throws and is escaped byte for byte.
 */

/** Longest excerpt a finding carries (TriageFinding.excerpt). */
export const EXCERPT_MAX = 300;

const HEX = '0123456789abcdef';

/**
 * `s` with control and non-ASCII characters escaped (`\t`, `\xNN`; chars above 0xff as `\u{…}`),
 * cut to `max` characters with a trailing `…` when longer.
 */
export function excerpt(s: string, max = EXCERPT_MAX): string {
  let out = '';
  let cut = -1; // length of `out` at the last piece boundary that still leaves room for `…`
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let piece: string;
    if (c >= 0x20 && c < 0x7f) piece = s[i];
    else if (c === 9) piece = '\\t';
    else if (c <= 0xff) piece = `\\x${HEX[c >> 4]}${HEX[c & 15]}`;
    else piece = `\\u{${c.toString(16)}}`;
    if (cut < 0 && out.length + piece.length > max - 1) cut = out.length;
    if (out.length + piece.length > max) return `${out.slice(0, cut)}…`;
    out += piece;
  }
  return out;
}

const MONTHS: Record<string, number> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

function utc(y: number, mon: number, d: number, h: number, mi: number, s: number, offsetMin = 0): string | undefined {
  if (mon < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1970 || y > 2100) return undefined;
  const ms = Date.UTC(y, mon, d, h, mi, s) - offsetMin * 60_000;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

const APACHE = /^(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s+([+-])(\d{2}):?(\d{2}))?/;

/** `17/Jan/2020:20:07:22 +0100` (the text between `[` and `]` of an access-log line) → ISO UTC. */
export function parseApacheTime(t: string): string | undefined {
  const m = APACHE.exec(t);
  if (!m) return undefined;
  const mon = MONTHS[m[2]] ?? -1;
  const off = m[7] ? (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) : 0;
  return utc(Number(m[3]), mon, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]), off);
}

const ERRLOG = /^\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.\d{1,6})? (\d{4})\]/;

/** Leading `[Fri Jan 17 20:07:22 2020]` (Apache 2.2) or `[Fri Jan 17 20:07:22.123456 2020]` (2.4) → ISO UTC. */
export function parseErrorLogTime(line: string): string | undefined {
  const m = ERRLOG.exec(line);
  if (!m) return undefined;
  return utc(Number(m[6]), MONTHS[m[1]] ?? -1, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
}

const SYSLOG = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\b/;

/**
 * Leading BSD syslog stamp `Jan 17 20:07:22` → ISO UTC. Syslog carries no year: it is taken from
 * `ref` (the collection time), minus one when the stamp would lie more than a day after `ref`.
 * The appliance logs in UTC by default; a box set to another zone shifts these times.
 * Without `ref` the time is unknown (undefined).
 */
export function parseSyslogTime(line: string, ref: Date | null): string | undefined {
  if (!ref) return undefined;
  const m = SYSLOG.exec(line);
  if (!m) return undefined;
  const mon = MONTHS[m[1]] ?? -1;
  const y = ref.getUTCFullYear();
  const args = [mon, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])] as const;
  const t = utc(y, ...args);
  if (t !== undefined && Date.parse(t) > ref.getTime() + 86_400_000) return utc(y - 1, ...args);
  return t;
}
