/**
 * Test helpers for triage: write a collection directory in the layout of src/triage/types.ts from
 * a small spec (files copied under fs/, meta/stat.txt generated from their modes and times), and
 * a clean fresh-install fixture.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openCollection } from '../../src/triage/open.js';
import { triageCollection } from '../../src/triage/run.js';
import type { TriageReport } from '../../src/triage/types.js';

export interface FakeFile {
  content?: string | Buffer;
  /** Permission bits (default 0o444). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** Epoch seconds (default 2020-01-20). */
  mtime?: number;
  ctime?: number;
  /** Copied under fs/ (default true). */
  copy?: boolean;
  /** Listed in meta/stat.txt (default true). */
  listed?: boolean;
}

export interface CollectionSpec {
  files?: Record<string, FakeFile | string>;
  /** meta/<name> texts; `stat.txt` is generated unless given or `noStat`. */
  meta?: Record<string, string>;
  noStat?: boolean;
  /** Write everything under this top-level folder. */
  top?: string;
}

export const T2020 = Date.UTC(2020, 0, 20) / 1000;

export function tempDir(prefix = 'ew-triage-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeCollection(dir: string, spec: CollectionSpec): string {
  const root = spec.top ? join(dir, spec.top) : dir;
  mkdirSync(join(root, 'meta'), { recursive: true });
  mkdirSync(join(root, 'fs'), { recursive: true });
  const stat: string[] = [];
  const dirs = new Set<string>();
  for (const [path, f0] of Object.entries(spec.files ?? {})) {
    const f: FakeFile = typeof f0 === 'string' ? { content: f0 } : f0;
    if (f.copy !== false) {
      const dst = join(root, 'fs', path);
      mkdirSync(dirname(dst), { recursive: true });
      writeFileSync(dst, f.content ?? '');
    }
    if (f.listed !== false) {
      const size = Buffer.byteLength(f.content ?? '');
      const mtime = f.mtime ?? T2020;
      stat.push([(0o100000 | (f.mode ?? 0o444)).toString(8), f.uid ?? 0, f.gid ?? 0, size, mtime, f.ctime ?? mtime, path].join('\t'));
      for (let d = dirname(path); d !== '/' && !dirs.has(d); d = dirname(d)) dirs.add(d);
    }
  }
  for (const d of dirs) stat.push(['40755', 0, 0, 512, T2020, T2020, d].join('\t'));
  const meta: Record<string, string> = {
    'collect.txt': 'hostname: adc1\nip: 192.0.2.10\nns_version: 13.0-47.22\ncollected_at: 2020-02-01T10:00:00Z\nscript_version: 1\n',
    ...(spec.noStat ? {} : { 'stat.txt': `${stat.join('\n')}\n` }),
    ...(spec.meta ?? {}),
  };
  for (const [name, text] of Object.entries(meta)) writeFileSync(join(root, 'meta', name), text);
  return dir;
}

