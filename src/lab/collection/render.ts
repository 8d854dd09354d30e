/**
 * Render a scenario into a collection in the layout of src/triage/types.ts: `fs/<appliance path>`
 * copies, `meta/collect.txt`, `meta/stat.txt`, `meta/suid.txt`, `meta/ps.txt` and
 * `meta/sockstat.txt` (live collections), `meta/crontab.txt` and `MANIFEST.sha256`. Deterministic:
 * the same scenario always gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { X1_DIR, X2_DIR, X3_DIR } from '../compromise.js';
import { prng } from '../rand.js';
import {
  binaryStandIn,
  bookmark,
  GUI_PHP,
  LOGON_FILES,
  loaderConf,
  notrobinKeyShell,
  nsConf,
  PORTAL_SCRIPTS,
  portalScript,
  ROOT_CRONTAB,
  SUID_WHITELIST,
  templateXml,
  webshell2020,
  webshell2023v1,
  webshell2023v2,
} from './content.js';
import { HOUR_S, iso, psStarted } from './fmt.js';
import { buildLogs, nobodyCrontab } from './logs.js';
import { buildAt, type Install, implantPathsOf, type Scenario } from './scenario.js';

/** One `meta/stat.txt` line. */
export interface StatEntry {
  path: string;
  /** st_mode including the file type bits (0o100644, 0o40755, 0o104755). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  ctime: number;
}

/** A rendered collection: its files by relative path and the facts the expectations derive from. */
export interface RenderedCollection {
  name: string;
  /** Relative path (`fs/...`, `meta/...`, `MANIFEST.sha256`) → bytes, sorted by path. */
  files: Map<string, Buffer>;
  /** Appliance path → plain text of every `fs/` file (rotated logs decompressed). */
  text: Map<string, string>;
  stat: StatEntry[];
  suid: string[];
  ps: string | null;
  sockstat: string | null;
  crontab: string;
  collectedAt: number;
  /** Appliance paths of what the compromise left behind (empty when clean). */
  implantPaths: string[];
}

const ROOT = 0;
const NOBODY = 65534;
const F644 = 0o100644;

interface FsFile {
  path: string;
  data: Buffer;
  text: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  ctime: number;
}

function file(path: string, text: string, mode: number, uid: number, gid: number, mtime: number, ctime = mtime): FsFile {
  return { path, data: Buffer.from(text), text, mode, uid, gid, mtime, ctime };
}

/** Parent directories that are stat'ed (depth ≥ 2, e.g. /var/log but not /var). */
function parents(p: string): string[] {
  const out: string[] = [];
  let i = p.lastIndexOf('/');
  while (i > 0) {
    const d = p.slice(0, i);
    if (d.split('/').length >= 3) out.push(d);
    i = d.lastIndexOf('/');
  }
  return out;
}

const RAM_DISK = (p: string) => p.startsWith('/netscaler/') || p.startsWith('/tmp/');

function psText(s: Scenario, boot: number, extra: string[]): string {
  const r = prng(s.seed ^ 0x9a11);
  const now = s.collectedAt;
  const st = psStarted(boot, now);
  let pid = 1000 + Math.floor(r() * 200);
  const rows: string[] = [];
  const row = (
    user: string,
    cpu: string,
    mem: string,
    vsz: number,
    rss: number,
    stat: string,
    started: string,
    time: string,
    cmd: string,
    fixedPid?: number,
  ) => {
    if (fixedPid === undefined) pid += 1 + Math.floor(r() * 40);
    const p = fixedPid ?? pid;
    rows.push(
      `${user.padEnd(8)} ${String(p).padStart(5)} ${cpu.padStart(4)} ${mem.padStart(4)} ${String(vsz).padStart(7)} ${String(rss).padStart(6)}  ??  ${stat.padEnd(5)}${started.padStart(8)} ${time.padStart(9)} ${cmd}`,
    );
  };
  row('root', '0.0', '0.0', 3184, 564, 'ILs', st, '0:00.02', '/sbin/init --', 1);
  row('root', '99.0', '24.1', 1437532, 1013424, 'Rs', st, '4820:11.32', 'nsppe (NSPPE-00)');
  row('root', '0.0', '0.1', 10136, 1804, 'Ss', st, '0:12.40', '/usr/sbin/syslogd -b 127.0.0.1 -n -v -v -8 -C');
  row('root', '0.0', '0.2', 53516, 8420, 'Ss', st, '1:02.77', '/netscaler/nsnetsvc');
  row('root', '0.0', '0.3', 82612, 12104, 'Ss', st, '3:41.05', '/netscaler/nsconfigd');
  row('root', '0.0', '0.2', 61220, 9744, 'Ss', st, '0:48.19', '/netscaler/nsaaad');
  row('root', '0.0', '0.2', 59812, 9016, 'Ss', st, '0:31.66', '/netscaler/nsvpnd');
  row('root', '0.0', '0.1', 32860, 4412, 'Ss', st, '0:20.01', '/netscaler/nslped');
  row('root', '0.0', '0.1', 28340, 3920, 'Ss', st, '0:09.13', '/netscaler/nsumond');
  row('root', '0.0', '0.1', 14632, 2380, 'Ss', st, '0:05.42', '/usr/sbin/cron -s');
  row('root', '0.0', '0.1', 41384, 3556, 'Is', st, '0:00.18', '/usr/sbin/sshd');
  row('root', '0.0', '0.4', 90128, 15820, 'Ss', st, '0:14.87', '/bin/httpd');
  for (let k = 0; k < 5; k++) row('nobody', '0.0', '0.4', 90128, 16004 + k * 12, 'I', st, `0:0${k}.${10 + k}`, '/bin/httpd');
  for (const e of extra) rows.push(e);
  row('root', '0.0', '0.1', 10988, 2260, 'R+', psStarted(now - 5, now), '0:00.00', 'ps auxww');
  return `USER       PID %CPU %MEM     VSZ    RSS  TT  STAT STARTED      TIME COMMAND\n${rows.join('\n')}\n`;
}

function sockLine(user: string, cmd: string, pid: number, fd: number, proto: string, local: string, foreign: string): string {
  return `${user.padEnd(8)} ${cmd.padEnd(10)} ${String(pid).padEnd(5)} ${String(fd).padEnd(3)}${proto.padEnd(6)} ${local.padEnd(21)} ${foreign}`;
}

const SOCK_HEAD = 'USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS';

/** Render a scenario's collection. */
export function renderCollection(s: Scenario): RenderedCollection {
  const now = s.collectedAt;
  const b = buildAt(s, now);
  const firstInstall = (s.installs[0] as Install).at;
  const boot = (s.installs.filter((i) => i.at <= now).pop() as Install).at;
  const responderNow = s.responderAt !== null && s.responderAt <= now;
  const fs: FsFile[] = [];
  const add = (f: FsFile) => fs.push(f);

  add(file('/flash/boot/loader.conf', loaderConf(b), F644, ROOT, ROOT, boot));
  add(
    file(
      '/flash/nsconfig/ns.conf',
      nsConf(b, s.hostname, s.ip, responderNow),
      F644,
      ROOT,
      ROOT,
      Math.max(boot, responderNow ? (s.responderAt as number) : 0),
    ),
  );
  for (const [name, md5] of PORTAL_SCRIPTS)
    add(file(`/netscaler/portal/scripts/${name}`, portalScript(name, md5), 0o100555, ROOT, ROOT, b.date, boot));
  for (const [p, t] of GUI_PHP) add(file(p, t, 0o100444, ROOT, ROOT, b.date, boot));
  // /var/netscaler/logon is re-extracted at boot: mtime = ctime = boot (no false timestomp).
  for (const [p, t] of LOGON_FILES) add(file(p, t, 0o100444, ROOT, ROOT, boot));
  add(file('/var/cron/tabs/root', ROOT_CRONTAB, 0o100600, ROOT, ROOT, firstInstall));
  if (s.traffic === 'normal' && !b.vulnerable) {
    const t = Math.max(boot + 3 * HOUR_S, now - 2 * 86_400);
    add(file('/var/vpn/bookmark/bm_prefix_alice.xml', bookmark('alice'), F644, NOBODY, NOBODY, t));
  }

  // Implants.
  const implants = implantPathsOf(s);
  const c = s.compromise;
  const nc = nobodyCrontab(s);
  if (c) {
    const p = c.plan;
    const at = c.at;
    for (const path of implants) {
      if (path.endsWith(`/${p.template}.xml`)) add(file(path, templateXml(p.template), F644, NOBODY, NOBODY, at + 2));
      else if (path === '/tmp/.init/httpd') add(file(path, binaryStandIn('the NOTROBIN binary'), 0o100744, NOBODY, NOBODY, at + 3));
      else if (path === '/var/nstmp/.nscache/httpd')
        add(file(path, binaryStandIn('the NOTROBIN binary'), 0o100744, NOBODY, NOBODY, at + 5));
      else if (path === '/var/cron/tabs/nobody' && nc)
        add(file(path, `# DO NOT EDIT THIS FILE - edit the master and reinstall.\n${nc.line}\n`, 0o100600, ROOT, NOBODY, at + 6));
      else if (path === `/var/vpn/themes/${p.key}.php`) add(file(path, notrobinKeyShell(p.key), F644, NOBODY, NOBODY, at + 8));
      else if (path === '/var/tmp/netscalerd')
        add(file(path, binaryStandIn('the netscalerd coin miner'), 0o100755, NOBODY, NOBODY, at + 6));
      else if (path.startsWith(X1_DIR)) {
        const name = path.slice(X1_DIR.length);
        const ctime = c.stompTo !== null ? at + 600 : at + 5;
        add(file(path, webshell2020(name), F644, NOBODY, NOBODY, c.stompTo ?? at + 5, ctime));
      } else if (path.startsWith(X2_DIR)) add(file(path, webshell2023v1(path.slice(X2_DIR.length)), F644, NOBODY, NOBODY, at + 5));
      else if (path.startsWith(X3_DIR)) add(file(path, webshell2023v2(path.slice(X3_DIR.length)), F644, NOBODY, NOBODY, at + 5));
      else if (path === '/var/nss') add(file(path, binaryStandIn('a setuid copy of /bin/sh'), 0o104755, ROOT, ROOT, at + 30));
    }
  }

  // Logs.
  const logs = buildLogs(s);
  for (const l of logs.files)
    add({ path: l.path, data: l.data, text: l.text, mode: F644, uid: ROOT, gid: ROOT, mtime: l.mtime, ctime: l.mtime });

  // stat.txt: files, their parent directories, a few known directories, and stat-only entries.
  const stat: StatEntry[] = fs.map((f) => ({
    path: f.path,
    mode: f.mode,
    uid: f.uid,
    gid: f.gid,
    size: f.data.length,
    mtime: f.mtime,
    ctime: f.ctime,
  }));
  for (const i of s.installs) {
    if (i.at > now) continue;
    const size = 1_150_000_000 + (i.build.parts[2] * 7919 + i.build.parts[3] * 104_729);
    stat.push({
      path: `/var/nsinstall/build-${i.build.version}_nc_64.tgz`,
      mode: F644,
      uid: NOBODY,
      gid: ROOT,
      size,
      mtime: i.at - 900,
      ctime: i.at - 900,
    });
  }
  const dirs = new Map<string, number>();
  const touch = (d: string, t: number) => dirs.set(d, Math.max(dirs.get(d) ?? 0, t));
  for (const d of [
    '/netscaler/portal/templates',
    '/var/vpn/bookmark',
    '/var/vpn/themes',
    '/var/nstmp',
    '/var/tmp',
    '/var/netscaler/logon/LogonPoint/uiareas',
    '/netscaler/ns_gui/epa/scripts/win',
    '/var/log',
  ])
    touch(d, RAM_DISK(`${d}/`) ? boot : firstInstall);
  for (const e of stat) {
    for (const d of parents(e.path)) touch(d, RAM_DISK(`${d}/`) ? boot : firstInstall);
    const parent = e.path.slice(0, e.path.lastIndexOf('/'));
    if (parent.split('/').length >= 3) touch(parent, e.ctime);
  }
  for (const [d, t] of dirs) stat.push({ path: d, mode: 0o40755, uid: ROOT, gid: ROOT, size: 512, mtime: t, ctime: t });
  stat.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));

  const suid = [...SUID_WHITELIST, ...stat.filter((e) => (e.mode & 0o4000) !== 0).map((e) => e.path)].sort();

  // Live listings.
  let ps: string | null = null;
  let sockstat: string | null = null;
  if (s.live) {
    const r = prng(s.seed ^ 0x50c5);
    const extra: string[] = [];
    const listen: string[] = [
      sockLine('root', 'syslogd', 1033, 6, 'udp4', '127.0.0.1:514', '*:*'),
      sockLine('root', 'nsnetsvc', 1180, 5, 'tcp4', '127.0.0.1:3010', '*:*'),
      sockLine('root', 'sshd', 1203, 4, 'tcp4', '*:22', '*:*'),
      sockLine('root', 'httpd', 1290, 3, 'tcp4', '127.0.0.1:80', '*:*'),
      sockLine('root', 'httpd', 1290, 4, 'tcp4', '127.0.0.1:443', '*:*'),
    ];
    const conn: string[] = [
      sockLine('root', 'sshd', 5120, 3, 'tcp4', '10.0.0.10:22', '10.0.0.50:51514'),
      sockLine('nobody', 'httpd', 1301, 9, 'tcp4', '127.0.0.1:80', `127.0.0.1:${40000 + Math.floor(r() * 20000)}`),
    ];
    const kind = c?.plan.kind;
    const row = (user: string, pid: number, cpu: string, started: number, cmd: string) =>
      `${user.padEnd(8)} ${String(pid).padStart(5)} ${cpu.padStart(4)} ${'0.1'.padStart(4)} ${String(10172).padStart(7)} ${String(2044).padStart(6)}  ??  ${'Ss'.padEnd(5)}${psStarted(started, now).padStart(8)} ${'0:01.12'.padStart(9)} ${cmd}`;
    if (kind === 'notrobin') {
      const pid = 4000 + Math.floor(r() * 4000);
      extra.push(row('nobody', pid, '0.0', Math.max(boot, (c as NonNullable<typeof c>).at + 60), '/var/nstmp/.nscache/httpd'));
      listen.push(sockLine('nobody', 'httpd', pid, 3, 'udp4', '*:18634', '*:*'));
    } else if (kind === 'miner') {
      const pid = 4000 + Math.floor(r() * 4000);
      extra.push(row('nobody', pid, '98.2', Math.max(boot, (c as NonNullable<typeof c>).at + 600), '/var/tmp/netscalerd'));
      conn.push(sockLine('nobody', 'netscalerd', pid, 4, 'tcp4', '10.0.0.10:51234', '203.0.113.250:3333'));
    }
    ps = psText(s, boot, extra);
    sockstat = `${SOCK_HEAD}\n${listen.join('\n')}\n${SOCK_HEAD}\n${conn.join('\n')}\n`;
  }
  const nobodyTab = implants.includes('/var/cron/tabs/nobody') && nc ? `${nc.line}\n` : 'crontab: no crontab for nobody\n';
  const rootTab = ROOT_CRONTAB.split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .join('\n');
  const crontab = `# user: root\n${rootTab}\n# user: nobody\n${nobodyTab}`;

  const collect = [
    `hostname: ${s.hostname}`,
    `ip: ${s.ip}`,
    `ns_version: ${b.version}`,
    `collected_at: ${iso(now)}`,
    'script_version: edgewatch-lab-1',
    `uname: FreeBSD ${s.hostname} 8.4-NETSCALER-${b.branch} FreeBSD 8.4-NETSCALER-${b.branch} #0: ${new Date(b.date * 1000).toUTCString()} root@bld:/usr/obj/usr.src/sys/NS64 amd64`,
    `mode: ${s.live ? 'live' : 'offline'}`,
    'note: edgewatch lab collection (synthetic stand-in data; no vendor files, no working payloads)',
  ].join('\n');

  const files = new Map<string, Buffer>();
  const text = new Map<string, string>();
  for (const f of fs) {
    files.set(`fs${f.path}`, f.data);
    text.set(f.path, f.text);
  }
  const fmtMode = (m: number) => m.toString(8);
  files.set('meta/collect.txt', Buffer.from(`${collect}\n`));
  files.set(
    'meta/stat.txt',
    Buffer.from(stat.map((e) => `${fmtMode(e.mode)}\t${e.uid}\t${e.gid}\t${e.size}\t${e.mtime}\t${e.ctime}\t${e.path}`).join('\n') + '\n'),
  );
  files.set('meta/suid.txt', Buffer.from(`${suid.join('\n')}\n`));
  if (ps !== null) files.set('meta/ps.txt', Buffer.from(ps));
  if (sockstat !== null) files.set('meta/sockstat.txt', Buffer.from(sockstat));
  files.set('meta/crontab.txt', Buffer.from(crontab));
  const sorted = new Map([...files.entries()].sort(([a], [z]) => (a < z ? -1 : a > z ? 1 : 0)));
  const manifest = [...sorted.entries()].map(([p, d]) => `${createHash('sha256').update(d).digest('hex')}  ${p}`).join('\n');
  sorted.set('MANIFEST.sha256', Buffer.from(`${manifest}\n`));
  return { name: s.name, files: sorted, text, stat, suid, ps, sockstat, crontab, collectedAt: now, implantPaths: implants };
}
