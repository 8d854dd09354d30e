/**
 * Access-log rules (DOMAIN §4.3): each rule positive and negative with realistic lines (FireEye
 * fixture shapes with the traversal, x1sec lab shapes without it, encoded forms), a clean
 * long-running Gateway log, time zones, timeline and per-rule caps.
 */
import { describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../../src/triage/logs/index.js';
import type { LogAnalysis } from '../../../src/triage/types.js';
import { access, MemCollection } from './helpers.js';

const T = '17/Jan/2020:20:07:22 +0000';
const LOG = '/var/log/httpaccess.log';

async function run(lines: string[], extra: Record<string, string> = {}): Promise<LogAnalysis> {
  return analyzeLogs(
    new MemCollection({ [LOG]: `${lines.join('\n')}\n`, ...extra }, { 'collect.txt': 'collected_at: 2020-01-20T00:00:00Z\n' }, 97),
  );
}
async function rulesOf(req: string, status: number): Promise<string[]> {
  return (await run([access('203.0.113.9', T, req, status)])).findings.map((f) => f.rule);
}

describe('access-log rules', () => {
  it.each([
    // success: the planted template rendered (any method, xml, 200/304)
    ['GET /vpn/../vpns/portal/85e64d2c.xml HTTP/1.1', 200, 'access-exploit-success'],
    ['GET /vpns/portal/85e64d2c.xml HTTP/1.1', 304, 'access-exploit-success'],
    ['HEAD /vpn/js/%2e./.%2e/%76pns/portal/x.xml HTTP/1.1', 200, 'access-exploit-success'],
    ['GET /vpn/../%76%70%6E%73/portal/x.xml?t=1 HTTP/1.1', 200, 'access-exploit-success'],
    ['GET /vpn/../vpns/portal/x.%78%6dl HTTP/1.1', 200, 'access-exploit-success'],
    ["PUT /vpn/../vpns/portal/lol[%25template.new({'BLOCK'%3d'print`id`'})%25].xml HTTP/1.1", 200, 'access-exploit-success'],
    // NOTROBIN single request
    ['POST /vpn/../vpns/portal/scripts/newbm.pl HTTP/1.1', 304, 'access-exploit-notrobin'],
    ['GET /vpns/portal/scripts/rmbm.pl HTTP/1.1', 304, 'access-exploit-notrobin'],
    // the device answered as vulnerable
    ['POST /vpns/portal/scripts/newbm.pl HTTP/1.1', 200, 'access-scan-success'],
    ['GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', 200, 'access-scan-success'],
    ['PUT /vpn/../vpns/portal/scripts/picktheme.pl HTTP/1.1', 200, 'access-scan-success'],
    ['GET /vpn/js/%2e./.%2e/%76pns/cfg/smb.conf HTTP/1.1', 200, 'access-scan-success'],
    // failed and blocked
    ['GET /vpn/../vpns/portal/gone.xml HTTP/1.1', 404, 'access-exploit-failed'],
    ['POST /vpn/../vpns/portal/scripts/newbm.pl HTTP/1.1', 401, 'access-exploit-failed'],
    ['HEAD /vpns/portal/x.xml HTTP/1.1', 404, 'access-exploit-failed'],
    ['GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', 403, 'access-probe-blocked'],
    ['POST /vpn/../vpns/portal/scripts/newbm.pl HTTP/1.1', 403, 'access-probe-blocked'],
    // webshells
    ['GET /vpn/themes/imgs/tiny.php HTTP/1.1', 200, 'access-webshell'],
    ['POST /vpn/themes/admin.php?c=id HTTP/1.1', 200, 'access-webshell'],
    ['GET /n_top/x.php HTTP/1.1', 200, 'access-webshell'],
    ['POST /logon/LogonPoint/uiareas/config.php HTTP/1.1', 201, 'access-webshell'],
  ])('%s → %i fires %s', async (req, status, rule) => {
    expect(await rulesOf(req, status)).toEqual([rule]);
  });

  it.each([
    ['GET /vpns/services.html HTTP/1.1', 200],
    ['GET /vpn/index.html HTTP/1.1', 200],
    ['GET /vpn/../vpns/portal/x.xml HTTP/1.1', 500],
    ['GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', 404], // conf 404 is neither rule
    ['PUT /vpn/../vpns/portal/x.xml HTTP/1.1', 404], // failed: GET|POST|HEAD only
    ['GET /vpns/portal/scripts/newbm.pl HTTP/1.1', 302],
    ['GET /vpn/themes/imgs/tiny.php HTTP/1.1', 404], // the clean appliance's answer to our own probe
    ['GET /vpn/themes/imgs/tiny.php HTTP/1.1', 201],
    ['GET /admin_ui/php/index.php HTTP/1.1', 200],
    ['GET /logon/LogonPoint/uiareas/config.php HTTP/1.1', 404],
    ['GET /vpn/../vpnsx/portal/x.xml HTTP/1.1', 200],
    ['GET /vpn/../VPNS/portal/x.xml HTTP/1.1', 404], // literal letters are case-sensitive on the box
  ])('%s → %i fires nothing', async (req, status) => {
    expect(await rulesOf(req, status)).toEqual([]);
  });

  it('fills every field of a finding from the line', async () => {
    const line = `198.51.100.7 - - [17/Jan/2020:21:07:22 +0100] "GET /vpn/../vpns/portal/a.xml HTTP/1.1" 200 782 "-" "python-requests/2.22.0" "Time: 5123 microsecs"`;
    const r = await run(['10.0.0.1 - - [17/Jan/2020:20:00:00 +0000] "GET /vpn/index.html HTTP/1.1" 200 1911 "-" "Mozilla/5.0"', line]);
    expect(r.findings).toEqual([
      {
        rule: 'access-exploit-success',
        title: expect.stringContaining('GET /vpn/../vpns/portal/a.xml answered 200'),
        kind: 'exploitation',
        confidence: 'high',
        path: LOG,
        line: 2,
        excerpt: line,
        time: '2020-01-17T20:07:22.000Z',
        source_ip: '198.51.100.7',
        ref: '§4.3',
      },
    ]);
  });

  it('parses lines with missing fields (no size, no referer/agent)', async () => {
    const r = await run([
      '192.0.2.44 - - [17/Jan/2020:20:07:22 +0000] "GET /vpns/ HTTP/1.1" 403',
      '192.0.2.45 - - [17/Jan/2020:20:07:23 +0000] "GET /vpn/../vpns/portal/q.xml HTTP/1.0" 200 -',
      '192.0.2.46 - - [17/Jan/2020:20:07:24 +0000] "GET /vpn/../vpns/portal/q.xml',
    ]);
    expect(r.findings.map((f) => [f.rule, f.source_ip])).toEqual([
      ['access-probe-blocked', '192.0.2.44'],
      ['access-exploit-success', '192.0.2.45'],
    ]);
    expect(r.checked[0]).toContain('1 candidate lines unparsable');
  });

  it.each([
    ['17/Jan/2020:20:07:22 +0000', '2020-01-17T20:07:22.000Z'],
    ['17/Jan/2020:20:07:22 -0500', '2020-01-18T01:07:22.000Z'],
    ['01/Jan/2020:02:00:00 +0530', '2019-12-31T20:30:00.000Z'],
    ['17/Jan/2020:20:07:22', '2020-01-17T20:07:22.000Z'],
  ])('converts [%s] to UTC', async (stamp, iso) => {
    const r = await run([access('1.2.3.4', stamp, 'GET /vpns/portal/a.xml HTTP/1.1', 200)]);
    expect(r.findings[0].time).toBe(iso);
  });

  it('keeps a finding without time when the stamp is garbage', async () => {
    const r = await run([access('1.2.3.4', '99/Foo/2020:99:00:00 +0000', 'GET /vpns/portal/a.xml HTTP/1.1', 200)]);
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0].time).toBeUndefined();
  });
});

