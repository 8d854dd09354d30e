/**
 * Test RDAP + RIPEstat HTTP server on 127.0.0.1:<random>. Serves RDAP `ip network` answers shaped
 * like the registries' real ones (fixtures/*.json, modelled on RFC 9083 and RIPE/ARIN/APNIC output)
 * under `/<registry>/ip/<addr>`, entities under `/<registry>/entity/<handle>`, and RIPEstat's
 * `/data/abuse-contact-finder/data.json?resource=<addr>`. Per address a behaviour can be set: a
 * fixture, a slow answer, a body that trickles, an error status (429 with Retry-After, 5xx, 404),
 * malformed JSON, a huge body, a redirect, a redirect loop. Records every request and the highest
 * number of requests in flight at once.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));
}

export type HttpBehaviour =
  | { kind: 'json'; body: unknown; delayMs?: number; status?: number }
  | { kind: 'slow-body'; body: unknown; delayMs: number }
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  | { kind: 'malformed' }
  | { kind: 'huge'; bytes: number; declare?: boolean }
  | { kind: 'redirect'; to: string; status?: number }
  | { kind: 'loop' }
  | { kind: 'hang' };

export interface RdapTestServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Every request path (with query), in order. */
  requests: string[];
  maxInFlight: number;
  /** Start counting maxInFlight afresh. */
  resetMaxInFlight(): void;
  /** Behaviour of `/<registry>/ip/<addr>` by address (default: 404). */
  rdap: Map<string, HttpBehaviour>;
  /** Behaviour of the RIPEstat call by address (default: 404). */
  ripestat: Map<string, HttpBehaviour>;
  count(pathPart: string): number;
  close(): Promise<void>;
}

export async function startRdapServer(): Promise<RdapTestServer> {
  const rdap = new Map<string, HttpBehaviour>();
  const ripestat = new Map<string, HttpBehaviour>();
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  const state = { maxInFlight: 0 };

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const serve = (b: HttpBehaviour, req: IncomingMessage, res: ServerResponse): void => {
    const json = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/rdap+json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    switch (b.kind) {
      case 'json':
        if (b.delayMs) later(b.delayMs, () => !res.destroyed && json(b.status ?? 200, b.body));
        else json(b.status ?? 200, b.body);
        return;
      case 'slow-body': {
        const text = JSON.stringify(b.body);
        res.writeHead(200, { 'content-type': 'application/rdap+json' });
        res.write(text.slice(0, 10));
        later(b.delayMs, () => !res.destroyed && res.end(text.slice(10)));
        return;
      }
      case 'status':
        res.writeHead(b.status, { 'content-type': 'application/rdap+json', ...(b.headers ?? {}) });
        res.end(JSON.stringify({ errorCode: b.status, title: 'error' }));
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/rdap+json' });
        res.end('{"objectClassName": "ip network", "handle": "BROKEN", "entities": [ {"roles": ["abuse"], ');
        return;
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/rdap+json', ...(b.declare ? { 'content-length': String(b.bytes) } : {}) });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < b.bytes && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          if (!res.destroyed) res.end();
        };
        res.write('{"pad": "');
        pump();
        return;
      }
      case 'redirect':
        res.writeHead(b.status ?? 302, { location: b.to });
        res.end();
        return;
      case 'loop': {
        const next = req.url?.includes('/loop-a/') ? req.url.replace('/loop-a/', '/loop-b/') : (req.url ?? '/').replace(/^\/[^/]+\//, '/loop-a/');
        res.writeHead(301, { location: next });
        res.end();
        return;
      }
      case 'hang':
        return; // never answers; the client's deadline must end it
    }
  };

  const server: Server = createServer((req, res) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const url = req.url ?? '/';
    requests.push(url);
    const u = new URL(url, 'http://127.0.0.1');
    const ip = /\/ip\/([^/?]+)$/.exec(u.pathname);
    if (ip) {
      const addr = decodeURIComponent(ip[1] as string);
      // Loop hops carry the address too: keep looping for them.
      const b = /^\/loop-[ab]\//.test(u.pathname) ? ({ kind: 'loop' } as const) : rdap.get(addr);
      if (b) return serve(b, req, res);
      return serve({ kind: 'status', status: 404 }, req, res);
    }
    const ent = /\/entity\/([^/?]+)$/.exec(u.pathname);
    if (ent) {
      if (ent[1] === 'IRT-LINKED') return serve({ kind: 'json', body: fixture('entity-irt.json') }, req, res);
      return serve({ kind: 'status', status: 404 }, req, res);
    }
    if (u.pathname === '/data/abuse-contact-finder/data.json') {
      const addr = u.searchParams.get('resource') ?? '';
      const b = ripestat.get(addr);
      if (b) return serve(b, req, res);
      return serve({ kind: 'status', status: 404 }, req, res);
    }
    serve({ kind: 'status', status: 404 }, req, res);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    resetMaxInFlight: () => {
      state.maxInFlight = inFlight;
    },
    rdap,
    ripestat,
    count: (part: string) => requests.filter((r) => r.includes(part)).length,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A RIPEstat abuse-contact-finder answer naming `emails` for `ip`. */
export function ripestatAnswer(ip: string, emails: string[]): unknown {
  const doc = fixture('ripestat-found.json') as { data: { abuse_contacts: string[]; parameters: { resource: string } } };
  doc.data.abuse_contacts = emails;
  doc.data.parameters.resource = ip;
  return doc;
}
