/**
 * Non-Citrix personas (default pages of nginx / IIS / Apache, a blog article about Citrix, a
 * StoreFront, a WAF, two honeypots, a LogonPoint-redirecting proxy, a site with a hostile title)
 * and the HTTP-level faults (oversized body, slow drip). Each is a pure request → reply function over prebuilt buffers.
 */

import { classicPage } from './citrix.js';
import type { Build } from './firmware.js';
import type { HttpReply, LabRequest, Reply } from './httpd.js';
import type { PersonaId } from './personas.js';

type Handler = (req: LabRequest) => Reply;

function reply(status: number, reason: string, headers: string, body: Buffer | string): HttpReply {
  return { kind: 'response', status, reason, headers, body: typeof body === 'string' ? Buffer.from(body) : body };
}

// nginx -----------------------------------------------------------------------------------------
const NGINX = 'Server: nginx/1.18.0 (Ubuntu)\r\n';
const NGINX_WELCOME = Buffer.from(`<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
    body { width: 35em; margin: 0 auto; font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`);
const nginxError = (code: number, text: string) =>
  reply(
    code,
    text,
    `${NGINX}Content-Type: text/html\r\n`,
    `<html>\r\n<head><title>${code} ${text}</title></head>\r\n<body>\r\n<center><h1>${code} ${text}</h1></center>\r\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\r\n</body>\r\n</html>\r\n`,
  );
const NGINX_404 = nginxError(404, 'Not Found');
const NGINX_OK = reply(
  200,
  'OK',
  `${NGINX}Content-Type: text/html\r\nLast-Modified: Tue, 21 Apr 2020 14:09:01 GMT\r\nETag: "5e9efe7d-264"\r\nAccept-Ranges: bytes\r\n`,
  NGINX_WELCOME,
);

const nginxDefault: Handler = (req) => {
  const p = req.url.resolved;
  return p === '/' || p === '/index.html' || p === '/index.nginx-debian.html' ? NGINX_OK : NGINX_404;
};

// IIS -------------------------------------------------------------------------------------------
const IIS = 'Server: Microsoft-IIS/10.0\r\nX-Powered-By: ASP.NET\r\n';
const IIS_START = reply(
  200,
  'OK',
  `Content-Type: text/html\r\nLast-Modified: Mon, 17 Jun 2019 09:12:33 GMT\r\nAccept-Ranges: bytes\r\nETag: "0d2b6f4f225d51:0"\r\n${IIS}`,
  `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />
<title>IIS Windows Server</title>
<style type="text/css">body { color:#000000; background-color:#0072C6; margin:0; } #container { margin-left:auto; margin-right:auto; text-align:center; }</style>
</head>
<body>
<div id="container">
<a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409"><img src="iisstart.png" alt="IIS" width="960" height="600" /></a>
</div>
</body>
</html>`,
);
const iis404 = (server = IIS) =>
  reply(
    404,
    'Not Found',
    `Content-Type: text/html\r\n${server}`,
    `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"/>
<title>404 - File or directory not found.</title>
</head>
<body>
<div id="header"><h1>Server Error</h1></div>
<div id="content">
 <div class="content-container"><fieldset>
  <h2>404 - File or directory not found.</h2>
  <h3>The resource you are looking for might have been removed, had its name changed, or is temporarily unavailable.</h3>
 </fieldset></div>
</div>
</body>
</html>
`,
  );
const IIS_404 = iis404();
const iisDefault: Handler = (req) => {
  const p = req.url.resolved;
  return p === '/' || p === '/iisstart.htm' ? IIS_START : IIS_404;
};

