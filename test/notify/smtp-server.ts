/**
 * Test helper: a real SMTP server (`smtp-server`) on 127.0.0.1:<random port> that records what it
 * accepted, with optional implicit TLS or STARTTLS (a self-signed certificate generated here),
 * AUTH, and scripted misbehaviour: refuse recipients (550), defer (451), drop the connection right
 * after connecting, or swallow a whole message and then drop the connection without answering.
 */
import '../../src/lab/reflect-shim.js';
import type { Socket } from 'node:net';
import * as x509 from '@peculiar/x509';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

x509.cryptoProvider.set(globalThis.crypto);

export interface SelfSigned {
  keyPem: string;
  certPem: string;
}

/** A self-signed ECDSA P-256 certificate for 127.0.0.1 / localhost, valid for a day. */
export async function selfSigned(): Promise<SelfSigned> {
  const alg: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = (await globalThis.crypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a',
    name: 'CN=localhost',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const pkcs8 = Buffer.from(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  return { keyPem, certPem: cert.toString('pem') };
}

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  /** Parsed message (an empty shell with only messageId when `parse: false`). */
  parsed: ParsedMail;
  secure: boolean;
  user: string | null;
}

export interface TestSmtpOptions {
  /** Implicit TLS on connect. */
  secure?: boolean;
  /** Offer STARTTLS (needs tls). */
  tls?: SelfSigned;
  /** Require this user/password (AUTH PLAIN/LOGIN). */
  auth?: { user: string; pass: string };
  /** Recipients answered with 550 5.1.1. */
  reject?: string[];
  /** The first N connections are closed right after they connect. */
  dropConnections?: number;
  /** The first N messages are read completely, then the connection is dropped without a reply. */
  dropAfterData?: number;
  /** The first N messages get 451 4.3.0 at the end of data. */
  tempfailData?: number;
  /** Parse received messages with mailparser (default true; the benchmark turns it off). */
  parse?: boolean;
  /** Delay before answering the end of data (ms). */
  dataDelayMs?: number;
}

export interface TestSmtp {
  port: number;
  received: Received[];
  connections: number;
  /** Most sessions open at the same time. */
  peak: number;
  close(): Promise<void>;
}

export async function startSmtp(o: TestSmtpOptions = {}): Promise<TestSmtp> {
  const state = { open: 0, peak: 0, connections: 0, dropped: 0, droppedAfterData: 0, tempfailed: 0 };
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const opts: SMTPServerOptions = {
    secure: !!o.secure,
    key: o.tls?.keyPem,
    cert: o.tls?.certPem,
    disabledCommands: [...(o.auth ? [] : ['AUTH']), ...(o.tls ? [] : ['STARTTLS'])],
    authOptional: !o.auth,
    allowInsecureAuth: false,
    logger: false,
    // No reverse DNS of the client: no resolver traffic leaves the machine, and no 1.5 s waits.
    disableReverseLookup: true,
    size: 20 * 1024 * 1024,
    onClose() {
      state.open--;
    },
    onConnect(session, cb) {
      state.connections++;
      state.open++;
      state.peak = Math.max(state.peak, state.open);
      if (state.dropped < (o.dropConnections ?? 0)) {
        state.dropped++;
        for (const s of sockets) if (s.remotePort === session.remotePort) s.destroy();
        return cb(new Error('dropping'));
      }
      cb();
    },
    onAuth(auth, _session, cb) {
      if (o.auth && auth.username === o.auth.user && auth.password === o.auth.pass) return cb(null, { user: auth.username });
      return cb(new Error('Invalid username or password'));
    },
    onRcptTo(addr, _session, cb) {
      if (o.reject?.includes(addr.address.toLowerCase())) {
        const e = new Error(`5.1.1 <${addr.address}>: Recipient address rejected: User unknown`) as Error & { responseCode: number };
        e.responseCode = 550;
        return cb(e);
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const raw = Buffer.concat(chunks);
        if (state.droppedAfterData < (o.dropAfterData ?? 0)) {
          state.droppedAfterData++;
          for (const s of sockets) if (s.remotePort === session.remotePort) s.destroy();
          return;
        }
        if (state.tempfailed < (o.tempfailData ?? 0)) {
          state.tempfailed++;
          const e = new Error('4.3.0 Try again later') as Error & { responseCode: number };
          e.responseCode = 451;
          return cb(e);
        }
        if (o.dataDelayMs) await new Promise((r) => setTimeout(r, o.dataDelayMs));
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          parsed:
            o.parse === false
              ? ({ messageId: /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.toString('latin1'))?.[1] } as ParsedMail)
              : await simpleParser(raw),
          secure: session.secure,
          user: (session.user as string | undefined) ?? null,
        });
        cb(null, `2.0.0 Ok: queued as T${received.length}`);
      });
    },
  };
  const server = new SMTPServer(opts);
  server.on('error', () => {});
  // Keep the raw sockets, to drop them on purpose.
  const net = (server as unknown as { server: import('node:net').Server }).server;
  net.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (net.address() as { port: number }).port;
  return {
    port,
    received,
    get connections() {
      return state.connections;
    },
    get peak() {
      return state.peak;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
