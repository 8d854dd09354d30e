/**
 * Test helper: is a local service (PostgreSQL, Redis) reachable? Tests that need one call
 * `serviceGate('postgres')` at collection time and use `describe.skipIf(!gate.ok)`. Locally a missing
 * service skips with a loud warning; under CI=true it is required: the gate throws, failing the file.
 */
import { connect } from 'node:net';

export const PG_URL = process.env.EDGEWATCH_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.EDGEWATCH_TEST_REDIS ?? 'redis://127.0.0.1:6379';

const PORTS = { postgres: 5432, redis: 6379 } as const;

function reachable(port: number, host = '127.0.0.1', timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export interface ServiceGate {
  ok: boolean;
}

/** Probe the service's loopback port once. Throws under CI=true when it is missing. */
export async function serviceGate(name: keyof typeof PORTS): Promise<ServiceGate> {
  const ok = await reachable(PORTS[name]);
  if (!ok) {
    if (process.env.CI === 'true') throw new Error(`${name} is required under CI=true but 127.0.0.1:${PORTS[name]} is not reachable`);
    console.warn(`\n!!! ${name} not reachable on 127.0.0.1:${PORTS[name]}: SKIPPING the tests that need it (they are required under CI=true) !!!\n`);
  }
  return { ok };
}