// Apache ----------------------------------------------------------------------------------------
const APACHE = 'Server: Apache/2.4.41 (Ubuntu)\r\n';
const APACHE_OK = reply(
  200,
  'OK',
  `${APACHE}Last-Modified: Mon, 06 Jan 2020 10:11:12 GMT\r\nETag: "2aa6-59b7606b2d500"\r\nAccept-Ranges: bytes\r\nVary: Accept-Encoding\r\nContent-Type: text/html\r\n`,
  `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml">
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
    <title>Apache2 Ubuntu Default Page: It works</title>
  </head>
  <body>
    <div class="main_page">
      <div class="page_header floating_element">
        <span class="floating_element">Apache2 Ubuntu Default Page</span>
      </div>
      <div class="section_header"><div id="about"></div>It works!</div>
      <p>This is the default welcome page used to test the correct operation of the Apache2 server after
      installation on Ubuntu systems.</p>
    </div>
  </body>
</html>
`,
);
function apache404(): HttpReply {
  return reply(
    404,
    'Not Found',
    `${APACHE}Content-Type: text/html; charset=iso-8859-1\r\n`,
    `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
<hr>
<address>Apache/2.4.41 (Ubuntu) Server at localhost Port 443</address>
</body></html>
`,
  );
}
const APACHE_404 = apache404();
const apacheDefault: Handler = (req) => {
  const p = req.url.resolved;
  return p === '/' || p === '/index.html' ? APACHE_OK : APACHE_404;
};

// Blog article that merely mentions Citrix ----------------------------------------------------
const BLOG = reply(
  200,
  'OK',
  `${NGINX}Content-Type: text/html; charset=UTF-8\r\nLink: <https://ops-notes.example/wp-json/>; rel="https://api.w.org/"\r\n`,
  `<!DOCTYPE html>
<html lang="en-US">
<head>
<meta charset="UTF-8" />
<title>How we mitigated CVE-2019-19781 on our Citrix Gateway &#8211; Ops Notes</title>
<meta name="generator" content="WordPress 5.3.2" />
</head>
<body class="post-template-default single single-post">
<article>
<h1>How we mitigated CVE-2019-19781 on our Citrix Gateway</h1>
<p>Last week every Citrix ADC and Citrix Gateway admin had a bad night. The scanners test whether
<code>/vpn/../vpns/cfg/smb.conf</code> answers with a Samba config (look for <code>[global]</code>):</p>
<pre>curl --path-as-is -k https://gateway.example/vpn/../vpns/cfg/smb.conf</pre>
<p>You can recognise the appliance by its login page, whose title reads
<code>&lt;title class=&quot;_ctxstxt_NetscalerGateway&quot;&gt;Citrix Gateway&lt;/title&gt;</code>,
and by the icon <code>/vpn/images/AccessGateway.ico</code>.</p>
<p>We applied the responder policy from CTX267679 and then upgraded to 13.0-47.24.</p>
</article>
</body>
</html>
`,
);
const blogCitrix: Handler = (req) => {
  const p = req.url.resolved;
  return p === '/' || p === '/index.php' || p === '/2020/01/citrix-gateway-cve-2019-19781/' ? BLOG : nginxError(404, 'Not Found');
};

// StoreFront on IIS -----------------------------------------------------------------------------
const SF = 'Server: Microsoft-IIS/8.5\r\nX-Powered-By: ASP.NET\r\n';
const SF_REDIRECT = reply(
  302,
  'Found',
  `Cache-Control: private\r\nContent-Type: text/html; charset=utf-8\r\nLocation: /Citrix/StoreWeb/\r\n${SF}`,
  '<html><head><title>Object moved</title></head><body>\r\n<h2>Object moved to <a href="/Citrix/StoreWeb/">here</a>.</h2>\r\n</body></html>\r\n',
);
const SF_PAGE = reply(
  200,
  'OK',
  `Cache-Control: no-cache, no-store, must-revalidate\r\nContent-Type: text/html; charset=utf-8\r\nSet-Cookie: ASP.NET_SessionId=lab0storefront0session; path=/; HttpOnly\r\nX-Citrix-Application: Receiver for Web\r\n${SF}`,
  `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" />
<title>Citrix Receiver</title>
<link rel="icon" href="receiver/images/common/ReceiverIcon.ico" type="image/x-icon" />
<script src="receiver.js"></script>
<link rel="stylesheet" href="receiver.css" />
</head>
<body class="storefront">
<noscript>Citrix Receiver requires JavaScript.</noscript>
</body>
</html>
`,
);
const SF_404 = iis404(SF);
const storefront: Handler = (req) => {
  const p = req.url.resolved;
  if (p === '/') return SF_REDIRECT;
  if (p === '/Citrix/StoreWeb/' || p === '/Citrix/StoreWeb/index.html') return SF_PAGE;
  return SF_404;
};

