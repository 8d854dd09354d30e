/**
 * Pulse Secure / Ivanti Connect Secure emulation (a second vendor, so the scanner is proven not to
 * be Citrix-shaped): the default sign-in page /dana-na/auth/url_default/welcome.cgi, the static
 * client version file /dana-na/nc/nc_gina_ver.txt carrying `ProductVersion` (major.minor.R.build),
 * a look-alike that copies the sign-in page for every path, and the lab's own facts for
 * CVE-2019-11510 (first fixed full versions, Tenable plugin 124766 / SA44101). Written
 * independently of checks/*.yaml and src/classify.
 *
 * The page and file bodies are stand-ins reconstructed from what public scanners parse (title,
 * /dana-na/ asset paths, DS* cookies, an <OBJECT classid=…> with <PARAM NAME="ProductVersion" …>),
 * not copies of vendor files. The traversal of CVE-2019-11510 is never emulated: a request for it
 * gets the appliance's ordinary 404.
 */
import type { HttpReply, LabRequest, Reply } from './httpd.js';

/** ProductVersions the lab serves (from a public version scanner's build lists, DOMAIN-style facts in docs/checks-catalogue.md). */
export const PULSE_VULNERABLE = ['8.2.7.54857', '8.2.11.63995', '8.2.12.63999', '8.3.4.61083', '8.3.7.65013', '9.0.1.63949', '9.0.3.64015', '9.0.3.64041'] as const;
/** Fixed or unaffected ProductVersions: first fixed builds, 9.0R4, 9.1, and 8.1 (not affected). */
export const PULSE_PATCHED = ['8.2.12.64003', '8.3.7.65025', '9.0.3.64053', '9.0.4.64091', '9.1.1.1505', '8.1.15.59747', '8.1.14.59737'] as const;

/** First fixed full versions of CVE-2019-11510 per release; releases not listed are not affected. */
const FIXED_11510: Readonly<Record<string, readonly number[]>> = {
  '8.2': [8, 2, 12, 64003],
  '8.3': [8, 3, 7, 65025],
  '9.0': [9, 0, 3, 64053],
};

export const PULSE_CVE = 'CVE-2019-11510';
export const PULSE_PRODUCT = 'pulse-connect-secure';

/** The lab's classification of a ProductVersion for CVE-2019-11510 (null version = unknown). */
export function pulseCveState(version: string | null): 'vulnerable' | 'patched' | 'unknown' {
  if (version === null) return 'unknown';
  const parts = version.split('.').map(Number);
  const fixed = FIXED_11510[`${parts[0]}.${parts[1]}`];
  if (!fixed) return 'patched';
  for (let i = 0; i < 4; i++) {
    const d = (parts[i] ?? 0) - (fixed[i] ?? 0);
    if (d !== 0) return d > 0 ? 'patched' : 'vulnerable';
  }
  return 'patched';
}

/** One emulated Pulse host: its ProductVersion, whether nc_gina_ver.txt is served, or a look-alike. */
export interface PulseHost {
  version: string;
  /** nc_gina_ver.txt deleted by the administrator: 404 (product still recognisable). */
  versionFileRemoved: boolean;
  /** A catch-all copy of the sign-in page (phishing kit / honeypot), not an appliance. */
  lookalike: boolean;
}

const BASE = 'Server: \r\nX-Frame-Options: SAMEORIGIN\r\nStrict-Transport-Security: max-age=31536000\r\n';

function welcomePage(v: string): Buffer {
  const css = `/dana-na/css/ds_${'f'.repeat(8)}${v.replace(/\./g, '')}.css`;
  return Buffer.from(`<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="robots" content="none">
<title>Pulse Connect Secure</title>
<link rel="stylesheet" href="${css}" type="text/css">
<script src="/dana-na/css/ds.js" type="text/javascript"></script>
</head>
<body onload="SetLastRealm('sn-postauth-proceed')" leftmargin="0" topmargin="0">
<form name="frmLogin" action="login.cgi" method="POST" autocomplete="off">
<input type="hidden" name="tz_offset">
<table><tr><td><img src="/dana-na/imgs/logo.gif" alt="Pulse Secure"></td></tr>
<tr><td>Username</td><td><input type="text" name="username" size="20"></td></tr>
<tr><td>Password</td><td><input type="password" name="password" size="20"></td></tr>
<tr><td><input type="submit" value="Sign In" name="btnSubmit"></td></tr></table>
<input type="hidden" name="realm" value="Users">
</form>
</body>
</html>
`);
}

function ginaFile(v: string): Buffer {
  return Buffer.from(`<html>
<body>
<OBJECT classid="clsid:0CC8E06C-B9C2-4A3E-9C7D-2A6C1C4E6D11" width=0 height=0 id="NCGina">
<PARAM NAME="ProductName" VALUE="Network Connect GINA">
<PARAM NAME="ProductVersion" VALUE="${v}">
</OBJECT>
</body>
</html>
`);
}

function r(status: number, reason: string, headers: string, body: Buffer | string): HttpReply {
  return { kind: 'response', status, reason, headers, body: typeof body === 'string' ? Buffer.from(body) : body };
}

const NOT_FOUND = r(
  404,
  'Not Found',
  `${BASE}Content-Type: text/html; charset=utf-8\r\n`,
  '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n',
);

/** Request handler of one Pulse host (or look-alike). Bodies are built once per host. */
export function pulseHandler(p: PulseHost): (req: LabRequest) => Reply {
  const welcome = r(
    200,
    'OK',
    `${BASE}Cache-Control: no-store\r\nSet-Cookie: DSSignInURL=/; path=/; secure\r\nSet-Cookie: DSSIGNIN=url_default; path=/dana-na/; secure\r\nContent-Type: text/html; charset=utf-8\r\n`,
    welcomePage(p.version),
  );
  const gina = r(200, 'OK', `${BASE}Content-Type: text/plain\r\n`, ginaFile(p.version));
  const toWelcome = r(302, 'Found', `${BASE}Location: /dana-na/auth/url_default/welcome.cgi\r\nContent-Type: text/html\r\n`, '');
  if (p.lookalike) {
    // A phishing copy: the sign-in page for every path (no assets, no cookies of the appliance).
    const copy = r(200, 'OK', 'Server: nginx\r\nContent-Type: text/html\r\n', welcomePage(p.version));
    return () => copy;
  }
  return (req) => {
    const path = req.url.resolved as string;
    if (path === '/' || path === '/dana-na/' || path === '/dana-na/auth/url_default/') return toWelcome;
    if (path === '/dana-na/auth/url_default/welcome.cgi') return welcome;
    if (path === '/dana-na/nc/nc_gina_ver.txt') return p.versionFileRemoved ? NOT_FOUND : gina;
    return NOT_FOUND;
  };
}
