import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Lab, startLab, type TruthRecord } from '../../src/lab/index.js';
import { exchange, request } from './client.js';

let lab: Lab;
let truth: TruthRecord[];

beforeAll(async () => {
  lab = await startLab({ range: '127.3.0.0/26', seed: 11, httpsPort: 0, httpPort: 0, listen: 'wildcard' });
  truth = lab.truth();
});
afterAll(async () => {
  await lab?.close();
});

const find = (p: string) => {
  const t = truth.find((x) => x.persona === p);
  if (!t) throw new Error(p);
  return t;
};

describe('wildcard mode', () => {
  it('binds one listener per port and tells hosts apart by the local address', async () => {
    expect(lab.mode).toBe('wildcard');
    expect(lab.listeners).toBe(2);
    expect(lab.boundAddresses()).toEqual(['0.0.0.0', '0.0.0.0']);
    const v = truth.find(
      (t) =>
        t.expect.https?.cve['CVE-2019-19781'] === 'vulnerable' &&
        t.mitigation === 'none' &&
        !t.traits.includes('http10') &&
        !t.traits.includes('chunked') &&
        !t.traits.includes('legacy-tls'),
    );
    const n = find('nginx-default');
    if (!v) throw new Error('no vulnerable host');
    expect((await request(v.ip, lab.httpsPort, 'https', '/vpn/../vpns/cfg/smb.conf')).headers['content-length']).toBe('83');
    expect((await request(n.ip, lab.httpsPort, 'https', '/')).body.toString()).toContain('Welcome to nginx!');
  });

  it('resets a refused persona at once, and the truth says error/reset', async () => {
    const t = find('refused');
    expect(t.expect.https).toEqual({ status: 'error', reason: 'reset', product: null, version: null, cve: {}, compromised: 'unknown' });
    const x = await exchange({ ip: t.ip, port: lab.httpsPort, send: 'GET / HTTP/1.1\r\n\r\n', waitMs: 2000 });
    expect(x.error).toBe('ECONNRESET');
    expect(x.data.length).toBe(0);
    const alert = find('tls-alert');
    expect(alert.expect.http).toMatchObject({ status: 'error', reason: 'reset' });
    expect((await exchange({ ip: alert.ip, port: lab.httpPort, send: 'x', waitMs: 2000 })).error).toBe('ECONNRESET');
  });

  it('resets loopback addresses outside the population', async () => {
    for (const ip of ['127.3.0.64', '127.0.0.1']) {
      const x = await exchange({ ip, port: lab.httpPort, send: 'GET / HTTP/1.1\r\n\r\n', waitMs: 2000 });
      expect(x.error, ip).toBe('ECONNRESET');
    }
  });
});