/** Ordinary traffic of a Gateway in use for months (none of it may fire). */
function cleanGatewayLog(n: number): string[] {
  const reqs = [
    ['GET / HTTP/1.1', 302],
    ['GET /vpn/index.html HTTP/1.1', 200],
    ['GET /logon/LogonPoint/index.html HTTP/1.1', 200],
    ['GET /logon/LogonPoint/tmindex.html HTTP/1.1', 200],
    ['GET /logon/LogonPoint/init.js HTTP/1.1', 304],
    ['POST /cgi/login HTTP/1.1', 302],
    ['POST /p/u/doAuthentication.do HTTP/1.1', 200],
    ['GET /cgi/setclient?wica HTTP/1.1', 200],
    ['GET /cgi/logout HTTP/1.1', 302],
    ['GET /vpns/services.html HTTP/1.1', 200],
    ['GET /vpns/m_services.html HTTP/1.1', 200],
    ['GET /vpn/js/rdx/core/lang/rdx_en.json.gz HTTP/1.1', 200],
    ['GET /vpn/images/AccessGateway.ico HTTP/1.1', 200],
    ['GET /vpn/pluginlist.xml HTTP/1.1', 200],
    ['GET /epa/epa.html HTTP/1.1', 200],
    ['GET /Citrix/StoreWeb/Resources/List HTTP/1.1', 200],
    ['GET /vpn/resources/en/resources.xml HTTP/1.1', 200],
    ['GET /cgi/resources/list?q=%2Fapps%20%7Ball%7D HTTP/1.1', 200],
    ['GET /logon/themes/Default/css/base.css HTTP/1.1', 304],
    ['GET /favicon.ico HTTP/1.1', 404],
    ['GET /robots.txt HTTP/1.1', 404],
    ['GET /menu/neo HTTP/1.1', 302],
    ['GET /admin_ui/php/application/ns_gui.php HTTP/1.1', 200],
  ] as const;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const [req, st] = reqs[i % reqs.length];
    const d = String(1 + (Math.floor(i / 1000) % 28)).padStart(2, '0');
    const s = String(i % 60).padStart(2, '0');
    out.push(
      access(
        `10.${i % 250}.${(i * 7) % 250}.${(i * 13) % 250}`,
        `${d}/Feb/2020:10:${s}:${s} +0100`,
        req,
        st,
        st === 304 ? '-' : 1000 + i,
        'CitrixReceiver/19.12.0.71 Windows/10.0',
      ),
    );
  }
  return out;
}