/** Triage a spec written to a fresh temp dir, file rules only (no log analysis). */
export async function triageSpec(spec: CollectionSpec, withLogs = false): Promise<TriageReport> {
  const dir = writeCollection(tempDir(), spec);
  try {
    const c = await openCollection(dir);
    try {
      return await triageCollection(c, withLogs ? {} : { analyzeLogs: null });
    } finally {
      await c.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function rulesOf(r: TriageReport): string[] {
  return [...new Set(r.findings.map((f) => `${f.rule}:${f.confidence}`))].sort();
}

const PERL = '#!/usr/bin/perl\nuse strict;\nuse NetScaler::Portal::Page;\nmy $page = NetScaler::Portal::Page->new();\n$page->render();\n';

/** A clean fresh 13.0-47.22 install as a live collection (every listing present). */
export function freshInstall(): CollectionSpec {
  const files: Record<string, FakeFile | string> = {};
  for (const n of [
    'tips.pl',
    'logout.pl',
    'navthemes.pl',
    'newbm.pl',
    'picktheme.pl',
    'rmbm.pl',
    'subscription.pl',
    'themes.pl',
    'PersonalBookmark.pl',
  ]) {
    files[`/netscaler/portal/scripts/${n}`] = { content: n === 'newbm.pl' ? `${PERL}eval(handle_subscriptions());\n` : PERL, mode: 0o555 };
  }
  files['/netscaler/portal/templates/navthemes.tmpl'] = {
    content: '<html>[% INCLUDE header %]<body>[% title %]</body></html>\n',
    mode: 0o444,
  };
  files['/var/vpn/bookmark/alice.xml'] = {
    content: '<user username="alice"><bookmark title="intranet" url="https://intranet"/></user>\n',
    mode: 0o644,
    mtime: Date.UTC(2019, 5, 1) / 1000,
  };
  files['/var/vpn/bookmark/bm_prefix_bob.xml'] = {
    content: '<user username="bob"><bookmark title="wiki" url="https://wiki"/></user>\n',
    mode: 0o644,
  };
  files['/var/vpn/themes/default/css/base.css'] = { content: 'body { color: #333; }\n', mode: 0o444 };
  files['/netscaler/ns_gui/admin_ui/php/application/controllers/login.php'] = {
    content: '<?php\n$cfg = array_filter($x);\n$v = base64_decode($cookie);\nhttp_response_code(302);\n',
    mode: 0o444,
  };
  files['/var/netscaler/ns_gui/admin_ui/php/index.php'] = { content: '<?php\nrequire "application/bootstrap.php";\n', mode: 0o444 };
  files['/var/netscaler/logon/LogonPoint/index.html'] = { content: '<html></html>\n', mode: 0o444 };
  files['/var/netscaler/logon/themes/Default/css/theme.css'] = { content: 'a{}\n', mode: 0o444 };
  files['/var/cron/tabs/root'] = {
    content: '# DO NOT EDIT\n0 * * * * /usr/bin/newsyslog\n*/5 * * * * /netscaler/nsfsyncd -c\n',
    mode: 0o600,
  };
  files['/flash/boot/loader.conf'] = 'kernel="/ns-13.0-47.22"\nautoboot_delay=3\n';
  files['/nsconfig/ns.conf'] = '#NS13.0 Build 47.22\nset ns config -IPAddress 192.0.2.10 -netmask 255.255.255.0\nset ns hostName adc1\n';
  files['/var/tmp/ns_system_backup.tgz'] = { content: 'x', mode: 0o644 };
  files['/var/nsinstall/build-13.0-47.22.tgz'] = { content: 'x', mode: 0o644, uid: 65534, gid: 0 };
  return {
    files,
    meta: {
      'suid.txt':
        '/netscaler/ping\n/netscaler/ping6\n/netscaler/traceroute\n/sbin/shutdown\n/usr/bin/su\n/usr/bin/passwd\n/usr/bin/crontab\n/usr/libexec/ssh-keysign\n',
      'ps.txt': [
        'USER     PID %CPU %MEM   VSZ   RSS  TT  STAT STARTED      TIME COMMAND',
        'root       1  0.0  0.0  3200   600  ??  ILs  10:00AM   0:00.01 /sbin/init --',
        'root     120 99.0  2.0 90000 40000  ??  Rs   10:00AM 100:00.00 nsppe (NSPPE-00)',
        'root     130  0.0  0.1  9000  3000  ??  Ss   10:00AM   0:01.00 /netscaler/nsnetsvc',
        'root     140  0.0  0.1  9000  3000  ??  Ss   10:00AM   0:01.00 /netscaler/nsconfigd',
        'root     150  0.0  0.1  9000  3000  ??  Ss   10:00AM   0:01.00 /bin/httpd',
        'nobody   151  0.0  0.1  9000  3000  ??  I    10:00AM   0:00.10 /bin/httpd',
        'nobody   152  0.0  0.1  9000  3000  ??  I    10:00AM   0:00.10 /bin/httpd',
        'root     900  0.0  0.0  3000  1000  p0  S+   11:00AM   0:00.00 sh /var/tmp/edgewatch-collect.sh',
        'root     901  0.0  0.0  3000  1000  p0  R+   11:00AM   0:00.00 ps auxww',
        '',
      ].join('\n'),
      'sockstat.txt': [
        'USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS',
        'nobody   httpd      151   3  tcp4   *:80                  *:*',
        'root     nsppe      120   5  udp4   *:3008                *:*',
        'USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS',
        'nobody   httpd      152   4  tcp4   127.0.0.1:80          127.0.0.1:51000',
        'root     sshd       300   4  tcp4   192.0.2.10:22         198.51.100.7:50122',
        '',
      ].join('\n'),
      'crontab.txt': '# user: root\n0 * * * * /usr/bin/newsyslog\n# user: nobody\n',
    },
  };
}