// WAF ------------------------------------------------------------------------------------------
const WAF_HEADERS =
  'Server: edge-shield\r\nCache-Control: no-store\r\nX-Request-Id: 7f3a9c2e-lab\r\nContent-Type: text/html; charset=UTF-8\r\n';
const WAF_BLOCK = reply(
  403,
  'Forbidden',
  WAF_HEADERS,
  `<!DOCTYPE html>
<html><head><title>Request blocked</title></head>
<body><h1>Request blocked</h1>
<p>Your request was blocked by the web application firewall because it looked like an attack.</p>
<p>Incident ID: 7f3a9c2e-lab. Contact the site owner if you believe this is an error.</p>
</body></html>
`,
);
const WAF_HOME = reply(
  200,
  'OK',
  WAF_HEADERS,
  '<!DOCTYPE html>\n<html><head><title>Welcome</title></head><body><h1>Corporate portal</h1><p>Nothing to see here.</p></body></html>\n',
);
const WAF_404 = reply(
  404,
  'Not Found',
  WAF_HEADERS,
  '<!DOCTYPE html>\n<html><head><title>Not found</title></head><body><h1>Not found</h1></body></html>\n',
);
function suspicious(target: string): boolean {
  const t = target.toLowerCase();
  return t.includes('..') || t.includes('%2e') || t.includes('/vpns/') || t.includes('smb.conf') || t.includes('.conf');
}
const waf: Handler = (req) => {
  if (suspicious(req.target) || (req.url.decoded !== null && suspicious(req.url.decoded))) return WAF_BLOCK;
  return req.url.resolved === '/' ? WAF_HOME : WAF_404;
};

// Honeypots ------------------------------------------------------------------------------------
const HONEYPOT_APACHE = 'X-Frame-Options: SAMEORIGIN\r\n';
let catchallPage: HttpReply | null = null;
function honeypotCatchall(copyOf: Build): Handler {
  catchallPage ??= reply(200, 'OK', `${HONEYPOT_APACHE}Content-Type: text/html; charset=UTF-8\r\n`, classicPage(copyOf));
  const page = catchallPage;
  return () => page;
}

/** Look-alike of smb.conf served by public CVE-2019-19781 honeypots: LF line ends, not 83 bytes. */
export const HONEYPOT_SMB = Buffer.from('[global]\n\tencrypt passwords = yes\n\tname resolve order = lmhosts wins host bcast\n');
function honeypotCve(copyOf: Build): Handler {
  const login = reply(
    200,
    'OK',
    `${HONEYPOT_APACHE}Content-Type: text/html; charset=UTF-8\r\nSet-Cookie: NSC_TEMP=xyz;Path=/\r\n`,
    classicPage(copyOf),
  );
  const smb = reply(200, 'OK', `${HONEYPOT_APACHE}Content-Type: text/plain\r\n`, HONEYPOT_SMB);
  const home = reply(302, 'Found', `${HONEYPOT_APACHE}Location: /vpn/index.html\r\nContent-Type: text/html\r\n`, '');
  const notFound = reply(
    404,
    'Not Found',
    `${HONEYPOT_APACHE}Content-Type: text/html\r\n`,
    '<html><body><h1>Not Found</h1></body></html>\n',
  );
  return (req) => {
    const d = req.url.decoded ?? '';
    // Any path with /vpns/ (even non-existent files, even /vpn/../vpns/) gets the look-alike;
    // HEAD therefore announces 80 bytes, never the real 83.
    if (d.includes('/vpns/')) return smb;
    const p = req.url.resolved;
    if (p === '/') return home;
    if (p === '/vpn/index.html') return login;
    return notFound;
  };
}

// Non-Citrix proxy redirecting to /logon/LogonPoint/ -------------------------------------------
const LP_PAGE = reply(
  200,
  'OK',
  `${NGINX}Content-Type: text/html; charset=UTF-8\r\n`,
  '<!DOCTYPE html>\n<html><head><title>Sign in - Remote Access</title></head><body><form method="post" action="/auth"><input name="user"/><input name="pass" type="password"/><button>Sign in</button></form></body></html>\n',
);
const LP_REDIRECT = reply(
  302,
  'Found',
  `${NGINX}Location: /logon/LogonPoint/\r\nContent-Type: text/html\r\n`,
  '<html>\r\n<head><title>302 Found</title></head>\r\n<body>\r\n<center><h1>302 Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
);
const redirectLogonPoint: Handler = (req) => {
  const p = req.url.resolved ?? '/';
  if (p === '/logon/LogonPoint/' || p === '/logon/LogonPoint/index.html') return LP_PAGE;
  if (p.startsWith('/logon/LogonPoint/')) return NGINX_404;
  return LP_REDIRECT;
};

