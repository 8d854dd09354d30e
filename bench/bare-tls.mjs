// Reference point for the scanner's CPU figures, measured in the same run against the same lab:
// a bare Node TLS connect (with the same legacy options) + one request per host, Connection: close.
// Usage: node bench/bare-tls.mjs PREFIX(e.g. 127.40) PORT N CONCURRENCY
import crypto from 'node:crypto';
import tls from 'node:tls';

const [prefix, port, n, c] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5] ?? 200)];
let next = 0;
let done = 0;
const t0 = process.cpuUsage();
const w0 = Date.now();
await new Promise((resolve) => {
  const one = () => {
    if (next >= n) return;
    const i = next++;
    const s = tls.connect(
      {
        host: `${prefix}.${i >> 8}.${i & 255}`,
        port,
        rejectUnauthorized: false,
        minVersion: 'TLSv1',
        ciphers: 'ALL:@SECLEVEL=0',
        secureOptions: crypto.constants.SSL_OP_LEGACY_SERVER_CONNECT,
      },
      () => s.write('GET /vpn/index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    s.on('data', () => {});
    s.on('error', () => {});
    s.on('close', () => {
      done++;
      if (done === n) resolve();
      else one();
    });
  };
  for (let k = 0; k < c; k++) one();
});
const u = process.cpuUsage(t0);
console.log(JSON.stringify({ cpuMsPerHost: (u.user + u.system) / 1000 / n, hostsPerSec: n / ((Date.now() - w0) / 1000) }));
