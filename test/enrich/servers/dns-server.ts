/**
 * Test DNS server on 127.0.0.1 (UDP, plus TCP on the same port for truncated answers) answering
 * PTR queries from a table: per queried address a behaviour — a name, NXDOMAIN, SERVFAIL, a slow
 * answer, a malformed packet, a truncated answer, no answer at all, or a hostile name. Counts the
 * queries it receives per address so tests can see what was cached. Only ever binds loopback.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';

export type PtrBehaviour =
  | { kind: 'name'; names: Array<string | Buffer[]>; delayMs?: number }
  | { kind: 'nxdomain' }
  | { kind: 'nodata' }
  | { kind: 'servfail' }
  | { kind: 'refused' }
  | { kind: 'drop' }
  | { kind: 'malformed' }
  | { kind: 'wrong-id' }
  | { kind: 'truncated'; tcpNames?: string[] };

export interface DnsTestServer {
  port: number;
  /** `127.0.0.1:<port>` for `servers`. */
  address: string;
  /** Queries received per reverse name (`4.3.2.1.in-addr.arpa`) over UDP and TCP. */
  queries: Map<string, number>;
  total(): number;
  close(): Promise<void>;
}

/** `1.2.3.4` → `4.3.2.1.in-addr.arpa`; IPv6 → nibble form under ip6.arpa. */
export function reverseName(ip: string): string {
  if (ip.includes(':')) {
    const full = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    const [head, tail] = full.split('::') as [string, string | undefined];
    const hg = head ? head.split(':') : [];
    const tg = tail ? tail.split(':') : [];
    const groups = full.includes('::') ? [...hg, ...Array(8 - hg.length - tg.length).fill('0'), ...tg] : hg;
    const nibbles = groups.map((g: string) => g.padStart(4, '0')).join('');
    return `${[...nibbles].reverse().join('.')}.ip6.arpa`;
  }
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

interface Query {
  id: number;
  rd: boolean;
  name: string;
  qtype: number;
  /** Raw question section (copied into answers). */
  question: Buffer;
}

function parseQuery(msg: Buffer): Query | null {
  if (msg.length < 12) return null;
  const id = msg.readUInt16BE(0);
  const rd = ((msg[2] as number) & 0x01) !== 0;
  if (msg.readUInt16BE(4) !== 1) return null;
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    if (off >= msg.length) return null;
    const len = msg[off] as number;
    if (len === 0) {
      off++;
      break;
    }
    if (len > 63 || off + 1 + len > msg.length) return null;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return null;
  const qtype = msg.readUInt16BE(off);
  return { id, rd, name: labels.join('.').toLowerCase(), qtype, question: msg.subarray(12, off + 4) };
}

function encodeName(name: string | Buffer[]): Buffer {
  const labels = Array.isArray(name) ? name : name.replace(/\.$/, '').split('.').map((l) => Buffer.from(l, 'latin1'));
  const parts: Buffer[] = [];
  for (const l of labels) parts.push(Buffer.from([l.length]), l);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function header(q: Query, rcode: number, an: number, tc = false): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(q.id, 0);
  h[2] = 0x80 | 0x04 | (tc ? 0x02 : 0) | (q.rd ? 0x01 : 0); // QR, AA, TC, RD
  h[3] = 0x80 | rcode; // RA
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

function answer(q: Query, names: Array<string | Buffer[]>): Buffer {
  const rrs = names.map((n) => {
    const rdata = encodeName(n);
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(12, 2); // PTR
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(300, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  return Buffer.concat([header(q, 0, rrs.length), q.question, ...rrs]);
}

/** Start the server. `table` maps addresses (as given to reverse()) to behaviours; others get NXDOMAIN. */
export async function startDnsServer(table: Record<string, PtrBehaviour>, opts: { tcp?: boolean } = {}): Promise<DnsTestServer> {
  const byName = new Map<string, PtrBehaviour>();
  for (const [ip, b] of Object.entries(table)) byName.set(reverseName(ip), b);
  const queries = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();

  const respond = (q: Query, tcp: boolean): Buffer | null | { delay: number; msg: Buffer } => {
    queries.set(q.name, (queries.get(q.name) ?? 0) + 1);
    const b = byName.get(q.name) ?? { kind: 'nxdomain' };
    if (q.qtype !== 12) return Buffer.concat([header(q, 0, 0), q.question]);
    switch (b.kind) {
      case 'name': {
        const msg = answer(q, b.names);
        return b.delayMs ? { delay: b.delayMs, msg } : msg;
      }
      case 'nxdomain':
        return Buffer.concat([header(q, 3, 0), q.question]);
      case 'nodata':
        return Buffer.concat([header(q, 0, 0), q.question]);
      case 'servfail':
        return Buffer.concat([header(q, 2, 0), q.question]);
      case 'refused':
        return Buffer.concat([header(q, 5, 0), q.question]);
      case 'drop':
        return null;
      case 'malformed': {
        // Right id, claims one answer, then the record is cut in the middle of its rdata.
        const full = answer(q, ['broken.example.net']);
        return full.subarray(0, full.length - 7);
      }
      case 'wrong-id': {
        const msg = answer(q, ['wrong.example.net']);
        msg.writeUInt16BE((q.id + 1) & 0xffff, 0);
        return msg;
      }
      case 'truncated':
        if (tcp && b.tcpNames) return answer(q, b.tcpNames);
        return Buffer.concat([header(q, 0, 0, true), q.question]);
    }
    return null;
  };

  const udp: Socket = createSocket('udp4');
  udp.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
    const q = parseQuery(msg);
    if (!q) return;
    const out = respond(q, false);
    if (out === null) return;
    if (Buffer.isBuffer(out)) {
      udp.send(out, rinfo.port, rinfo.address);
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      try {
        udp.send(out.msg, rinfo.port, rinfo.address);
      } catch {
        // socket closed meanwhile
      }
    }, out.delay);
    timers.add(t);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(0, '127.0.0.1', () => resolve());
  });
  const port = udp.address().port;

  // TCP on the same port (DNS over TCP: 2-byte length prefix), for answers that were truncated.
  const sockets = new Set<TcpSocket>();
  const tcp: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const q = parseQuery(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
        if (!q) continue;
        const out = respond(q, true);
        if (!Buffer.isBuffer(out)) continue;
        const lenBuf = Buffer.alloc(2);
        lenBuf.writeUInt16BE(out.length, 0);
        s.write(Buffer.concat([lenBuf, out]));
      }
    });
  });
  if (opts.tcp !== false) {
    await new Promise<void>((resolve) => {
      tcp.once('error', () => resolve()); // port taken for TCP: truncated answers then fail over TCP
      tcp.listen(port, '127.0.0.1', () => resolve());
    });
  }

  return {
    port,
    address: `127.0.0.1:${port}`,
    queries,
    total: () => [...queries.values()].reduce((a, b) => a + b, 0),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => (tcp.listening ? tcp.close(() => r()) : r()));
    },
  };
}
