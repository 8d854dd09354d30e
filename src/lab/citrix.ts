/**
 * Citrix ADC / Gateway emulation (DOMAIN §1, §2.2, §3, §7): the classic /vpn/index.html login
 * page (with `?v=<vhash>` where the build has one), RfWebUI LogonPoint redirects, the
 * rdx_en.json.gz language file whose gzip MTIME is the build stamp, pluginlist.xml and epa.html
 * version leaks, and the CVE-2019-19781 behaviour of vulnerable, mitigated (CTX267679 responder:
 * bare `HTTP/1.1 403 Forbidden\r\n\r\n` and close) and patched builds. Bodies are built once per
 * build and cached.
 */
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import type { Build } from './firmware.js';
import type { HttpReply, LabRequest, Reply } from './httpd.js';
import { implantReply } from './implants.js';
import type { HostSpec, HostState } from './population.js';
import { htmlEscape } from './uri.js';

/** The 83-byte smb.conf a vulnerable Gateway serves at /vpns/cfg/smb.conf. */
export const SMB_CONF = Buffer.from('[global]\r\n\tencrypt passwords = yes\r\n\tname resolve order = lmhosts wins host bcast\r\n');
/** The CTX267679 responder action, literally. */
export const RESPONDER_403 = Buffer.from('HTTP/1.1 403 Forbidden\r\n\r\n');

const RDX_JSON = JSON.stringify({
  locale: 'en',
  strings: {
    _ctxstxt_NetscalerGateway: 'Citrix Gateway',
    _ctxstxt_CitrixCopyright: '© 2019 Citrix Systems, Inc. All rights reserved.',
    _ctxstxt_LogOn: 'Log On',
    _ctxstxt_UserName: 'User name',
    _ctxstxt_Password: 'Password',
    _ctxstxt_Password2: 'Password 2',
    _ctxstxt_LoggingOn: 'Logging on ...',
    _ctxstxt_InvalidCredentials: 'Incorrect credentials. Try again.',
    _ctxstxt_SessionExpired: 'Your session has expired. Please log on again.',
    _ctxstxt_EPAChecking: 'Checking your device ...',
    _ctxstxt_EPAFailed: 'Access denied. Your device does not meet the requirements.',
    _ctxstxt_Continue: 'Continue',
    _ctxstxt_Cancel: 'Cancel',
  },
});
const RDX_DEFLATED = deflateRawSync(Buffer.from(RDX_JSON));
const RDX_TRAILER = (() => {
  const t = Buffer.alloc(8);
  t.writeUInt32LE(crc32(Buffer.from(RDX_JSON)) >>> 0, 0);
  t.writeUInt32LE(Buffer.byteLength(RDX_JSON), 4);
  return t;
})();

/** rdx_en.json.gz bytes for a stamp: `1f 8b 08 08`, MTIME LE32, XFL 0, OS 3, `rdx_en.json\0`, deflate, CRC32, ISIZE. */
export function rdxGzip(stamp: number): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 0x08, 0x08, 0, 0, 0, 0, 0x00, 0x03]);
  head.writeUInt32LE(stamp >>> 0, 4);
  return Buffer.concat([head, Buffer.from('rdx_en.json\0', 'latin1'), RDX_DEFLATED, RDX_TRAILER]);
}

interface BuildAssets {
  lastModified: string;
  etag: string;
  indexPage: Buffer;
  logonPage: Buffer;
  pluginlist: Buffer;
  epa: Buffer;
  rdx: Buffer | null;
  rdxDouble: Buffer | null;
}

const assets = new Map<string, BuildAssets>();

function title(b: Build): string {
  return b.branch === '10.5' || b.branch === '11.1' || b.branch === '12.0' ? 'NetScaler Gateway' : 'Citrix Gateway';
}

