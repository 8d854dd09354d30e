/**
 * A loopback TCP proxy in front of the machine's PostgreSQL, for tests that need a server restart
 * without restarting the shared server: `outage(ms)` cuts every open connection (as a server
 * restart does) and refuses new ones for `ms` (the port is closed: ECONNREFUSED), then accepts
 * again on the same port. Clients see exactly what they see when PostgreSQL restarts.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Connections cut by outage() so far. */
  readonly cut: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  outage(downMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let cut = 0;
  let accepted = 0;
  let port = 0;
  let server: Server;
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        accepted++;
        const upstream = connect({ host: targetHost, port: targetPort });
        open.add(client);
        open.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on('error', drop);
        upstream.on('error', drop);
        client.on('close', drop);
        upstream.on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => {
        const a = server.address();
        port = typeof a === 'object' && a ? a.port : 0;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      cut += [...open].filter((s) => s.remotePort !== targetPort).length;
      for (const s of open) s.destroy();
      open.clear();
    });
  await listen(0);
  return {
    get port() {
      return port;
    },
    get cut() {
      return cut;
    },
    get accepted() {
      return accepted;
    },
    async outage(downMs: number) {
      await stop();
      await new Promise((r) => setTimeout(r, downMs));
      // Same port again (nothing else binds a just-closed ephemeral port in the window; retried if so).
      for (let i = 0; i < 20; i++) {
        try {
          await listen(port);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`proxy could not listen on ${port} again`);
    },
    close: stop,
  };
}
