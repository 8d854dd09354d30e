/**
 * Listeners and connection dispatch. Per-address mode: one net.Server per emulated address and
 * port (a refused persona simply has none: the kernel refuses). Wildcard mode: one server per port
 * on 0.0.0.0 that destroys any connection whose local or peer address is outside 127.0.0.0/8 and
 * tells hosts apart by the local address the client reached; refused personas are reset at once.
 * TLS is layered by hand (new TLSSocket over the accepted socket) so the same dispatch serves both
 * modes and TLS faults (fatal alert, tarpit, legacy-only) can act before or instead of a handshake.
 */
import net from 'node:net';
import { TLSSocket } from 'node:tls';
import { EdgewatchError } from '../errors.js';
import { admitConnection, ipToInt, plainV4 } from './addr.js';
import type { CertPool } from './certs.js';
import { citrixHandler } from './citrix.js';
import type { Build } from './firmware.js';
import { DripPump, type Framing, type LabRequest, type Reply, serveHttp } from './httpd.js';
import { otherHandler, styleOf } from './others.js';
import { pulseHandler } from './pulse.js';
import type { PersonaId } from './personas.js';
import type { HostState, Population } from './population.js';
import { prng } from './rand.js';

export type Scheme = 'https' | 'http';
export type ListenMode = 'per-address' | 'wildcard';

/** Fatal TLS alert record: level 2 (fatal), description 40 (handshake_failure). */
export const TLS_ALERT = Buffer.from([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x28]);
const TARPIT_MAX_MS = 120_000;
const PRE_HTTP_MAX_MS = 15_000;
/** Listeners above which `auto` switches to wildcard mode (fd budget: ulimit -n is 20000). */
export const PER_ADDRESS_AUTO_MAX = 8192;
/** Hard cap for an explicitly requested per-address mode. */
export const PER_ADDRESS_HARD_MAX = 16000;

export interface ServerConfig {
  pop: Population;
  /** Live per-host state (replaced entries on setStep). */
  states: HostState[];
  certs: CertPool;
  mode: ListenMode;
  ports: { https: number | null; http: number | null };
}

export interface RunningServers {
  mode: ListenMode;
  httpsPort: number | null;
  httpPort: number | null;
  listeners: number;
  /** Addresses the servers are bound to (for checks: all in 127.0.0.0/8 in per-address mode). */
  boundAddresses(): string[];
  close(): Promise<void>;
}

/** Does host persona need a listener on this scheme in per-address mode? */
export function listens(persona: PersonaId, scheme: Scheme): boolean {
  if (persona === 'refused') return false;
  if (persona === 'tls-alert' && scheme === 'http') return false;
  return true;
}

/** Number of per-address listeners a population needs. */
export function listenerCount(pop: Population, ports: ServerConfig['ports']): number {
  let n = 0;
  for (const h of pop.hosts) {
    if (ports.https !== null && listens(h.persona, 'https')) n++;
    if (ports.http !== null && listens(h.persona, 'http')) n++;
  }
  return n;
}

function garbageFor(seed: number, index: number): Buffer {
  const rnd = prng((seed * 31 + index) >>> 0);
  const b = Buffer.alloc(384 + Math.floor(rnd() * 512));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
  b[0] = 0x00; // never starts like "HTTP/"
  return b;
}

function framingOf(p: PersonaId): Framing {
  return p === 'citrix-http10' ? 'http10' : p === 'citrix-chunked' ? 'chunked' : 'normal';
}