describe('clean long-running Gateway', () => {
  it('gives zero findings and no timeline', async () => {
    const r = await run(cleanGatewayLog(20_000));
    expect(r.findings).toEqual([]);
    expect(r.timeline).toEqual([]);
    expect(r.checked[0]).toMatch(/^access logs \(1 file; .*20,000 lines; 0 \/vpns\/ attempts/);
  });
});

describe('timeline', () => {
  it('orders events by time across addresses and keeps first/last per source', async () => {
    const r = await run([
      access('192.0.2.20', '18/Jan/2020:09:00:00 +0000', 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', 200),
      access('192.0.2.10', '17/Jan/2020:20:00:00 +0000', 'POST /vpns/portal/scripts/newbm.pl HTTP/1.1', 200),
      access('192.0.2.10', '17/Jan/2020:20:00:01 +0000', 'GET /vpns/portal/abcd.xml HTTP/1.1', 200),
      access('192.0.2.10', '17/Jan/2020:20:30:00 +0000', 'GET /vpn/../vpns/portal/zzz.xml HTTP/1.1', 404),
      access('192.0.2.20', '18/Jan/2020:10:00:00 +0000', 'GET /vpn/../vpns/cfg/smb.conf HTTP/1.1', 403),
    ]);
    const ev = r.timeline.map((e) => `${e.time} ${e.source_ip} ${e.what.split(':')[0]}`);
    expect(ev).toEqual([
      '2020-01-17T20:00:00.000Z 192.0.2.10 first exploitation attempt from 192.0.2.10',
      '2020-01-17T20:00:01.000Z 192.0.2.10 first successful exploitation from 192.0.2.10',
      '2020-01-17T20:00:01.000Z 192.0.2.10 template written (POST /vpns/portal/scripts/newbm.pl answered 200) then rendered (GET /vpns/portal/abcd.xml answered 200) by 192.0.2.10',
      '2020-01-17T20:30:00.000Z 192.0.2.10 last /vpns/ request from 192.0.2.10 (3 in all)',
      '2020-01-18T09:00:00.000Z 192.0.2.20 first exploitation attempt from 192.0.2.20',
      '2020-01-18T10:00:00.000Z 192.0.2.20 last /vpns/ request from 192.0.2.20 (2 in all)',
    ]);
  });

  it('does not call a render "written then rendered" without an earlier write from the same address', async () => {
    const r = await run([
      access('192.0.2.10', '17/Jan/2020:20:00:00 +0000', 'POST /vpns/portal/scripts/newbm.pl HTTP/1.1', 200),
      access('192.0.2.99', '17/Jan/2020:20:00:05 +0000', 'GET /vpns/portal/abcd.xml HTTP/1.1', 200),
    ]);
    expect(r.timeline.some((e) => e.what.startsWith('template written'))).toBe(false);
  });
});

describe('caps', () => {
  it('keeps 50 findings per rule and file plus one summary, and the timeline keeps first/last', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 130; i++) {
      const m = String(i % 60).padStart(2, '0');
      const h = String(10 + Math.floor(i / 60)).padStart(2, '0');
      lines.push(access('203.0.113.50', `17/Jan/2020:${h}:${m}:00 +0000`, `GET /vpn/../vpns/portal/s${i}.xml HTTP/1.1`, 404));
    }
    const r = await run(lines);
    expect(r.findings).toHaveLength(51);
    expect(r.findings.slice(0, 50).map((f) => f.line)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const last = r.findings[50];
    expect(last.line).toBe(130);
    expect(last.excerpt.startsWith('[+80 more lines matched this rule in this file; the last one:] ')).toBe(true);
    expect(last.excerpt.length).toBeLessThanOrEqual(300);
    expect(r.timeline.map((e) => e.what.split(':')[0])).toEqual([
      'first exploitation attempt from 203.0.113.50',
      'last /vpns/ request from 203.0.113.50 (130 in all)',
    ]);
  });
});