/** Classic Gateway login page for a build (also copied by the honeypots). */
export function classicPage(b: Build): string {
  const v = b.vhash ? `?v=${b.vhash}` : '';
  return `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<meta name="viewport" content="width=device-width, initial-scale=1.0, maximum-scale=1.0" />
<link rel="SHORTCUT ICON" href="/vpn/images/AccessGateway.ico${v}" type="image/vnd.microsoft.icon" />
<!-- frame-busting: refuse to be displayed inside a foreign frame -->
<style type="text/css">html { display: none; }</style>
<script type="text/javascript">if (self === top) { document.documentElement.style.display = "block"; } else { top.location = self.location; }</script>
<title class="_ctxstxt_NetscalerGateway">${title(b)}</title>
<link rel="stylesheet" type="text/css" href="/vpn/js/rdx/core/css/rdx.css${v}" />
<link rel="stylesheet" type="text/css" href="/vpn/themes/default/css/base.css${v}" />
<script type="text/javascript" src="/vpn/resources.js${v}"></script>
<script type="text/javascript" src="/vpn/login.js${v}"></script>
<script type="text/javascript" src="/vpn/js/rdx.js${v}"></script>
</head>
<body class="rdx" onload="ns_showpwd_default()">
<div id="logonbelt-topshadow"></div>
<div id="logonbox-container">
<form action="/cgi/login" method="post" name="vpnForm" autocomplete="off">
<div id="logonbox-logoarea"></div>
<div class="field"><label for="Enter user name" class="_ctxstxt_UserName">User name</label>
<input type="text" id="Enter user name" name="login" size="30" maxlength="127" /></div>
<div class="field"><label for="passwd" class="_ctxstxt_Password">Password</label>
<input type="password" id="passwd" name="passwd" size="30" maxlength="127" /></div>
<div class="field buttons"><input type="submit" id="Log_On" value="Log On" class="custom_button _ctxstxt_LogOn" /></div>
</form>
</div>
</body>
</html>
`;
}

function logonPointPage(b: Build): string {
  const v = b.vhash ? `?v=${b.vhash}` : '';
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" />
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<link rel="shortcut icon" href="/logon/LogonPoint/receiver/images/common/icon_vpn.ico" type="image/x-icon" />
<title class="_ctxstxt_NetscalerGateway">${title(b)}</title>
<link rel="stylesheet" href="/logon/themes/RfWebUI/css/theme.css${v}" />
<script src="/logon/LogonPoint/receiver/js/external/jquery-3.3.1.min.js${v}"></script>
<script src="/logon/LogonPoint/init.js${v}"></script>
</head>
<body>
<div id="authentication"></div>
<div class="_ctxstxt_CitrixCopyright">© Citrix Systems, Inc. All rights reserved.</div>
</body>
</html>
`;
}

function pluginlist(b: Build): string {
  const v = b.epaVersion;
  return `<?xml version="1.0" encoding="UTF-8"?>
<repository>
<plugin name="Citrix Gateway Plug-in" type="VPN" version="${v}" path="/vpns/scripts/vista/AGEE_setup.exe" />
<plugin name="Citrix Gateway Plug-in 64-bit" type="VPN" version="${v}" path="/vpns/scripts/vista/AGEE_setup64.exe" />
<plugin name="Citrix Endpoint Analysis" type="EPA" version="${v}" path="/epa/scripts/win/nsepa_setup.exe" />
<plugin name="Citrix Endpoint Analysis 64-bit" type="EPA" version="${v}" path="/epa/scripts/win/nsepa_setup64.exe" />
</repository>
`;
}

function epaPage(b: Build): string {
  const ns = b.nsversionLeak ? `var nsversion="${b.parts.join(',')}";\n` : '';
  return `<html>
<head>
<title>Endpoint Analysis</title>
<script type="text/javascript">
${ns}var epa_plugin_path="/epa/scripts/win/nsepa_setup.exe";
</script>
<script type="text/javascript" src="/epa/epa.js"></script>
</head>
<body onload="epa_init()"><div id="epa_status" class="_ctxstxt_EPAChecking">Checking your device ...</div></body>
</html>
`;
}

function assetsFor(b: Build): BuildAssets {
  let a = assets.get(b.version);
  if (a) return a;
  const rdx = b.stamp !== null ? rdxGzip(b.stamp) : null;
  a = {
    lastModified: new Date(b.date * 1000).toUTCString(),
    etag: `"${b.date.toString(16)}-${b.parts[2].toString(16)}${b.parts[3].toString(16)}"`,
    indexPage: Buffer.from(classicPage(b)),
    logonPage: Buffer.from(logonPointPage(b)),
    pluginlist: Buffer.from(pluginlist(b)),
    epa: Buffer.from(epaPage(b)),
    rdx,
    rdxDouble: rdx ? gzipSync(rdx) : null,
  };
  assets.set(b.version, a);
  return a;
}

const NSEPA_EXE = (() => {
  const b = Buffer.alloc(4096);
  b.write('MZ', 0, 'latin1');
  b.write('This program cannot be run in DOS mode.', 78, 'latin1');
  b.write('Citrix Endpoint Analysis Client (lab stand-in)', 512, 'latin1');
  return b;
})();
const ICO = Buffer.from('00000100010010100000010020006804000016000000', 'hex');
const JS_STUB = Buffer.from('/* Citrix Gateway client script */\nfunction ns_showpwd_default(){}\n');

const BASE = 'X-Frame-Options: SAMEORIGIN\r\nX-XSS-Protection: 1; mode=block\r\n';
const NO_CACHE = 'Cache-Control: no-cache, no-store, must-revalidate\r\nPragma: no-cache\r\n';
const LOGIN_COOKIES =
  'Set-Cookie: NSC_TEMP=xyz;Path=/;expires=Wednesday, 09-Nov-1999 23:12:40 GMT\r\n' +
  'Set-Cookie: NSC_PERS=xyz;Path=/;expires=Wednesday, 09-Nov-1999 23:12:40 GMT\r\n' +
  'Set-Cookie: pwcount=0;Path=/\r\n';

function ok(headers: string, body: Buffer): HttpReply {
  return { kind: 'response', status: 200, reason: 'OK', headers, body };
}

function staticFile(a: BuildAssets, type: string, body: Buffer, extra = ''): HttpReply {
  return ok(
    `${BASE}Last-Modified: ${a.lastModified}\r\nETag: ${a.etag}\r\nAccept-Ranges: bytes\r\n${extra}Content-Type: ${type}\r\n`,
    body,
  );
}

function redirect(location: string, extra = ''): HttpReply {
  const body = Buffer.from(`<html><head><title>Object moved</title></head><body><a href="${location}">here</a></body></html>\n`);
  return {
    kind: 'response',
    status: 302,
    reason: 'Object Moved',
    headers: `${BASE}Location: ${location}\r\n${extra}Content-Type: text/html\r\n`,
    body,
  };
}

/** Apache 2.2-style error page (the Gateway's httpd), path reflected escaped. */
function apacheError(status: 403 | 404, path: string): HttpReply {
  const p = htmlEscape(path.length > 200 ? path.slice(0, 200) : path);
  const text =
    status === 403
      ? `<h1>Forbidden</h1>\n<p>You don't have permission to access ${p}\non this server.</p>\n`
      : `<h1>Not Found</h1>\n<p>The requested URL ${p} was not found on this server.</p>\n`;
  const reason = status === 403 ? 'Forbidden' : 'Not Found';
  const body = Buffer.from(
    `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${status} ${reason}</title>\n</head><body>\n${text}</body></html>\n`,
  );
  return { kind: 'response', status, reason, headers: `${BASE}Content-Type: text/html; charset=iso-8859-1\r\n`, body };
}

