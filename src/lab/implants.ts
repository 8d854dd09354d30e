/**
 * What an implant answers from outside (ISSUE3 agreed indicators X1–X3, DOMAIN §4.11): a 2020 PHP
 * webshell in the theme dirs answers 200 (X1); the 2023 v1 shell sets status 201 before anything
 * else, for any method (X2); the 2023 v2 shell answers an empty 404 with no Content-Length,
 * close-delimited (X3), unlike the appliance's own 404, which carries Content-Length. Nothing here
 * runs anything: the bodies are inert lab stand-ins.
 */
import type { Compromise } from './compromise.js';
import { type HttpReply, httpDate, type Reply } from './httpd.js';

const BASE = 'X-Frame-Options: SAMEORIGIN\r\nX-XSS-Protection: 1; mode=block\r\n';
const PHP = 'X-Powered-By: PHP/5.6.40\r\nContent-Type: text/html; charset=UTF-8\r\n';

/** X1: a small upload/command form, as the 2020 shells render without parameters (inert). */
const X1_BODY = Buffer.from(
  '<html><head><title></title></head><body>\n<!-- edgewatch lab stand-in: 2020 PHP webshell (inert) -->\n<form method="post" enctype="multipart/form-data"><input type="file" name="f" /><input type="text" name="c" /><input type="submit" value="&gt;" /></form>\n</body></html>\n',
);

/** Reply of the implant at `path`, or null when `path` is not one of the host's implant paths. */
export function implantReply(c: Compromise, path: string, http10: boolean): Reply | null {
  if (c.web.length === 0 || !c.web.includes(path)) return null;
  switch (c.kind) {
    case 'webshell-2020':
      return { kind: 'response', status: 200, reason: 'OK', headers: `${BASE}${PHP}`, body: X1_BODY } satisfies HttpReply;
    case 'webshell-2023-v1':
      return { kind: 'response', status: 201, reason: 'Created', headers: `${BASE}${PHP}`, body: Buffer.alloc(0) } satisfies HttpReply;
    case 'webshell-2023-v2': {
      // Empty, close-delimited 404 without Content-Length (and without Transfer-Encoding).
      const proto = http10 ? 'HTTP/1.0' : 'HTTP/1.1';
      const head = `${proto} 404 Not Found\r\nDate: ${httpDate()}\r\n${BASE}${PHP}Connection: close\r\n\r\n`;
      return { kind: 'raw', bytes: Buffer.from(head, 'latin1') };
    }
    default:
      return null;
  }
}
