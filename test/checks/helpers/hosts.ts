/**
 * Canned host personas for engine tests, written from DOMAIN §1–§3 and §7 (not from the
 * scanner's own check files): Citrix Gateways in several states, honeypots, nginx.
 */
import type { SessionTarget } from '../../../src/net/types.js';
import { type Answer, bare403, FakeSession, rdxGz, res } from './fake-session.js';

const SMB_CONF = '[global]\n\tencrypt passwords = yes\n\tname resolve order = lmhosts wins host bcast\n';

export function smbConf(): Answer {
  return res(200, { headers: [['Content-Type', 'text/plain']], body: SMB_CONF.padEnd(83, ' ') });
}

export function gatewayIndex(o: { vhash?: string; titleClass?: boolean } = {}): Answer {
  const v = o.vhash ? `?v=${o.vhash}` : '';
  const title =
    o.titleClass === false ? '<title>Citrix Gateway</title>' : '<title class="_ctxstxt_NetscalerGateway">Citrix Gateway</title>';
  const body = `<!DOCTYPE html>\n<html><head>${title}\n<link rel="shortcut icon" href="/vpn/images/AccessGateway.ico${v}">\n<script src="/vpn/login.js${v}"></script><script src="/vpn/js/rdx.js${v}"></script></head><body></body></html>`;
  return res(200, {
    headers: [
      ['Content-Type', 'text/html; charset=utf-8'],
      ['Set-Cookie', 'NSC_TEMP=xyz; Path=/; Secure'],
    ],
    body,
  });
}

export type SmbState = 'vulnerable' | 'responder' | 'patched403' | 'notfound' | 'redirect';

export interface CitrixOptions {
  stamp?: number | null;
  vhash?: string;
  titleClass?: boolean;
  smb: SmbState;
  pluginVersion?: string;
  nsversion?: string;
  target?: SessionTarget;
  extra?: Record<string, Answer>;
}

/** A Citrix Gateway per DOMAIN §7 profiles. */
export function citrixHost(o: CitrixOptions): FakeSession {
  const routes: Record<string, Answer> = {
    'GET /vpn/index.html': gatewayIndex({ vhash: o.vhash, titleClass: o.titleClass }),
  };
  if (o.stamp != null) {
    routes['GET /vpn/js/rdx/core/lang/rdx_en.json.gz'] = res(200, {
      headers: [['Content-Type', 'application/x-gzip']],
      body: rdxGz(o.stamp),
    });
  }
  if (o.pluginVersion) {
    routes['GET /vpn/pluginlist.xml'] = res(200, {
      headers: [['Content-Type', 'text/xml']],
      body: `<?xml version="1.0"?>\n<repository>\n<plugin name="Citrix Endpoint Analysis" type="EPA" version="${o.pluginVersion}" path="/epa/scripts/win/nsepa_setup.exe" />\n<plugin name="Citrix Access Gateway" version="${o.pluginVersion}" path="/vpns/scripts/vista/AGEE_setup.exe" />\n</repository>\n`,
    });
  }
  if (o.nsversion) {
    routes['GET /epa/epa.html'] = res(200, {
      headers: [['Content-Type', 'text/html']],
      body: `<html><head><script>var nsversion="${o.nsversion}";\nvar x=1;</script></head></html>`,
    });
  }
  const traversal = ['/vpn/../vpns/cfg/smb.conf', '/vpn/../vpns/'];
  for (const p of traversal) {
    let a: Answer;
    switch (o.smb) {
      case 'vulnerable':
        a = p.endsWith('smb.conf')
          ? smbConf()
          : res(403, {
              headers: [['Content-Type', 'text/html']],
              body: "<title>403 Forbidden</title>You don't have permission to access /vpns/ on this server.",
            });
        break;
      case 'responder':
        a = bare403();
        break;
      case 'patched403':
        a = res(403, { headers: [['Content-Type', 'text/html']], body: '<html><body>Forbidden</body></html>' });
        break;
      case 'redirect':
        a = res(302, { headers: [['Location', '/vpn/index.html']] });
        break;
      case 'notfound':
        a = res(404, { headers: [['Content-Type', 'text/html']], body: 'Not Found' });
        break;
    }
    routes[`GET ${p}`] = a;
  }
  return new FakeSession({ ...routes, ...(o.extra ?? {}) }, { target: o.target });
}

/** A plain nginx: 404 everywhere, nginx 404 page. */
export function nginxHost(): FakeSession {
  return new FakeSession(
    { 'GET /': res(200, { headers: [['Server', 'nginx/1.18.0']], body: '<html><head><title>Welcome to nginx!</title></head></html>' }) },
    {
      fallback: res(404, {
        headers: [
          ['Server', 'nginx/1.18.0'],
          ['Content-Type', 'text/html'],
        ],
        body: '<html><head><title>404 Not Found</title></head><body><center>nginx</center></body></html>',
      }),
    },
  );
}

/** A catch-all honeypot: the Gateway login page with 200 for every path. */
export function catchAllHoneypot(): FakeSession {
  return new FakeSession({}, { fallback: gatewayIndex({ vhash: 'fedb4ba86b5edcbc86081f2893dc9fdf' }) });
}

/** A look-alike that returns smb.conf for any /vpns/cfg/*.conf (and 404 for other unknown paths). */
export function smbLookAlike(): FakeSession {
  return new FakeSession(
    {
      'GET /vpn/index.html': gatewayIndex({ vhash: 'fedb4ba86b5edcbc86081f2893dc9fdf' }),
      'GET /vpn/js/rdx/core/lang/rdx_en.json.gz': res(200, { body: rdxGz(1574967982) }),
    },
    {
      fallback: (req) => (/\/vpns\/cfg\/[^/]+\.conf$/.test(req.path) ? (smbConf() as ReturnType<typeof res>) : res(404, { body: 'nf' })),
    },
  );
}