const WAF_BLOCK = Buffer.from(
  '<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 1874659302118273645</body></html>\n',
);

const PATCHED_403 = Buffer.from(
  '<html><head><title>403 Forbidden</title></head><body><h1>Forbidden</h1><p>Access to this resource is not allowed.</p></body></html>\n',
);

function patchedAnswer(h: HostSpec, path: string): HttpReply {
  if (h.patchedStyle === 'redirect') return redirect('/vpn/index.html');
  if (h.patchedStyle === 'notfound') return apacheError(404, path);
  return {
    kind: 'response',
    status: 403,
    reason: 'Forbidden',
    headers: `${BASE}${NO_CACHE}Content-Type: text/html\r\n`,
    body: PATCHED_403,
  };
}

/** The /vpns/ tree a vulnerable build exposes through the traversal. */
function vpnsTree(path: string): HttpReply {
  if (path === '/vpns/cfg/smb.conf') {
    return ok(`${BASE}Last-Modified: Tue, 17 Dec 2019 08:00:00 GMT\r\nAccept-Ranges: bytes\r\nContent-Type: text/plain\r\n`, SMB_CONF);
  }
  if (
    path === '/vpns/' ||
    path === '/vpns/cfg/' ||
    path === '/vpns/portal/' ||
    path === '/vpns/portal/scripts/' ||
    path === '/vpns/scripts/'
  ) {
    return apacheError(403, path);
  }
  return apacheError(404, path);
}

/** Management GUI login page (NSIP): title `Citrix Login`, form action /login/do_login (DOMAIN §1.1, S16). */
const MGMT_PAGE = Buffer.from(`<!DOCTYPE html>
<html>
<head>
<meta http-equiv="X-UA-Compatible" content="IE=edge" />
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>Citrix Login</title>
<link rel="stylesheet" type="text/css" href="/admin_ui/common/css/login.css" />
<script type="text/javascript" src="/admin_ui/common/js/login.js"></script>
</head>
<body>
<form method="post" action="/login/do_login" name="loginForm" autocomplete="off">
<div class="field"><label for="username">User Name</label><input type="text" id="username" name="username" /></div>
<div class="field"><label for="password">Password</label><input type="password" id="password" name="password" /></div>
<div class="field"><input type="submit" value="Log On" /></div>
</form>
</body>
</html>
`);