export async function startServers(cfg: ServerConfig): Promise<RunningServers> {
  const { pop, states, certs } = cfg;
  const sockets = new Set<net.Socket>();
  const drip = new DripPump();
  const copyOf = pop.fw.get('13.0-47.22') as Build;
  const otherCache = new Map<PersonaId, ((req: LabRequest) => Reply) | null>();
  const otherOf = (p: PersonaId) => {
    if (!otherCache.has(p)) otherCache.set(p, otherHandler(p, copyOf));
    return otherCache.get(p) ?? null;
  };

  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  const startApp = (stream: net.Socket, index: number): void => {
    const h = pop.hosts[index];
    if (!h) {
      stream.destroy();
      return;
    }
    if (h.persona === 'garbage') {
      stream.setTimeout(PRE_HTTP_MAX_MS, () => stream.destroy());
      stream.once('data', () => stream.end(garbageFor(pop.seed, index)));
      return;
    }
    let handler: (req: LabRequest) => Reply;
    if (h.build0) {
      const rfwebui = h.persona === 'citrix-rfwebui';
      const mgmt = h.persona === 'citrix-adc-mgmt';
      handler = (req) => citrixHandler(h, states[index] as HostState, req, rfwebui, mgmt);
    } else if (h.pulse) {
      handler = pulseHandler(h.pulse);
    } else {
      const o = otherOf(h.persona);
      if (!o) {
        stream.destroy();
        return;
      }
      handler = o;
    }
    serveHttp(stream, { framing: framingOf(h.persona), style: styleOf(h.persona), handler, drip });
  };

  const onConnection = (sock: net.Socket, index: number, scheme: Scheme): void => {
    track(sock);
    const h = pop.hosts[index];
    if (!h || !listens(h.persona, scheme)) {
      sock.resetAndDestroy();
      return;
    }
    if (h.persona === 'tarpit') {
      // Accept, read and drop everything, never answer (no TLS either).
      sock.setTimeout(TARPIT_MAX_MS, () => sock.destroy());
      sock.on('data', () => {});
      return;
    }
    if (h.persona === 'tls-alert') {
      sock.setTimeout(PRE_HTTP_MAX_MS, () => sock.destroy());
      sock.once('data', () => sock.end(TLS_ALERT));
      return;
    }
    if (scheme === 'http') {
      startApp(sock, index);
      return;
    }
    const cert = certs.certs[h.certId];
    if (!cert) {
      sock.destroy();
      return;
    }
    const tlsSock = new TLSSocket(sock, { isServer: true, secureContext: cert.context });
    track(tlsSock);
    tlsSock.once('close', () => sock.destroy());
    tlsSock.setTimeout(PRE_HTTP_MAX_MS, () => tlsSock.destroy());
    startApp(tlsSock, index);
  };

  const servers: net.Server[] = [];
  const bound: string[] = [];
  const closeServers = async (list: net.Server[]) => {
    await Promise.all(list.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  const listen = (srv: net.Server, port: number, host: string, backlog: number) =>
    new Promise<number>((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      srv.once('error', onErr);
      srv.listen({ port, host, backlog, exclusive: true }, () => {
        srv.off('error', onErr);
        resolve((srv.address() as net.AddressInfo).port);
      });
    });

  let httpsPort: number | null = null;
  let httpPort: number | null = null;

  const bindScheme = async (scheme: Scheme, want: number): Promise<number> => {
    if (cfg.mode === 'wildcard') {
      const base = pop.range.base;
      const size = pop.range.size;
      const srv = net.createServer((sock) => {
        const local = plainV4(sock.localAddress);
        if (!admitConnection(local, sock.remoteAddress)) {
          sock.destroy();
          return;
        }
        const idx = ipToInt(local) - base;
        if (idx < 0 || idx >= size) {
          track(sock);
          sock.resetAndDestroy();
          return;
        }
        onConnection(sock, idx, scheme);
      });
      const port = await listen(srv, want, '0.0.0.0', 4096);
      servers.push(srv);
      bound.push('0.0.0.0');
      return port;
    }
    const hosts = pop.hosts.filter((h) => listens(h.persona, scheme));
    if (hosts.length === 0) return want;
    for (let attempt = 0; attempt < 8; attempt++) {
      const mine: net.Server[] = [];
      const mk = (i: number) => {
        const srv = net.createServer((sock) => onConnection(sock, i, scheme));
        mine.push(srv);
        return srv;
      };
      try {
        const first = hosts[0] as (typeof hosts)[number];
        const port = await listen(mk(first.index), want, first.ip, 511);
        const BATCH = 512;
        for (let k = 1; k < hosts.length; k += BATCH) {
          await Promise.all(hosts.slice(k, k + BATCH).map((h) => listen(mk(h.index), port, h.ip, 511)));
        }
        servers.push(...mine);
        for (const h of hosts) bound.push(h.ip);
        return port;
      } catch (cause) {
        await closeServers(mine);
        const code = (cause as NodeJS.ErrnoException).code;
        if (want === 0 && code === 'EADDRINUSE') continue; // another ephemeral port
        throw new EdgewatchError('EW_LAB_LISTEN', `cannot listen for ${scheme} on port ${want}: ${(cause as Error).message}`, { cause });
      }
    }
    throw new EdgewatchError('EW_LAB_LISTEN', `no ephemeral ${scheme} port free on all lab addresses after 8 attempts`);
  };

  try {
    if (cfg.ports.https !== null) httpsPort = await bindScheme('https', cfg.ports.https);
    if (cfg.ports.http !== null) httpPort = await bindScheme('http', cfg.ports.http);
  } catch (e) {
    await closeServers(servers);
    drip.close();
    if (e instanceof EdgewatchError) throw e;
    throw new EdgewatchError('EW_LAB_LISTEN', `cannot start lab listeners: ${(e as Error).message}`, { cause: e });
  }

  return {
    mode: cfg.mode,
    httpsPort,
    httpPort,
    listeners: servers.length,
    boundAddresses: () => [...bound],
    close: async () => {
      const closing = closeServers(servers);
      drip.close();
      for (const s of sockets) s.destroy();
      sockets.clear();
      await closing;
    },
  };
}