// A site whose owner-controlled title is hostile ---------------------------------------------------
/**
 * The page title of the `hostile-site` persona, as the site's owner typed it into a hand-written
 * page (a title is raw text in HTML: the markup is not run by a browser there, but any tool that
 * pastes it into its own HTML, a terminal, a CSV or a mail header must neutralise it): markup,
 * a right-to-left override (U+202E), quotes, a CR/LF `Bcc:` header-injection attempt and a long tail.
 */
export const HOSTILE_TITLE = `<script>alert("t")</script>\u202e"quoted" & 'single'\r\nBcc: attacker@evil.example ${'Evil Clinic patient portal - '.repeat(14)}end`;
const HOSTILE_SERVER = 'Server: Apache\r\n';
const hostilePage = (h1: string) =>
  Buffer.from(
    `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${HOSTILE_TITLE}</title>\n</head>\n<body>\n<h1>${h1}</h1>\n<p>Welcome to our portal.</p>\n</body>\n</html>\n`,
    'utf8',
  );
const HOSTILE_OK = reply(200, 'OK', `${HOSTILE_SERVER}Content-Type: text/html; charset=utf-8\r\n`, hostilePage('Evil Clinic'));
// Like a CMS: the 404 page carries the site title too, so every probed path shows it.
const HOSTILE_404 = reply(404, 'Not Found', `${HOSTILE_SERVER}Content-Type: text/html; charset=utf-8\r\n`, hostilePage('Page not found'));
const hostileSite: Handler = (req) => {
  const p = req.url.resolved;
  return p === '/' || p === '/index.html' ? HOSTILE_OK : HOSTILE_404;
};

// HTTP-level faults ----------------------------------------------------------------------------
/** Content-Length announced by the oversized persona (5 GiB), streamed lazily. */
export const OVERSIZED_LENGTH = 5 * 1024 * 1024 * 1024;
const OVERSIZED_CHUNK = Buffer.alloc(64 * 1024, 0x20);
const oversized: Handler = () => ({
  kind: 'stream',
  status: 200,
  reason: 'OK',
  headers: `${APACHE}Content-Type: text/html\r\n`,
  length: OVERSIZED_LENGTH,
  chunk: OVERSIZED_CHUNK,
});

const DRIP_BYTES = Buffer.from(
  `HTTP/1.1 200 OK\r\n${APACHE}Content-Type: text/html\r\nContent-Length: 100000\r\n\r\n<html><head><title>Loading</title></head><body>${'please wait '.repeat(200)}</body></html>`,
);
const drip: Handler = () => ({ kind: 'drip', bytes: DRIP_BYTES });

/** Request handler of a non-Citrix or HTTP-fault persona; `copyOf` is the build honeypots imitate. */
export function otherHandler(persona: PersonaId, copyOf: Build): Handler | null {
  switch (persona) {
    case 'nginx-default':
      return nginxDefault;
    case 'iis-default':
      return iisDefault;
    case 'apache-default':
      return apacheDefault;
    case 'blog-citrix':
      return blogCitrix;
    case 'storefront':
      return storefront;
    case 'waf':
      return waf;
    case 'honeypot-catchall':
      return honeypotCatchall(copyOf);
    case 'honeypot-cve':
      return honeypotCve(copyOf);
    case 'redirect-logonpoint':
      return redirectLogonPoint;
    case 'hostile-site':
      return hostileSite;
    case 'oversized':
      return oversized;
    case 'drip':
      return drip;
    default:
      return null;
  }
}

/** Keep-alive header style per persona. */
export function styleOf(persona: PersonaId): 'apache' | 'nginx' | 'iis' {
  if (persona === 'nginx-default' || persona === 'blog-citrix' || persona === 'redirect-logonpoint') return 'nginx';
  if (persona === 'iis-default' || persona === 'storefront') return 'iis';
  return 'apache';
}