/**
 * Answer one request as Citrix host `h` in state `st`. `rfwebui` switches the landing pages to
 * /logon/LogonPoint/tmindex.html. `mgmt`: a management interface (NSIP) with no Gateway/AAA
 * vserver: `/` is the `Citrix Login` management page and the Gateway login pages are 404; the GUI
 * bundle (rdx_en.json.gz, pluginlist, epa) is still served from the same ns_gui tree (lab assumption).
 */
export function citrixHandler(h: HostSpec, st: HostState, req: LabRequest, rfwebui: boolean, mgmt = false): Reply {
  const b = st.build as Build;
  const decoded = req.url.decoded as string;
  const path = req.url.resolved as string;
  // CTX267679: responder policy matches the decoded URL containing /vpns/ (we are never a VPN session).
  if (st.responder && (decoded.includes('/vpns/') || path.includes('/vpns/'))) return { kind: 'raw', bytes: RESPONDER_403 };
  if (path === '/vpns' || path.startsWith('/vpns/')) {
    if (!req.url.traversal) return redirect('/vpn/index.html');
    return b.vulnerable ? vpnsTree(path) : patchedAnswer(h, path);
  }
  if (h.persona === 'citrix-waf-php' && path.endsWith('.php')) {
    // A WAF in front of the Gateway blocks every .php request: indicator checks are inconclusive.
    return {
      kind: 'response',
      status: 403,
      reason: 'Forbidden',
      headers: `Server: BigIP\r\n${NO_CACHE}Content-Type: text/html\r\n`,
      body: WAF_BLOCK,
    };
  }
  if (st.compromise.web.length > 0) {
    const implant = implantReply(st.compromise, path, h.persona === 'citrix-http10');
    if (implant) return implant;
  }
  const a = assetsFor(b);
  if (mgmt) {
    switch (path) {
      case '/':
      case '/index.html':
        return staticFile(a, 'text/html; charset=UTF-8', MGMT_PAGE, NO_CACHE);
      case '/vpn/index.html':
      case '/vpn/tmindex.html':
      case '/logon/LogonPoint/tmindex.html':
      case '/logon/LogonPoint/index.html':
        return apacheError(404, path);
      default:
        break;
    }
  }
  const landing = rfwebui ? '/logon/LogonPoint/tmindex.html' : '/vpn/index.html';
  switch (path) {
    case '/':
    case '/index.html':
      return redirect(landing);
    case '/vpn/index.html':
    case '/vpn/tmindex.html':
      if (rfwebui) return redirect(landing);
      return staticFile(a, 'text/html; charset=UTF-8', a.indexPage, `${NO_CACHE}${LOGIN_COOKIES}`);
    case '/logon/LogonPoint/tmindex.html':
    case '/logon/LogonPoint/index.html':
      if (!rfwebui) return apacheError(404, path);
      return staticFile(a, 'text/html; charset=UTF-8', a.logonPage, `${NO_CACHE}${LOGIN_COOKIES}`);
    case '/vpn/js/rdx/core/lang/rdx_en.json.gz':
      if (!a.rdx) return apacheError(404, path);
      if (h.doubleGzip && a.rdxDouble) return staticFile(a, 'application/x-gzip', a.rdxDouble, 'Content-Encoding: gzip\r\n');
      return staticFile(a, 'application/x-gzip', a.rdx);
    case '/vpn/pluginlist.xml':
      return staticFile(a, 'text/xml', a.pluginlist, NO_CACHE);
    case '/epa/epa.html':
      return staticFile(a, 'text/html', a.epa, NO_CACHE);
    case '/epa/scripts/win/nsepa_setup.exe':
    case '/epa/scripts/win/nsepa_setup64.exe':
      return staticFile(a, 'application/octet-stream', NSEPA_EXE);
    case '/vpn/images/AccessGateway.ico':
    case '/logon/LogonPoint/receiver/images/common/icon_vpn.ico':
      return staticFile(a, 'image/x-icon', ICO);
    case '/vpn/login.js':
    case '/vpn/js/rdx.js':
    case '/vpn/resources.js':
      return staticFile(a, 'application/x-javascript', JS_STUB);
    default:
      return apacheError(404, path);
  }
}
