/**
 * Time and line formats of the appliance's logs and listings (Apache combined and error logs,
 * BSD syslog, ns.log, ps), for the lab's collections. Times are epoch seconds, always UTC.
 */

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const p2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** Epoch seconds of a UTC date. */
export function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

export const DAY_S = 86_400;
export const HOUR_S = 3_600;

/** `10/Jan/2020:21:14:05 +0000` (Apache access log). */
export function apacheTime(t: number): string {
  const d = new Date(t * 1000);
  return `${p2(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

/** `Fri Jan 10 21:14:05 2020` (Apache 2.2 error log). */
export function errorTime(t: number): string {
  const d = new Date(t * 1000);
  return `${DAY[d.getUTCDay()]} ${MON[d.getUTCMonth()]} ${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** `Jan 10 21:14:05` / `Jan  9 01:02:03` (BSD syslog). */
export function syslogTime(t: number): string {
  const d = new Date(t * 1000);
  const day = d.getUTCDate();
  return `${MON[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}

/** `01/10/2020:21:14:05 GMT` (ns.log event time). */
export function nsTime(t: number): string {
  const d = new Date(t * 1000);
  return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} GMT`;
}

/** `ps` STARTED column (FreeBSD): `9:05PM` within a day, `Fri09PM` within a week, else `4Dec19`. */
export function psStarted(t: number, now: number): string {
  const d = new Date(t * 1000);
  const h = d.getUTCHours();
  const ampm = h < 12 ? 'AM' : 'PM';
  const h12 = h % 12 === 0 ? 12 : h % 12;
  if (now - t < 86_400) return `${h12}:${p2(d.getUTCMinutes())}${ampm}`;
  if (now - t < 7 * 86_400) return `${DAY[d.getUTCDay()]}${p2(h12)}${ampm}`;
  return `${d.getUTCDate()}${MON[d.getUTCMonth()]}${String(d.getUTCFullYear()).slice(2)}`;
}

/** ISO 8601 UTC without milliseconds. */
export function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** One Apache combined-format line. */
export function accessLine(
  ip: string,
  t: number,
  method: string,
  target: string,
  status: number,
  size: number | null,
  ref: string,
  ua: string,
): string {
  return `${ip} - - [${apacheTime(t)}] "${method} ${target} HTTP/1.1" ${status} ${size === null ? '-' : size} "${ref}" "${ua}"`;
}
