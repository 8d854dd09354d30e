/**
 * Parsers of the `meta/` listings of a collection (layout in types.ts): stat.txt, suid.txt,
 * crontab.txt, ps.txt, sockstat.txt and collect.txt. Each parser is total: malformed lines are
 * counted and skipped, never thrown on.
 */

/** One line of meta/stat.txt. */
export interface StatRow {
  /** Full st_mode (file type bits included when the listing had them). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Epoch seconds. */
  mtime: number;
  ctime: number;
  path: string;
}

export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;

export function isRegular(r: StatRow): boolean {
  const t = r.mode & S_IFMT;
  return t === S_IFREG || (t === 0 && !r.path.endsWith('/'));
}

export function isDir(r: StatRow): boolean {
  return (r.mode & S_IFMT) === S_IFDIR;
}

const INT = /^-?\d+$/;

/** Parse stat.txt: `<mode octal>\t<uid>\t<gid>\t<size>\t<mtime>\t<ctime>\t<absolute path>`. */
export function parseStat(text: string): { rows: Map<string, StatRow>; bad: number } {
  const rows = new Map<string, StatRow>();
  let bad = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const f = line.replace(/\r$/, '').split('\t');
    if (f.length < 7) {
      bad++;
      continue;
    }
    const path = f.slice(6).join('\t');
    if (!/^[0-7]{3,7}$/.test(f[0]) || !path.startsWith('/') || !f.slice(1, 6).every((x) => INT.test(x))) {
      bad++;
      continue;
    }
    const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
    rows.set(p, {
      mode: Number.parseInt(f[0], 8),
      uid: Number(f[1]),
      gid: Number(f[2]),
      size: Number(f[3]),
      mtime: Number(f[4]),
      ctime: Number(f[5]),
      path: p,
    });
  }
  return { rows, bad };
}

/** Absolute paths of meta/suid.txt (one a line; other lines ignored). */
export function parseSuid(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.replace(/\r$/, '').trim();
    if (l.startsWith('/')) out.push(l);
  }
  return out;
}

/** One crontab entry. */
export interface CronEntry {
  user: string;
  /** The schedule-less command (system crontabs: after the user column). */
  command: string;
  /** The whole line, for the excerpt. */
  raw: string;
  line: number;
}

const CRON_SCHED = /^\s*(@\w+|(?:\S+\s+){5})(.*)$/;

/**
 * Entries of a user crontab (`min hour dom mon dow command`), skipping comments, blank lines,
 * environment assignments and `no crontab for …` messages. `system` crontabs (/etc/crontab)
 * carry a user column before the command.
 */
export function parseCrontab(text: string, user: string, system = false, lineBase = 0): CronEntry[] {
  const out: CronEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || /^no crontab for/i.test(l) || /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(l)) continue;
    const m = CRON_SCHED.exec(l);
    if (!m) continue;
    let cmd = m[2].trim();
    let u = user;
    if (system) {
      const sp = /^(\S+)\s+(.*)$/.exec(cmd);
      if (!sp) continue;
      u = sp[1];
      cmd = sp[2];
    }
    out.push({ user: u, command: cmd, raw, line: lineBase + i + 1 });
  }
  return out;
}

/** meta/crontab.txt: blocks headed `# user: <name>`. */
export function parseCrontabBlocks(text: string): CronEntry[] {
  const out: CronEntry[] = [];
  const lines = text.split('\n');
  let user: string | null = null;
  let start = 0;
  const flush = (end: number) => {
    if (user !== null) out.push(...parseCrontab(lines.slice(start, end).join('\n'), user, false, start));
  };
  for (let i = 0; i < lines.length; i++) {
    const m = /^#\s*user:\s*(\S+)/.exec(lines[i]);
    if (m) {
      flush(i);
      user = m[1];
      start = i + 1;
    }
  }
  flush(lines.length);
  return out;
}

/** One process of `ps auxww`. */
export interface PsRow {
  user: string;
  pid: string;
  command: string;
  raw: string;
  line: number;
}

export function parsePs(text: string): PsRow[] {
  const out: PsRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const f = raw.trim().split(/\s+/);
    if (f.length < 11 || f[0] === 'USER') continue;
    if (!/^\d+$/.test(f[1])) continue;
    // USER PID %CPU %MEM VSZ RSS TT STAT STARTED TIME COMMAND…
    const m = /^\s*(?:\S+\s+){10}(.*)$/.exec(raw);
    out.push({ user: f[0], pid: f[1], command: m ? m[1] : f.slice(10).join(' '), raw, line: i + 1 });
  }
  return out;
}

/** One socket of `sockstat`. */
export interface SockRow {
  user: string;
  command: string;
  proto: string;
  local: string;
  foreign: string;
  raw: string;
  line: number;
}

export function parseSockstat(text: string): SockRow[] {
  const out: SockRow[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    const f = raw.trim().split(/\s+/);
    // USER COMMAND PID FD PROTO LOCAL-ADDRESS FOREIGN-ADDRESS
    if (f.length < 6 || f[0] === 'USER' || !/^(tcp|udp|sctp)/i.test(f[4])) continue;
    out.push({ user: f[0], command: f[1], proto: f[4].toLowerCase(), local: f[5], foreign: f[6] ?? '', raw, line: i + 1 });
  }
  return out;
}

/** meta/collect.txt: `key: value` lines. */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const m = /^\s*([A-Za-z_][\w.-]*)\s*:\s?(.*?)\s*$/.exec(raw);
    if (m && !out.has(m[1].toLowerCase())) out.set(m[1].toLowerCase(), m[2]);
  }
  return out;
}
